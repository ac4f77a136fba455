/// One venue as the hub composes it: its `feeds.<id>` settings, the adapter that speaks its wire
/// protocol, the fields it publishes, and what recording and replay need. A venue's folder
/// (`Sources/Venues/<Venue>/`) provides one value of this type; the hub, `streamhub replay`,
/// `streamhub record`, `venue-sim` and the configuration loader iterate one list of them
/// (`VenueRegistry.all`) and never name a venue.
///
/// Threading: values are immutable; adapters they make are loop-confined.
public protocol Venue: Sendable {
    associatedtype Settings: VenueSettings

    /// The venue's id: its `feeds.<id>` key, the middle segment of its channels, `--venue`.
    var id: String { get }
    /// The fields its adapter emits and the registered properties they become.
    var schema: VenueSchema { get }
    /// The property definition files (in `properties.seedDirectory`) where the properties its
    /// fields map to are defined, each listing the venue among its sources: `exchange.yaml` for
    /// the ccxt vocabulary exchanges share, a venue's own file for what only it brings
    /// (`VenueRegistryTests` holds every venue to this).
    var propertiesFiles: [String] { get }
    /// JSON fields whose values are credentials in frames exchanged with the venue (a login's
    /// `client_secret`, the tokens it answers with): recordings blank them.
    var secretFields: [String] { get }

    /// Settings ready to connect with: secrets read from the files they name. Errors name the
    /// key (`feeds.kalshi.privateKeyFile`).
    func prepare(_ settings: Settings) throws(ConfigError) -> Settings
    /// Where the connection goes (settings' `url`, plus what the venue puts in the path).
    func endpoint(_ settings: Settings) -> String
    /// A fresh adapter for one feed connection.
    func adapter(_ settings: Settings) -> FeedAdapter
    /// The adapter that replays a recording whose connection went to `recordedURL` (which may
    /// name what was subscribed), or nil when the venue needs nothing from it.
    func replayAdapter(_ settings: Settings, recordedURL: String?) -> FeedAdapter
}

extension Venue {
    public var secretFields: [String] { [] }
    public func prepare(_ settings: Settings) throws(ConfigError) -> Settings { settings }
    public func endpoint(_ settings: Settings) -> String { settings.url }
    public func replayAdapter(_ settings: Settings, recordedURL: String?) -> FeedAdapter { adapter(settings) }

    /// The key of this venue's settings section.
    public var settingsKey: String { "feeds.\(id)" }

    /// The adapter and URL of this venue's feed when its section is enabled (settings prepared).
    public func feed(in sections: VenueSections) throws(ConfigError) -> (adapter: FeedAdapter, url: String)? {
        let settings = sections[self]
        guard settings.enabled else { return nil }
        let ready = try prepare(settings)
        return (adapter(ready), endpoint(ready))
    }

    /// The replay adapter for this venue's settings in `sections`.
    public func replayAdapter(in sections: VenueSections, recordedURL: String?) -> FeedAdapter {
        replayAdapter(sections[self], recordedURL: recordedURL)
    }

    /// Checks this venue's section when it is enabled.
    public func validate(in sections: VenueSections) throws(ConfigError) {
        let settings = sections[self]
        guard settings.enabled else { return }
        try settings.validate(ConfigCheck(prefix: settingsKey))
    }

    /// The section at `feeds.<id>`; an empty one (every key commented out) means the defaults.
    func decodeSettings(from container: KeyedDecodingContainer<AnyCodingKey>) throws -> any VenueSettings {
        try container.decodeIfPresent(Settings.self, forKey: AnyCodingKey(stringValue: id)) ?? Settings()
    }

    func defaultSettings() -> any VenueSettings { Settings() }
}
