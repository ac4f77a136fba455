import HubCore

/// One decoded Binance stream message, spot or USDⓈ-M futures (combined `{"stream","data"}` or raw).
public enum BinanceMessage: Equatable, Sendable {
    /// `<symbol>@bookTicker`: best bid and ask; `time` is the transaction time futures send (0 on spot).
    case bookTicker(symbol: String, bid: Double, bidQty: Double, ask: Double, askQty: Double, updateId: UInt64, time: Int64)
    /// `aggTrade` (id = aggregate id) or `trade`.
    case trade(symbol: String, price: Double, quantity: Double, buyerIsMaker: Bool, id: UInt64, time: Int64)
    /// `depthUpdate`: changes with update ids `first…last` (absolute quantities, 0 removes).
    case depth(DepthUpdate)
    /// `markPriceUpdate` (futures): mark and index price, funding.
    case markPrice(MarkPrice)
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
        /// Futures only (`pu`): the previous event's `last`.
        public let previous: UInt64?

        public init(symbol: String, first: UInt64, last: UInt64, bids: [PriceLevel], asks: [PriceLevel], time: Int64, previous: UInt64? = nil) {
            self.symbol = symbol
            self.first = first
            self.last = last
            self.bids = bids
            self.asks = asks
            self.time = time
            self.previous = previous
        }
    }

    /// `<symbol>@markPrice@1s`. Delivery contracts send `"r":""` and `"T":0`: no funding, nil here.
    public struct MarkPrice: Equatable, Sendable {
        public let symbol: String
        public let mark: Double
        public let index: Double?
        public let fundingRate: Double?
        /// Next funding time, ms since the Unix epoch.
        public let nextFundingTime: Int64?
        public let time: Int64

        public init(symbol: String, mark: Double, index: Double?, fundingRate: Double?, nextFundingTime: Int64?, time: Int64) {
            self.symbol = symbol
            self.mark = mark
            self.index = index
            self.fundingRate = fundingRate
            self.nextFundingTime = nextFundingTime
            self.time = time
        }
    }
}

/// `GET /api/v3/depth` (spot) or `/fapi/v1/depth` (futures): the book at `lastUpdateId`.
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
