import HubCore

/// One decoded Polymarket market-channel event (a frame may carry an array of them).
public enum PolymarketMessage: Equatable, Sendable {
    /// The full book of one outcome token.
    case book(asset: String, bids: [PriceLevel], asks: [PriceLevel], time: Int64, hash: String?)
    /// Level changes (absolute sizes, 0 removes), each with the venue's best bid/ask after it.
    case priceChanges([PriceChange], time: Int64)
    case lastTrade(asset: String, price: Double, size: Double, side: String, time: Int64)
    case tickSize(asset: String, old: Double?, new: Double?)
    case bestBidAsk(asset: String, bid: Double?, ask: Double?, time: Int64)
    case resolved(winningAsset: String?)
    /// The answer to the client's text `PING`.
    case pong
    case ignored

    public struct PriceChange: Equatable, Sendable {
        public let asset: String
        public let price: Double
        public let size: Double
        /// BUY changes the bid side, SELL the ask side.
        public let buy: Bool
        public let bestBid: Double?
        public let bestAsk: Double?
        public let hash: String?
    }
}
