/// Transformation: maps a venue's fields to registered properties and validates every value
/// against the property registry. Invalid values are quarantined — kept out of the tick,
/// counted per source and property, the latest ones retained with their reason — never
/// silently dropped. A tick missing a property its stream requires is quarantined whole.
///
/// Threading: loop-confined.
public final class Transform: @unchecked Sendable {
    public struct Quarantined: Sendable, Equatable, Encodable {
        public let source: String
        public let instrument: String
        public let stream: String
        public let property: String
        public let venueField: String
        public let reason: String
        /// Hub receive time, µs since the epoch.
        public let receiveTime: Int64
    }

    private struct SourceMap {
        let schema: VenueSchema
        var ids: [PropertyID?]
    }

    public let registry: PropertyRegistry
    /// Where tick field arrays come from when the hub recycles evicted ones (set by `Pipeline`).
    public var fieldPool: FieldArrayPool?
    private var maps: [String: SourceMap] = [:]
    /// The map found last: events come a source at a time, and hashing the source's name for
    /// every tick cost more than the comparison (a small string's is two words).
    private var recent: (source: String, map: SourceMap)?
    private var generation = -1
    public private(set) var ticks: UInt64 = 0
    public private(set) var quarantinedCount: UInt64 = 0
    public private(set) var unknownSource: UInt64 = 0
    /// Quarantined values per source and property.
    public private(set) var quarantinedBy: [String: [String: UInt64]] = [:]
    /// The most recent quarantined values, oldest first.
    public private(set) var recentQuarantine: [Quarantined] = []
    public let quarantineKeep: Int
    /// Whether a source's values that break their rules are quarantined (a phased rollout:
    /// sources not yet opted in are audited — the value is published, counted and kept below).
    public var enforcesValidation: (String) -> Bool = { _ in true }
    /// Values that broke their rules from sources in audit-only mode: counted, kept, published.
    public private(set) var auditedCount: UInt64 = 0
    public private(set) var auditedBy: [String: [String: UInt64]] = [:]
    public private(set) var recentAudited: [Quarantined] = []

    public init(registry: PropertyRegistry, schemas: [VenueSchema], quarantineKeep: Int = 100) {
        self.registry = registry
        self.quarantineKeep = quarantineKeep
        for schema in schemas { maps[schema.source] = SourceMap(schema: schema, ids: []) }
        refresh()
    }

    /// Venue fields whose property is not registered (they are quarantined when they arrive).
    public var unregisteredMappings: [String] {
        maps.values.flatMap { m in zip(m.schema.fields, m.ids).filter { $0.1 == nil }.map { "\(m.schema.source).\($0.0.venueName) → \($0.0.property)" } }
            .sorted()
    }

    /// Re-resolves property names after the registry changed (a property added at run time
    /// starts flowing without a restart).
    private func refresh() {
        for (source, m) in maps {
            maps[source]!.ids = m.schema.fields.map { registry.id($0.property) }
        }
        generation = registry.generation
        recent = nil
    }

    /// The tick for `event`, or nil when its source has no schema or it was quarantined whole.
    public func transform(_ event: RawEvent) -> Tick? {
        if generation != registry.generation { refresh() }
        let map: SourceMap
        if let recent, recent.source == event.source {
            map = recent.map
        } else {
            guard let found = maps[event.source] else {
                unknownSource += 1
                return nil
            }
            map = found
            recent = (event.source, found)
        }
        // Room for the derived properties enrichment appends (up to eight), so it never reallocates.
        var fields = fieldPool?.take(capacity: event.fields.count + 8) ?? []
        if fieldPool == nil { fields.reserveCapacity(event.fields.count + 8) }
        // Registered properties whose new value was refused: on a state stream the last valid
        // value must not pass for the current one, so the tick withdraws them.
        var refused: [PropertyID] = []
        // By index, reading each value in place: binding the element copied its value (a retain
        // for a string) before validation and again into the tick.
        for r in event.fields.indices {
            let k = Int(event.fields[r].key)
            guard k < map.ids.count else {
                quarantine(event, property: "?", venueField: "#\(k)", reason: "field index outside the venue schema")
                continue
            }
            guard let id = map.ids[k] else {
                let f = map.schema.fields[k]
                quarantine(event, property: f.property, venueField: f.venueName, reason: "property '\(f.property)' is not registered")
                continue
            }
            if let problem = registry.problem(id, event.fields[r].value) {
                let f = map.schema.fields[k]
                if !enforcesValidation(event.source) {
                    audit(event, property: f.property, venueField: f.venueName, reason: problem)
                    fields.append(Field(id, event.fields[r].value))
                    continue
                }
                quarantine(event, property: f.property, venueField: f.venueName, reason: problem)
                refused.append(id)
                continue
            }
            fields.append(Field(id, event.fields[r].value))
        }
        if let required = registry.missingRequired(in: event.stream, from: fields) {
            let name = registry.table.name(required)
            quarantine(event, property: name, venueField: "", reason: "missing required property '\(name)' for \(event.stream.rawValue)")
            return nil
        }
        ticks += 1
        var removed: [PropertyID] = []
        if !event.removed.isEmpty { removed = event.removed.compactMap { Int($0) < map.ids.count ? map.ids[Int($0)] : nil } }
        if !refused.isEmpty && event.stream.delivery == .state { removed += refused }
        // Made where it is returned: a tick built in a variable and changed was copied out.
        return Tick(
            source: event.source, instrument: event.instrument, stream: event.stream,
            exchangeTime: event.exchangeTime, receiveTime: event.receiveTime, sequence: event.sequence, fields: fields, removed: removed)
    }

    private func audit(_ event: RawEvent, property: String, venueField: String, reason: String) {
        Self.record(event, property, venueField, reason, count: &auditedCount, by: &auditedBy, recent: &recentAudited, keep: quarantineKeep)
    }

    private func quarantine(_ event: RawEvent, property: String, venueField: String, reason: String) {
        Self.record(event, property, venueField, reason, count: &quarantinedCount, by: &quarantinedBy, recent: &recentQuarantine, keep: quarantineKeep)
    }

    /// Counts a refused (or audited) value by source and property and keeps the latest `keep`.
    private static func record(
        _ event: RawEvent, _ property: String, _ venueField: String, _ reason: String, count: inout UInt64, by: inout [String: [String: UInt64]],
        recent: inout [Quarantined], keep: Int
    ) {
        count += 1
        by[event.source, default: [:]][property, default: 0] += 1
        if recent.count >= keep { recent.removeFirst() }
        recent.append(
            Quarantined(
                source: event.source, instrument: event.instrument, stream: event.stream.rawValue, property: property,
                venueField: venueField, reason: reason, receiveTime: event.receiveTime))
    }
}
