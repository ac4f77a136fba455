/// A subscription filter with its property names resolved, evaluated on each publication's tick
/// before it is framed. A comparison on a property the publication does not carry is false
/// (`not` makes it true); numbers compare as numbers, whether stored as integers or decimals.
///
/// Loop-confined, shared by every subscription with the same filter (`FilterTable`).
public final class CompiledFilter {
    indirect enum Node {
        case compare(PropertyID, SubscriptionFilter.Comparison, FilterValue)
        case oneOf(PropertyID, [FilterValue])
        case exists(PropertyID)
        case and([Node])
        case or([Node])
        case not(Node)
    }

    let root: Node
    public let source: SubscriptionFilter
    /// Every property it reads (checked against the session's grants).
    public let properties: [PropertyID]

    /// Nil when a name does not resolve (the caller answers which).
    public init?(_ filter: SubscriptionFilter, resolve: (String) -> PropertyID?) {
        var ids: Set<PropertyID> = []
        func node(_ f: SubscriptionFilter) -> Node? {
            switch f {
            case .compare(let p, let op, let v):
                guard let id = resolve(p) else { return nil }
                ids.insert(id)
                return .compare(id, op, v)
            case .oneOf(let p, let vs):
                guard let id = resolve(p) else { return nil }
                ids.insert(id)
                return .oneOf(id, vs)
            case .exists(let p):
                guard let id = resolve(p) else { return nil }
                ids.insert(id)
                return .exists(id)
            case .and(let parts):
                let nodes = parts.compactMap(node)
                return nodes.count == parts.count ? .and(nodes) : nil
            case .or(let parts):
                let nodes = parts.compactMap(node)
                return nodes.count == parts.count ? .or(nodes) : nil
            case .not(let inner):
                return node(inner).map { .not($0) }
            }
        }
        guard let root = node(filter) else { return nil }
        self.root = root
        source = filter
        properties = ids.sorted { $0.rawValue < $1.rawValue }
    }

    /// Whether `tick` passes.
    public func matches(_ tick: Tick) -> Bool { Self.eval(root, tick) }

    private static func eval(_ n: Node, _ tick: Tick) -> Bool {
        switch n {
        case .compare(let id, let op, let v):
            guard let actual = tick.value(id) else { return false }
            return compare(actual, op, v)
        case .oneOf(let id, let vs):
            guard let actual = tick.value(id) else { return false }
            return vs.contains { compare(actual, .equal, $0) }
        case .exists(let id):
            return tick.value(id) != nil
        case .and(let parts):
            return parts.allSatisfy { eval($0, tick) }
        case .or(let parts):
            return parts.contains { eval($0, tick) }
        case .not(let inner):
            return !eval(inner, tick)
        }
    }

    private static func compare(_ actual: PropertyValue, _ op: SubscriptionFilter.Comparison, _ v: FilterValue) -> Bool {
        switch (actual, v) {
        case (.string(let a), .string(let b)):
            return op == .equal ? a == b : op == .notEqual ? a != b : false
        case (.bool(let a), .bool(let b)):
            return op == .equal ? a == b : op == .notEqual ? a != b : false
        case (_, .number(let b)):
            guard let a = actual.number else { return op == .notEqual }
            switch op {
            case .equal: return a == b
            case .notEqual: return a != b
            case .less: return a < b
            case .lessOrEqual: return a <= b
            case .greater: return a > b
            case .greaterOrEqual: return a >= b
            }
        default:
            // A string against a number, a book against anything: never equal.
            return op == .notEqual
        }
    }
}

/// Compiles each distinct filter once and shares it among the subscriptions using it, counting
/// them: a filter nobody uses is forgotten. Loop-confined.
public final class FilterTable {
    private var compiled: [SubscriptionFilter: (filter: CompiledFilter, holders: Int)] = [:]

    public init() {}

    /// The compiled form of `filter`, held once more (nil when a name does not resolve).
    public func retain(_ filter: SubscriptionFilter, resolve: (String) -> PropertyID?) -> CompiledFilter? {
        if let entry = compiled[filter] {
            compiled[filter]!.holders = entry.holders + 1
            return entry.filter
        }
        guard let c = CompiledFilter(filter, resolve: resolve) else { return nil }
        compiled[filter] = (c, 1)
        return c
    }

    public func release(_ c: CompiledFilter) {
        guard let entry = compiled[c.source] else { return }
        if entry.holders <= 1 { compiled[c.source] = nil } else { compiled[c.source]!.holders = entry.holders - 1 }
    }

    /// Distinct filters in use.
    public var count: Int { compiled.count }
}
