/// Every registered property: definitions by interned ID, compiled validation rules, lineage and
/// the type matrix. Transformation validates each value here; views and REST read from here.
///
/// Threading: loop-confined (changes arrive from the control plane through the loop).
public final class PropertyRegistry: @unchecked Sendable {
    public let table: PropertyTable
    private var definitions: [PropertyDefinition?] = []
    private var validators: [PropertyValidator?] = []
    /// Numbers' bounds by property, beside `validators`: most values are cleared here.
    private var bounds: [NumberBounds] = []
    /// Only streams with required properties, searched in order: a handful at most, and
    /// comparing an enum is cheaper than hashing it for a dictionary, once per tick.
    private var requiredByStream: [(stream: StreamKind, ids: [PropertyID])] = []
    /// Bumped on every change, so dependants (transformation maps) know to refresh.
    public private(set) var generation = 0

    public init(table: PropertyTable = PropertyTable()) {
        self.table = table
    }

    public var count: Int { definitions.lazy.compactMap { $0 }.count }
    public var names: Set<String> { Set(definitions.compactMap { $0?.name }) }

    /// Registers a new property. Throws `.duplicate` for a known name, `.invalid` for a bad one.
    @discardableResult
    public func add(_ def: PropertyDefinition) throws(DefinitionError) -> PropertyID {
        if definition(def.name) != nil {
            throw DefinitionError(.duplicate, field: "name", "property '\(def.name)' already exists")
        }
        try def.check(known: names)
        return install(def)
    }

    /// Replaces a property's definition. Throws `.unknown` when it does not exist.
    @discardableResult
    public func replace(_ def: PropertyDefinition) throws(DefinitionError) -> PropertyID {
        guard definition(def.name) != nil else {
            throw DefinitionError(.unknown, field: "name", "no property '\(def.name)'")
        }
        try def.check(known: names)
        if let cycle = cycle(through: def) {
            throw DefinitionError(field: "derivedFrom", "lineage would loop: \(cycle.joined(separator: " → "))")
        }
        return install(def)
    }

    /// Registers a whole set at once (a seed directory, the store's contents): lineage may refer
    /// to any member of the set, in any order.
    public func load(_ defs: [PropertyDefinition]) throws(DefinitionError) {
        let all = names.union(defs.map(\.name))
        var seen: Set<String> = []
        for def in defs {
            guard seen.insert(def.name).inserted else {
                throw DefinitionError(.duplicate, field: "name", "property '\(def.name)' is defined twice")
            }
            do {
                try def.check(known: all)
            } catch {
                throw DefinitionError(error.kind, field: error.field, "property '\(def.name)': \(error.message)")
            }
        }
        for def in defs { install(def) }
    }

    @discardableResult
    private func install(_ def: PropertyDefinition) -> PropertyID {
        let id = table.intern(def.name)
        while definitions.count <= id.index {
            definitions.append(nil)
            validators.append(nil)
            bounds.append(.none)
        }
        definitions[id.index] = def
        validators[id.index] = PropertyValidator(def)
        bounds[id.index] = NumberBounds(def)
        var required: [StreamKind: [PropertyID]] = [:]
        for d in definitions.compactMap({ $0 }) {
            for stream in d.rules.requiredIn ?? [] { required[stream, default: []].append(table.intern(d.name)) }
        }
        requiredByStream = StreamKind.allCases.compactMap { s in required[s].map { (s, $0) } }
        generation += 1
        return id
    }

    public func definition(_ name: String) -> PropertyDefinition? {
        guard let id = table.id(name), id.index < definitions.count else { return nil }
        return definitions[id.index]
    }

    public func definition(_ id: PropertyID) -> PropertyDefinition? {
        id.index < definitions.count ? definitions[id.index] : nil
    }

    public func id(_ name: String) -> PropertyID? {
        guard let id = table.id(name), id.index < definitions.count, definitions[id.index] != nil else { return nil }
        return id
    }

    /// All definitions, by name.
    public var all: [PropertyDefinition] { definitions.compactMap { $0 }.sorted { $0.name < $1.name } }

    // MARK: Validation

    /// Why `value` is not acceptable for property `id`, or nil when it is.
    @inline(__always)
    public func problem(_ id: PropertyID, _ value: PropertyValue) -> String? {
        guard id.index < bounds.count else { return "unregistered property" }
        if bounds[id.index].clears(value) { return nil }
        guard let v = validators[id.index] else { return "unregistered property" }
        return v.problem(value)
    }

    /// Properties every tick of `stream` must carry.
    public func required(in stream: StreamKind) -> [PropertyID] {
        for entry in requiredByStream where entry.stream == stream { return entry.ids }
        return []
    }

    /// The first property `stream` requires that `fields` lacks, or nil when none is missing.
    /// Searched where the list is kept (returning it retained and released it for every tick).
    public func missingRequired(in stream: StreamKind, from fields: [Field]) -> PropertyID? {
        for entry in requiredByStream where entry.stream == stream {
            for id in entry.ids where !fields.contains(where: { $0.id == id }) { return id }
        }
        return nil
    }

    // MARK: Lineage

    /// Every property `name` is computed from, transitively, nearest first.
    public func upstream(_ name: String) -> [String] {
        var out: [String] = [], queue = definition(name)?.derivedFrom ?? []
        while !queue.isEmpty {
            let n = queue.removeFirst()
            guard !out.contains(n) else { continue }
            out.append(n)
            queue.append(contentsOf: definition(n)?.derivedFrom ?? [])
        }
        return out
    }

    /// Every property computed from `name`, transitively, nearest first.
    public func downstream(_ name: String) -> [String] {
        var out: [String] = [], queue = [name]
        let defs = all
        while !queue.isEmpty {
            let n = queue.removeFirst()
            for d in defs where (d.derivedFrom ?? []).contains(n) && !out.contains(d.name) && d.name != name {
                out.append(d.name)
                queue.append(d.name)
            }
        }
        return out
    }

    private func cycle(through def: PropertyDefinition) -> [String]? {
        // Would `def` (replacing the stored one) reach itself through its inputs?
        var stack: [(String, [String])] = (def.derivedFrom ?? []).map { ($0, [def.name, $0]) }
        var seen: Set<String> = []
        while let (n, path) = stack.popLast() {
            if n == def.name { return path }
            guard seen.insert(n).inserted else { continue }
            for next in definition(n)?.derivedFrom ?? [] { stack.append((next, path + [next])) }
        }
        return nil
    }

    // MARK: Type matrix

    public struct MatrixCell: Equatable, Sendable, Encodable {
        public let source: String
        public let property: String
        public let type: PropertyType
        public init(source: String, property: String, type: PropertyType) {
            self.source = source
            self.property = property
            self.type = type
        }
    }

    /// Source × property × type for every source-provided property (derived ones under `derived`).
    public func matrix() -> [MatrixCell] {
        var cells: [MatrixCell] = []
        for d in all {
            if d.isDerived { cells.append(MatrixCell(source: "derived", property: d.name, type: d.type)) }
            for s in d.sources { cells.append(MatrixCell(source: s, property: d.name, type: d.type)) }
        }
        return cells.sorted { ($0.source, $0.property) < ($1.source, $1.property) }
    }
}
