import HubCore

/// `feeds.kalshi`: Kalshi's trade API v2 WebSocket (signed login).
public struct KalshiSettings: VenueSettings {
    public var enabled = false
    /// Run the Kalshi simulator in-process instead (with a key pair made at start when
    /// `privateKeyFile` is empty).
    public var simulate = false
    public var url = "wss://api.elections.kalshi.com/trade-api/ws/v2"
    /// The RSA private key (PEM) of the API key `feed.keyID`; read at start.
    public var privateKeyFile = ""
    public var feed = KalshiFeedConfig()
    public var simulatorStepMilliseconds = 100
    /// The simulator sends the older integer-cent fields instead of fixed-point dollars.
    public var simulatorLegacyCents = false
    public init() {}

    enum Keys: String, CodingKey, CaseIterable {
        case enabled, simulate, url, markets, keyId, privateKeyFile, bookDepth, staleAfterSeconds, simulatorStepMilliseconds, simulatorLegacyCents
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        enabled = try c.value(.enabled, enabled)
        simulate = try c.value(.simulate, simulate)
        url = try c.value(.url, url)
        privateKeyFile = try c.value(.privateKeyFile, privateKeyFile)
        simulatorStepMilliseconds = try c.value(.simulatorStepMilliseconds, simulatorStepMilliseconds)
        simulatorLegacyCents = try c.value(.simulatorLegacyCents, simulatorLegacyCents)
        feed.markets = try c.value(.markets, feed.markets)
        feed.keyID = try c.value(.keyId, feed.keyID)
        feed.bookDepth = try c.value(.bookDepth, feed.bookDepth)
        feed.staleAfterSeconds = try c.value(.staleAfterSeconds, feed.staleAfterSeconds)
    }

    public func validate(_ check: ConfigCheck) throws(ConfigError) {
        if !simulate {
            try check.webSocketURL(url)
            try check.require(!feed.keyID.isEmpty, "keyId", "the API key id is required (Kalshi's WebSocket needs a signed login)")
            try check.require(!privateKeyFile.isEmpty, "privateKeyFile", "the key's RSA private key file (PEM) is required")
        }
        try check.require(!feed.markets.isEmpty, "markets", "list at least one market ticker")
        for (i, m) in feed.markets.enumerated() {
            try check.require(
                m.count <= 128 && (try? ChannelPattern(parsing: "book.kalshi.\(m)"))?.isExact == true, "markets[\(i)]", "'\(m)' cannot be a channel segment")
        }
        try check.require((1...1000).contains(feed.bookDepth), "bookDepth", "must be between 1 and 1000")
        try check.require(feed.staleAfterSeconds >= 15, "staleAfterSeconds", "must be at least 15 (Kalshi pings every 10 s)")
        try check.simulatorStep(simulatorStepMilliseconds)
    }
}
