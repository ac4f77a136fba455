import HubCore

/// How the Binance simulator listens and behaves.
public struct BinanceSimulatorConfig: Sendable, Equatable {
    /// Spot or USDⓈ-M futures: paths, frame shapes and update-id numbering follow the market.
    public var market: BinanceMarket
    public var host = "127.0.0.1"
    /// 0 lets the OS choose a free port (`BinanceSimulator.port`).
    public var port = 0
    /// Venue symbols and their starting mid prices.
    public var symbols: [String: Double] = ["BTCUSDT": 65_000, "ETHUSDT": 3_200, "SOLUSDT": 150]
    /// Every step changes some book levels (one depthUpdate per symbol) and the best prices.
    public var stepMilliseconds = 100
    /// Levels per side the simulated books hold.
    public var levels = 50
    public var seed: UInt64 = 7
    /// Frames queued for a client that does not read before the simulator drops it.
    public var maxQueuedFrames = 50_000

    public init(market: BinanceMarket = .spot) {
        self.market = market
    }
}
