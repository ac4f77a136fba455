import HubCore

/// `feeds.coinbase`: Coinbase Advanced Trade market data.
public struct CoinbaseSettings: VenueSettings {
    public var enabled = false
    public var simulate = false
    public var url = "wss://advanced-trade-ws.coinbase.com"
    public var feed = CoinbaseFeedConfig()
    public var simulatorStepMilliseconds = 100
    /// The simulator moves one product 1.5 % away for 8 s this often (0: never): arbitrage
    /// against the other venues opens and closes in the demo.
    public var simulatorDislocationEverySeconds = 0.0
    public init() {}

    enum Keys: String, CodingKey, CaseIterable {
        case enabled, simulate, url, symbols, bookDepth, staleAfterSeconds, simulatorStepMilliseconds, simulatorDislocationEverySeconds
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        enabled = try c.value(.enabled, enabled)
        simulate = try c.value(.simulate, simulate)
        url = try c.value(.url, url)
        simulatorStepMilliseconds = try c.value(.simulatorStepMilliseconds, simulatorStepMilliseconds)
        simulatorDislocationEverySeconds = try c.value(.simulatorDislocationEverySeconds, simulatorDislocationEverySeconds)
        feed.symbols = try c.value(.symbols, feed.symbols)
        feed.bookDepth = try c.value(.bookDepth, feed.bookDepth)
        feed.staleAfterSeconds = try c.value(.staleAfterSeconds, feed.staleAfterSeconds)
    }

    public func validate(_ check: ConfigCheck) throws(ConfigError) {
        if !simulate { try check.webSocketURL(url) }
        try check.unifiedSymbols(feed.symbols, example: "BTC/USD")
        try check.require((1...1000).contains(feed.bookDepth), "bookDepth", "must be between 1 and 1000")
        try check.require(feed.staleAfterSeconds >= 2, "staleAfterSeconds", "must be at least 2 (heartbeats come every second)")
        try check.simulatorStep(simulatorStepMilliseconds)
        try check.require(
            simulatorDislocationEverySeconds == 0 || (10...86_400).contains(simulatorDislocationEverySeconds), "simulatorDislocationEverySeconds",
            "must be 0 (never) or between 10 and 86400")
    }
}
