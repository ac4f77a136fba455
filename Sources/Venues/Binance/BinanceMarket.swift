import HubCore

/// What differs between Binance's markets that share one wire format: spot
/// (`stream.binance.com`, `/api/v3/depth`) and USDⓈ-M futures (`fstream.binance.com`,
/// `/fapi/v1/depth`, `Sources/Venues/BinanceFutures/`). The codec, the depth procedure, the
/// adapter and the simulator take one of these; each market is its own venue.
public struct BinanceMarket: Sendable, Equatable {
    /// The venue id (`binance`, `binance-futures`).
    public let id: String
    public let defaultURL: String
    public let defaultRestURL: String
    /// REST depth snapshot path.
    public let depthPath: String
    /// Depth limits the snapshot endpoint accepts.
    public let snapshotLimits: [Int]
    /// Trade streams offered (`aggTrade`, and on spot `trade`).
    public let tradeStreams: [String]
    /// Streams subscribed per symbol besides trades, bookTicker and depth (`markPrice@1s`).
    public let extraStreams: [String]
    /// Futures depth events name the previous event's last id (`pu`): continuity is
    /// `pu` = previous `u`, and the first event after a snapshot covers `lastUpdateId` itself.
    /// Spot events follow on by id: `U` = previous `u` + 1.
    public let chainsByPrevious: Bool
    /// Symbols carry their settlement currency (`BTC/USDT:USDT`, ccxt's form for linear swaps).
    public let settles: Bool
    /// The other markets' endpoints — a host whose first label starts with `label` under one of
    /// `domains` (any domain when empty) — with what to say when a section points at one (a spot
    /// venue on futures endpoints would see nothing but false gaps).
    public let foreignHosts: [(label: String, domains: [String], advice: String)]

    public static func == (a: BinanceMarket, b: BinanceMarket) -> Bool { a.id == b.id }

    /// Binance spot.
    public static let spot = BinanceMarket(
        id: "binance", defaultURL: "wss://stream.binance.com:9443", defaultRestURL: "https://api.binance.com", depthPath: "/api/v3/depth",
        snapshotLimits: [5, 10, 20, 50, 100, 500, 1000, 5000], tradeStreams: ["aggTrade", "trade"], extraStreams: [], chainsByPrevious: false,
        settles: false,
        foreignHosts: [
            ("fstream", [], "is Binance USDⓈ-M futures: configure it under feeds.binance-futures"),
            ("fapi", [], "is Binance USDⓈ-M futures: configure it under feeds.binance-futures"),
            ("", ["binancefuture.com"], "is Binance's futures testnet: configure it under feeds.binance-futures"),
            ("dstream", [], "is Binance COIN-M futures, which StreamHub does not speak"),
            ("dapi", [], "is Binance COIN-M futures, which StreamHub does not speak"),
        ])

    /// It streams mark price, index and funding (`markPrice@1s`): its schema and properties
    /// include them.
    public var hasMarkPrice: Bool { extraStreams.contains { $0.hasPrefix("markPrice") } }

    /// The example a symbol error shows.
    public var symbolExample: String { settles ? "BTC/USDT:USDT" : "BTC/USDT" }

    /// The advice for `url` when it points at another market's endpoint.
    func foreign(_ url: String) -> String? {
        // scheme://user@host:port/path → host
        let authority = url.split(separator: "/", omittingEmptySubsequences: false).dropFirst(2).first ?? ""
        let host = authority.split(separator: "@").last?.split(separator: ":").first.map { $0.lowercased() } ?? ""
        let labels = host.split(separator: ".", maxSplits: 1)
        guard labels.count == 2 else { return nil }
        let first = labels[0], domain = String(labels[1])
        return foreignHosts.first { first.hasPrefix($0.label) && ($0.domains.isEmpty || $0.domains.contains(domain)) }.map { "\(host) \($0.advice)" }
    }
}

/// A Binance market as a type, so each market's settings and venue are their own types.
public protocol BinanceMarketKind: Sendable {
    static var market: BinanceMarket { get }
}

/// Binance spot (`feeds.binance`).
public enum BinanceSpot: BinanceMarketKind {
    public static let market = BinanceMarket.spot
}
