/// Every venue's settings section (`feeds.<id>`), keyed by venue id. A venue without a
/// section has its defaults (disabled).
public struct VenueSections: Sendable, Equatable {
    private var sections: [String: any VenueSettings] = [:]

    public init() {}

    /// One venue's settings (its defaults when the configuration has no section for it).
    public subscript<V: Venue>(venue: V) -> V.Settings {
        get { sections[venue.id] as? V.Settings ?? V.Settings() }
        set { sections[venue.id] = newValue }
    }

    /// Ids of the venues with a section.
    public var configured: [String] { sections.keys.sorted() }

    /// Enables `id`'s section and disables every other (`streamhub record` runs one venue).
    public mutating func enableOnly(_ id: String, among venues: [any Venue]) {
        for v in venues {
            var s = sections[v.id] ?? v.defaultSettings()
            s.enabled = v.id == id
            sections[v.id] = s
        }
    }

    /// Decodes the sections of `venues` from a `feeds:` mapping; other keys are left to the caller.
    public init(from container: KeyedDecodingContainer<AnyCodingKey>, venues: [any Venue]) throws {
        for v in venues where container.contains(AnyCodingKey(stringValue: v.id)) {
            sections[v.id] = try v.decodeSettings(from: container)
        }
    }

    public static func == (a: VenueSections, b: VenueSections) -> Bool {
        a.sections.count == b.sections.count && a.sections.allSatisfy { k, v in b.sections[k].map(v.isEqual) ?? false }
    }
}

extension VenueSections {
    /// Whether `venue`'s section still asks for its simulator.
    public func simulates<V: Venue>(_ venue: V) -> Bool { self[venue].simulate }
}

extension VenueSections {
    /// Whether `venue`'s section is enabled.
    public func enabled<V: Venue>(_ venue: V) -> Bool { self[venue].enabled }
}
