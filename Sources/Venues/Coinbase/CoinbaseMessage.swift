import HubCore

/// One decoded Coinbase Advanced Trade message: the channel envelope's sequence number and
/// what its events say.
public struct CoinbaseMessage: Equatable, Sendable {
    /// Per connection, +1 for every message on any channel.
    public let sequence: UInt64?
    public let body: Body

    public enum Body: Equatable, Sendable {
        case ticker([Ticker])
        case trades(snapshot: Bool, [Trade])
        /// `l2_data`: a product's full book (`snapshot`) or changes (`update`).
        case level2([BookEvent])
        case heartbeat(counter: UInt64)
        /// `subscriptions`: what the connection is now subscribed to (channel → products).
        case subscriptions([String: [String]])
        case error(String)
        case ignored
    }

    public struct Ticker: Equatable, Sendable {
        public let product: String
        public let price: Double?
        public let volume24h: Double?
        public let low24h: Double?
        public let high24h: Double?
        public let percentChange24h: Double?
        public let bestBid: Double?
        public let bestBidQuantity: Double?
        public let bestAsk: Double?
        public let bestAskQuantity: Double?
    }

    public struct Trade: Equatable, Sendable {
        public let id: String
        public let product: String
        public let price: Double
        public let size: Double
        /// `buy` or `sell` (the taker's side).
        public let side: String
        /// Milliseconds since the epoch.
        public let time: Int64
    }

    public struct BookEvent: Equatable, Sendable {
        public let product: String
        public let snapshot: Bool
        /// (side is bid, price, new quantity): absolute, 0 removes.
        public let updates: [(bid: Bool, price: Double, quantity: Double)]

        public static func == (a: BookEvent, b: BookEvent) -> Bool {
            a.product == b.product && a.snapshot == b.snapshot && a.updates.count == b.updates.count
                && zip(a.updates, b.updates).allSatisfy { $0.bid == $1.bid && $0.price == $1.price && $0.quantity == $1.quantity }
        }
    }
}
