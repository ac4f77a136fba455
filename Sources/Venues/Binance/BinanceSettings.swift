import HubCore

/// `feeds.binance` (and `feeds.binance-futures`): Binance combined streams plus REST depth
/// snapshots, for the market `Kind` names.
public struct BinanceSettingsOf<Kind: BinanceMarketKind>: VenueSettings {
    public var enabled = false
    public var simulate = false
    /// The WebSocket base; the adapter appends `/stream?streams=…`.
    public var url = Kind.market.defaultURL
    public var feed = BinanceFeedConfig(market: Kind.market)
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
        let market = Kind.market
        if !simulate {
            try check.webSocketURL(url)
            try check.require(feed.restURL.hasPrefix("https://") || feed.restURL.hasPrefix("http://"), "restUrl", "must be an http(s):// URL")
            // Another market's endpoints speak the same shapes with other sequencing rules.
            try check.require(market.foreign(url) == nil, "url", market.foreign(url) ?? "")
            try check.require(market.foreign(feed.restURL) == nil, "restUrl", market.foreign(feed.restURL) ?? "")
        }
        try check.unifiedSymbols(feed.symbols, example: market.symbolExample, settled: market.settles)
        let trades = market.tradeStreams
        try check.require(trades.contains(feed.trades), "trades", "must be \(trades.joined(separator: " or "))")
        try check.require((1...1000).contains(feed.bookDepth), "bookDepth", "must be between 1 and 1000")
        let limits = market.snapshotLimits.map { "\($0)" }.joined(separator: ", ")
        try check.require(market.snapshotLimits.contains(feed.snapshotLimit), "snapshotLimit", "must be one of \(limits)")
        try check.require(feed.staleAfterSeconds >= 5, "staleAfterSeconds", "must be at least 5")
        try check.require(feed.syncDeadlineSeconds >= 1 && feed.syncDeadlineSeconds <= 3600, "syncDeadlineSeconds", "must be from 1 to 3600")
        try check.simulatorStep(simulatorStepMilliseconds)
    }
}

/// `feeds.binance`.
public typealias BinanceSettings = BinanceSettingsOf<BinanceSpot>
