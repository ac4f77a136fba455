import HubCore

/// What the Coinbase adapter subscribes to.
public struct CoinbaseFeedConfig: Sendable, Equatable {
    /// Unified symbols (`BTC/USD`); Coinbase's products are `BTC-USD`.
    public var symbols: [String] = ["BTC/USD", "ETH/USD"]
    /// Levels per side published on `book.coinbase.<symbol>`.
    public var bookDepth = 10
    /// No message for this long means the connection is stale (heartbeats come every second).
    public var staleAfterSeconds = 10.0

    public init() {}

    /// `BTC/USD` → `BTC-USD`.
    public static func product(_ unified: String) -> String { unified.replacingOccurrences(of: "/", with: "-").uppercased() }
    /// `BTC-USD` → `BTC/USD`.
    public static func unified(_ product: String) -> String { product.replacingOccurrences(of: "-", with: "/") }
}
