import HubCore

/// What the Binance adapter subscribes to, on which market.
public struct BinanceFeedConfig: Sendable, Equatable {
    public var market: BinanceMarket
    /// Unified symbols (`BTC/USDT`; `BTC/USDT:USDT` on futures).
    public var symbols: [String]
    /// `aggTrade` (Binance's aggregated trades) or, on spot, `trade` (every fill).
    public var trades = "aggTrade"
    /// Levels per side published on `book.<venue>.<symbol>`.
    public var bookDepth = 10
    /// REST base for depth snapshots (`GET /api/v3/depth`, `/fapi/v1/depth`).
    public var restURL: String
    /// Levels per side in the snapshot (spot allows up to 5000, futures 1000).
    public var snapshotLimit = 1000
    /// No frame for this long means the connection is stale (Binance streams can be quiet).
    public var staleAfterSeconds = 60.0
    /// A symbol still unsynchronised this long after the connection (or its gap) makes the
    /// source `degraded`; before that it only waits (a quiet symbol has no depth events to
    /// synchronise with).
    public var syncDeadlineSeconds = 30.0

    public init(market: BinanceMarket = .spot) {
        self.market = market
        restURL = market.defaultRestURL
        symbols = market.settles ? ["BTC/USDT:USDT", "ETH/USDT:USDT"] : ["BTC/USDT", "ETH/USDT"]
    }
}
