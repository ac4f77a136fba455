import HubCore

/// What the Binance adapter subscribes to.
public struct BinanceFeedConfig: Sendable, Equatable {
    /// Unified symbols (`BTC/USDT`).
    public var symbols: [String] = ["BTC/USDT", "ETH/USDT"]
    /// `aggTrade` (Binance's aggregated trades) or `trade` (every fill).
    public var trades = "aggTrade"
    /// Levels per side published on `book.binance.<symbol>`.
    public var bookDepth = 10
    /// REST base for depth snapshots (`GET /api/v3/depth`).
    public var restURL = "https://api.binance.com"
    /// Levels per side in the snapshot (Binance allows up to 5000).
    public var snapshotLimit = 1000
    /// No frame for this long means the connection is stale (Binance streams can be quiet).
    public var staleAfterSeconds = 60.0
    /// A symbol still unsynchronised this long after the connection (or its gap) makes the
    /// source `degraded`; before that it only waits (a quiet symbol has no depth events to
    /// synchronise with).
    public var syncDeadlineSeconds = 30.0

    public init() {}
}
