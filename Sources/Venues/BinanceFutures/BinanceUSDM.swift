import HubCore

extension BinanceMarket {
    /// Binance USDⓈ-M futures (linear perpetual and delivery contracts settled in USDT or USDC):
    /// the spot wire format plus `pu` on depth events, an event type on bookTicker and the
    /// markPrice stream; snapshots from `/fapi/v1/depth` (at most 1000 levels).
    public static let usdm = BinanceMarket(
        id: "binance-futures", defaultURL: "wss://fstream.binance.com", defaultRestURL: "https://fapi.binance.com", depthPath: "/fapi/v1/depth",
        snapshotLimits: [5, 10, 20, 50, 100, 500, 1000], tradeStreams: ["aggTrade"], extraStreams: ["markPrice@1s"], chainsByPrevious: true,
        settles: true,
        foreignHosts: [
            ("stream", ["binance.com"], "is Binance spot: configure it under feeds.binance"),
            ("api", ["binance.com"], "is Binance spot: configure it under feeds.binance"),
            ("data-", ["binance.vision"], "is Binance spot market data: configure it under feeds.binance"),
            ("testnet", ["binance.vision"], "is Binance's spot testnet: configure it under feeds.binance"),
            ("dstream", [], "is Binance COIN-M futures, which StreamHub does not speak"),
            ("dapi", [], "is Binance COIN-M futures, which StreamHub does not speak"),
        ])
}

/// Binance USDⓈ-M futures (`feeds.binance-futures`).
public enum BinanceUSDM: BinanceMarketKind {
    public static let market = BinanceMarket.usdm
}
