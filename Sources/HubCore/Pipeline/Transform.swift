/// Transformation: maps a venue's fields to registered properties and validates every value.
/// Invalid values are quarantined (kept out of the tick, counted, the latest ones retained with
/// their reason) — never silently dropped.
///
/// Threading: loop-confined.
public final class Transform: @unchecked Sendable {
    public struct Quarantined: Sendable, Equatable {
        public let source: String
        public let instrument: String
        public let venueField: String
        public let reason: String
        public let receiveTime: Int64
    }

    private var maps: [String: (schema: VenueSchema, ids: [PropertyID])] = [:]
    public private(set) var ticks: UInt64 = 0
    public private(set) var quarantinedCount: UInt64 = 0
    public private(set) var unknownSource: UInt64 = 0
    /// The most recent quarantined values, oldest first.
    public private(set) var recentQuarantine: [Quarantined] = []
    public let quarantineKeep: Int

    public init(properties: PropertyTable, schemas: [VenueSchema], quarantineKeep: Int = 100) {
        self.quarantineKeep = quarantineKeep
        for schema in schemas {
            maps[schema.source] = (schema, schema.fields.map { properties.intern($0.property) })
        }
    }

    /// The tick for `event`, or nil when its source has no schema (counted).
    public func transform(_ event: RawEvent) -> Tick? {
        guard let map = maps[event.source] else {
            unknownSource += 1
            return nil
        }
        var fields: [Field] = []
        fields.reserveCapacity(event.fields.count + 4)
        for raw in event.fields {
            let k = Int(raw.key)
            guard k < map.ids.count else {
                quarantine(event, venueField: "#\(k)", reason: "field index outside the venue schema")
                continue
            }
            if let problem = Self.problem(raw.value) {
                quarantine(event, venueField: map.schema.fields[k].venueName, reason: problem)
                continue
            }
            fields.append(Field(map.ids[k], raw.value))
        }
        ticks += 1
        return Tick(
            source: event.source, instrument: event.instrument, stream: event.stream,
            exchangeTime: event.exchangeTime, receiveTime: event.receiveTime, sequence: event.sequence, fields: fields)
    }

    /// Value rules every property obeys (the registry adds per-property rules).
    static func problem(_ value: PropertyValue) -> String? {
        switch value {
        case .number(let d): return d.isFinite ? nil : "number is not finite"
        case .levels(let levels):
            for l in levels where !l.price.isFinite || !l.amount.isFinite || l.amount < 0 {
                return "book level is not a finite price with a non-negative amount"
            }
            return nil
        case .string(let s): return s.utf8.count > 1024 ? "string longer than 1024 bytes" : nil
        case .integer, .bool: return nil
        }
    }

    private func quarantine(_ event: RawEvent, venueField: String, reason: String) {
        quarantinedCount += 1
        if recentQuarantine.count >= quarantineKeep { recentQuarantine.removeFirst() }
        recentQuarantine.append(
            Quarantined(
                source: event.source, instrument: event.instrument, venueField: venueField, reason: reason,
                receiveTime: event.receiveTime))
    }
}
