import HubCore

/// `feeds.deribit`: Deribit JSON-RPC over WebSocket (perpetuals, futures, options chains).
public struct DeribitSettings: VenueSettings {
    public var enabled = false
    public var simulate = false
    public var url = "wss://www.deribit.com/ws/api/v2"
    public var feed = DeribitFeedConfig()
    /// Simulator market step in milliseconds (when `simulate`).
    public var simulatorStepMilliseconds = 100
    public init() {}

    enum Keys: String, CodingKey, CaseIterable {
        case enabled, simulate, url, instruments, optionCurrencies, maxOptionsPerCurrency, interval, bookDepth
        case heartbeatSeconds, staleAfterSeconds, clientId, clientSecret, simulatorStepMilliseconds
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        enabled = try c.value(.enabled, enabled)
        simulate = try c.value(.simulate, simulate)
        url = try c.value(.url, url)
        simulatorStepMilliseconds = try c.value(.simulatorStepMilliseconds, simulatorStepMilliseconds)
        feed.instruments = try c.value(.instruments, feed.instruments)
        feed.optionCurrencies = try c.value(.optionCurrencies, feed.optionCurrencies)
        feed.maxOptionsPerCurrency = try c.value(.maxOptionsPerCurrency, feed.maxOptionsPerCurrency)
        feed.interval = try c.value(.interval, feed.interval)
        feed.bookDepth = try c.value(.bookDepth, feed.bookDepth)
        feed.heartbeatSeconds = try c.value(.heartbeatSeconds, feed.heartbeatSeconds)
        feed.staleAfterSeconds = try c.decodeIfPresent(Double.self, forKey: .staleAfterSeconds)
        // Empty strings (an unset `${VAR:-}`) mean "no credentials".
        feed.clientID = try c.decodeIfPresent(String.self, forKey: .clientId).flatMap { $0.isEmpty ? nil : $0 }
        feed.clientSecret = try c.decodeIfPresent(String.self, forKey: .clientSecret).flatMap { $0.isEmpty ? nil : $0 }
    }

    public func validate(_ check: ConfigCheck) throws(ConfigError) {
        if !simulate { try check.webSocketURL(url) }
        try check.require(!feed.instruments.isEmpty || !feed.optionCurrencies.isEmpty, "instruments", "subscribe to at least one instrument or option currency")
        try check.require(["raw", "100ms", "agg2"].contains(feed.interval), "interval", "must be raw, 100ms or agg2")
        try check.require(feed.interval != "raw" || feed.clientID != nil, "interval", "raw needs clientId and clientSecret")
        try check.require((1...1000).contains(feed.bookDepth), "bookDepth", "must be between 1 and 1000")
        try check.require((1...3600).contains(feed.heartbeatSeconds), "heartbeatSeconds", "must be between 1 and 3600")
        try check.require(feed.staleAfter > Double(feed.heartbeatSeconds), "staleAfterSeconds", "must exceed heartbeatSeconds")
        try check.require((feed.clientID == nil) == (feed.clientSecret == nil), "clientSecret", "clientId and clientSecret go together")
        try check.require((0...100).contains(feed.maxOptionsPerCurrency), "maxOptionsPerCurrency", "must be between 0 and 100")
        try check.simulatorStep(simulatorStepMilliseconds)
    }
}
