import HubCore

/// `feeds.binance`: Binance spot combined streams plus REST depth snapshots.
public struct BinanceSettings: VenueSettings {
    public var enabled = false
    public var simulate = false
    /// The WebSocket base; the adapter appends `/stream?streams=…`.
    public var url = "wss://stream.binance.com:9443"
    public var feed = BinanceFeedConfig()
    /// Simulator market step in milliseconds (when `simulate`).
    public var simulatorStepMilliseconds = 100
    public init() {}

    enum Keys: String, CodingKey, CaseIterable {
        case enabled, simulate, url, restUrl, symbols, trades, bookDepth, snapshotLimit, staleAfterSeconds, syncDeadlineSeconds, simulatorStepMilliseconds
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        enabled = try c.value(.enabled, enabled)
        simulate = try c.value(.simulate, simulate)
        url = try c.value(.url, url)
        simulatorStepMilliseconds = try c.value(.simulatorStepMilliseconds, simulatorStepMilliseconds)
        feed.restURL = try c.value(.restUrl, feed.restURL)
        feed.symbols = try c.value(.symbols, feed.symbols)
        feed.trades = try c.value(.trades, feed.trades)
        feed.bookDepth = try c.value(.bookDepth, feed.bookDepth)
        feed.snapshotLimit = try c.value(.snapshotLimit, feed.snapshotLimit)
        feed.staleAfterSeconds = try c.value(.staleAfterSeconds, feed.staleAfterSeconds)
        feed.syncDeadlineSeconds = try c.value(.syncDeadlineSeconds, feed.syncDeadlineSeconds)
    }

    public func validate(_ check: ConfigCheck) throws(ConfigError) {
        if !simulate {
            try check.webSocketURL(url)
            try check.require(feed.restURL.hasPrefix("https://") || feed.restURL.hasPrefix("http://"), "restUrl", "must be an http(s):// URL")
        }
        try check.unifiedSymbols(feed.symbols, example: "BTC/USDT")
        try check.require(["aggTrade", "trade"].contains(feed.trades), "trades", "must be aggTrade or trade")
        try check.require((1...1000).contains(feed.bookDepth), "bookDepth", "must be between 1 and 1000")
        try check.require(
            [5, 10, 20, 50, 100, 500, 1000, 5000].contains(feed.snapshotLimit), "snapshotLimit", "must be one of 5, 10, 20, 50, 100, 500, 1000, 5000")
        try check.require(feed.staleAfterSeconds >= 5, "staleAfterSeconds", "must be at least 5")
        try check.require(feed.syncDeadlineSeconds >= 1 && feed.syncDeadlineSeconds <= 3600, "syncDeadlineSeconds", "must be from 1 to 3600")
        try check.simulatorStep(simulatorStepMilliseconds)
    }
}
