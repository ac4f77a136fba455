import SimdJSON

/// The `filter` of a `subscribe` (docs/protocol.md §Filters): which publications a subscription
/// delivers, as comparisons on properties combined with `and`, `or` and `not`. Parsed here with
/// its limits; `CompiledFilter` resolves the names and evaluates it.
public indirect enum SubscriptionFilter: Hashable, Sendable {
    /// `{"property": P, "op": "=|!=|<|<=|>|>=", "value": V}`
    case compare(property: String, op: Comparison, value: FilterValue)
    /// `{"property": P, "op": "in", "value": [V…]}`
    case oneOf(property: String, values: [FilterValue])
    /// `{"property": P, "op": "exists"}`
    case exists(property: String)
    case and([SubscriptionFilter])
    case or([SubscriptionFilter])
    case not(SubscriptionFilter)

    public enum Comparison: String, Sendable, CaseIterable {
        case equal = "="
        case notEqual = "!="
        case less = "<"
        case lessOrEqual = "<="
        case greater = ">"
        case greaterOrEqual = ">="
        /// Ordering needs numbers on both sides.
        var isOrdering: Bool { ![.equal, .notEqual].contains(self) }
    }

    /// Nesting depth, nodes and `in` values a filter may have.
    public static let maxDepth = 8
    public static let maxNodes = 64
    public static let maxValues = 256

    /// Parses `element`; errors name the offending part (`filter.and[1].value`).
    public init(parsing element: JSONElement, id: Int64?) throws(ProtocolError) {
        var nodes = 0
        self = try Self.parse(element, path: "filter", depth: 1, nodes: &nodes, id: id)
    }

    private static func parse(_ e: JSONElement, path: String, depth: Int, nodes: inout Int, id: Int64?) throws(ProtocolError) -> SubscriptionFilter {
        func bad(_ what: String) -> ProtocolError { ProtocolError(.badRequest, "\(path): \(what)", id: id) }
        nodes += 1
        guard nodes <= maxNodes else { throw bad("a filter has at most \(maxNodes) parts") }
        guard depth <= maxDepth else { throw bad("a filter nests at most \(maxDepth) deep") }
        guard let object = e.object else {
            throw bad("must be an object: {\"property\",\"op\",\"value\"}, {\"and\":[…]}, {\"or\":[…]} or {\"not\":{…}}")
        }
        let members = object.map { ($0.keyString, $0.value) }
        if members.count == 1, let (key, inner) = members.first, ["and", "or", "not"].contains(key) {
            if key == "not" { return .not(try parse(inner, path: "\(path).not", depth: depth + 1, nodes: &nodes, id: id)) }
            guard let items = inner.array.map(Array.init), !items.isEmpty else { throw bad("\(key) must be a non-empty array of filters") }
            var parts: [SubscriptionFilter] = []
            for (i, item) in items.enumerated() {
                parts.append(try parse(item, path: "\(path).\(key)[\(i)]", depth: depth + 1, nodes: &nodes, id: id))
            }
            return key == "and" ? .and(parts) : .or(parts)
        }
        for (key, _) in members where !["property", "op", "value"].contains(key) {
            throw bad("unknown key '\(key.prefix(32))' (a comparison has property, op and value)")
        }
        guard let property = e["property"]?.string, !property.isEmpty, property.utf8.count <= 64 else {
            throw bad("property must be a property name")
        }
        guard let opName = e["op"]?.string else { throw bad("op must be one of =, !=, <, <=, >, >=, in, exists") }
        let value = e["value"]
        switch opName {
        case "exists":
            guard value == nil else { throw bad("exists takes no value") }
            return .exists(property: property)
        case "in":
            guard let items = value?.array.map(Array.init), !items.isEmpty, items.count <= maxValues else {
                throw bad("value of in must be an array of 1 to \(maxValues) strings, numbers or booleans")
            }
            var values: [FilterValue] = []
            for (i, item) in items.enumerated() {
                guard let v = FilterValue(item) else { throw ProtocolError(.badRequest, "\(path).value[\(i)]: must be a string, number or boolean", id: id) }
                values.append(v)
            }
            return .oneOf(property: property, values: values)
        default:
            guard let op = Comparison(rawValue: opName) else { throw bad("op must be one of =, !=, <, <=, >, >=, in, exists") }
            guard let element = value, let v = FilterValue(element) else { throw bad("value must be a string, number or boolean") }
            if op.isOrdering && v.number == nil { throw bad("value of \(op.rawValue) must be a number") }
            return .compare(property: property, op: op, value: v)
        }
    }

    /// Every property the filter names.
    public var properties: Set<String> {
        switch self {
        case .compare(let p, _, _), .oneOf(let p, _), .exists(let p): return [p]
        case .and(let parts), .or(let parts): return parts.reduce(into: []) { $0.formUnion($1.properties) }
        case .not(let inner): return inner.properties
        }
    }
}

/// A value a filter compares with.
public enum FilterValue: Hashable, Sendable {
    case number(Double)
    case string(String)
    case bool(Bool)

    var number: Double? {
        if case .number(let d) = self { return d }
        return nil
    }

    init?(_ e: JSONElement) {
        if let s = e.string {
            guard s.utf8.count <= 256 else { return nil }
            self = .string(s)
        } else if let b = e.bool {
            self = .bool(b)
        } else if let d = e.double, d.isFinite {
            self = .number(d)
        } else {
            return nil
        }
    }
}
