import HubCore

/// `feeds.polymarket`: Polymarket's CLOB market channel.
public struct PolymarketSettings: VenueSettings {
    public var enabled = false
    public var simulate = false
    public var url = "wss://ws-subscriptions-clob.polymarket.com/ws/market"
    public var feed = PolymarketFeedConfig()
    public var simulatorStepMilliseconds = 100
    public init() {}

    enum Keys: String, CodingKey, CaseIterable { case enabled, simulate, url, assets, bookDepth, pingSeconds, staleAfterSeconds, simulatorStepMilliseconds }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        enabled = try c.value(.enabled, enabled)
        simulate = try c.value(.simulate, simulate)
        url = try c.value(.url, url)
        simulatorStepMilliseconds = try c.value(.simulatorStepMilliseconds, simulatorStepMilliseconds)
        feed.assets = try c.decodeIfPresent([AssetEntry].self, forKey: .assets)?.map(\.asset) ?? feed.assets
        feed.bookDepth = try c.value(.bookDepth, feed.bookDepth)
        feed.pingSeconds = try c.value(.pingSeconds, feed.pingSeconds)
        feed.staleAfterSeconds = try c.value(.staleAfterSeconds, feed.staleAfterSeconds)
    }

    /// `{id: "<token id>", name: TRUMP-YES, outcome: "Yes"}`.
    struct AssetEntry: Decodable {
        let asset: PolymarketFeedConfig.Asset
        enum Keys: String, CodingKey, CaseIterable { case id, name, outcome }
        init(from decoder: Decoder) throws {
            let c = try decoder.strictContainer(Keys.self)
            asset = .init(id: try c.decode(String.self, forKey: .id), name: try c.value(.name, ""), outcome: try c.value(.outcome, ""))
        }
    }

    public func validate(_ check: ConfigCheck) throws(ConfigError) {
        if !simulate { try check.webSocketURL(url) }
        try check.require(!feed.assets.isEmpty, "assets", "list at least one outcome token")
        for (i, a) in feed.assets.enumerated() {
            try check.require(!a.id.isEmpty && a.id.count <= 128 && a.id.allSatisfy(\.isNumber), "assets[\(i)].id", "must be a CLOB token id (digits)")
            try check.require(
                (try? ChannelPattern(parsing: "outcomes.polymarket.\(a.instrument)"))?.isExact == true, "assets[\(i)].name",
                "'\(a.name)' cannot be a channel segment")
        }
        try check.require((1...1000).contains(feed.bookDepth), "bookDepth", "must be between 1 and 1000")
        try check.require(feed.pingSeconds >= 1 && feed.staleAfterSeconds > feed.pingSeconds, "staleAfterSeconds", "must exceed pingSeconds (at least 1)")
        try check.simulatorStep(simulatorStepMilliseconds)
    }
}
