import HubCore

/// One decoded Binance spot stream message (combined `{"stream","data"}` or raw).
public enum BinanceMessage: Equatable, Sendable {
    /// `<symbol>@bookTicker`: best bid and ask.
    case bookTicker(symbol: String, bid: Double, bidQty: Double, ask: Double, askQty: Double, updateId: UInt64)
    /// `aggTrade` (id = aggregate id) or `trade`.
    case trade(symbol: String, price: Double, quantity: Double, buyerIsMaker: Bool, id: UInt64, time: Int64)
    /// `depthUpdate`: changes with update ids `first…last` (absolute quantities, 0 removes).
    case depth(DepthUpdate)
    /// A reply to SUBSCRIBE / UNSUBSCRIBE (`error` set when it failed).
    case response(id: Int64, error: String?)
    /// The venue will close the connection soon.
    case serverShutdown
    /// A stream the hub does not use (klines, …).
    case ignored

    public struct DepthUpdate: Equatable, Sendable {
        public let symbol: String
        public let first: UInt64
        public let last: UInt64
        public let bids: [PriceLevel]
        public let asks: [PriceLevel]
        public let time: Int64

        public init(symbol: String, first: UInt64, last: UInt64, bids: [PriceLevel], asks: [PriceLevel], time: Int64) {
            self.symbol = symbol
            self.first = first
            self.last = last
            self.bids = bids
            self.asks = asks
            self.time = time
        }
    }
}

/// `GET /api/v3/depth`: the book at `lastUpdateId`.
public struct BinanceDepthSnapshot: Equatable, Sendable {
    public let lastUpdateId: UInt64
    public let bids: [PriceLevel]
    public let asks: [PriceLevel]

    public init(lastUpdateId: UInt64, bids: [PriceLevel], asks: [PriceLevel]) {
        self.lastUpdateId = lastUpdateId
        self.bids = bids
        self.asks = asks
    }
}
