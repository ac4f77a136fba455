import HubCore

/// Coinbase Advanced Trade fields and the registered properties they become.
public enum CoinbaseField: UInt16, CaseIterable, Sendable {
    // ticker
    case price, volume24h, low24h, high24h, percentChange24h, bestBid, bestBidQuantity, bestAsk, bestAskQuantity
    // market_trades
    case tradePrice, size, side, tradeId
    // level2 (top levels of the book)
    case bids, asks

    public var mapping: VenueSchema.FieldMapping {
        switch self {
        case .price: return .init("price", "last")
        case .volume24h: return .init("volume_24_h", "baseVolume")
        case .low24h: return .init("low_24_h", "low")
        case .high24h: return .init("high_24_h", "high")
        case .percentChange24h: return .init("price_percent_chg_24_h", "percentage")
        case .bestBid: return .init("best_bid", "bid")
        case .bestBidQuantity: return .init("best_bid_quantity", "bidVolume")
        case .bestAsk: return .init("best_ask", "ask")
        case .bestAskQuantity: return .init("best_ask_quantity", "askVolume")
        case .tradePrice: return .init("trades[].price", "price")
        case .size: return .init("trades[].size", "amount")
        case .side: return .init("trades[].side (lower-cased)", "side")
        case .tradeId: return .init("trades[].trade_id", "tradeId")
        case .bids: return .init("l2_data bid levels", "bids")
        case .asks: return .init("l2_data offer levels", "asks")
        }
    }

    public static let schema = VenueSchema(source: "coinbase", fields: allCases.map(\.mapping))
}

extension RawField {
    @inline(__always)
    init(coinbase field: CoinbaseField, _ value: PropertyValue) {
        self.init(field.rawValue, value)
    }
}
