import HubCore

/// Binance stream fields and the registered properties they become. Futures fields come last,
/// so spot's schema is the prefix without them.
public enum BinanceField: UInt16, CaseIterable, Sendable {
    // bookTicker
    case bidPrice, bidQty, askPrice, askQty
    // aggTrade / trade
    case price, quantity, side, tradeId
    // depth (top levels of the synchronised book)
    case bids, asks
    // markPriceUpdate (futures)
    case markPrice, indexPrice, fundingRate, nextFundingTime

    public var mapping: VenueSchema.FieldMapping {
        switch self {
        case .bidPrice: return .init("b", "bid")
        case .bidQty: return .init("B", "bidVolume")
        case .askPrice: return .init("a", "ask")
        case .askQty: return .init("A", "askVolume")
        case .price: return .init("p", "price")
        case .quantity: return .init("q", "amount")
        case .side: return .init("m (buyer is maker → sell)", "side")
        case .tradeId: return .init("a / t", "tradeId")
        case .bids: return .init("bids (book)", "bids")
        case .asks: return .init("asks (book)", "asks")
        case .markPrice: return .init("p (markPriceUpdate)", "markPrice")
        case .indexPrice: return .init("i", "indexPrice")
        case .fundingRate: return .init("r", "fundingRate")
        case .nextFundingTime: return .init("T (markPriceUpdate)", "nextFundingTime")
        }
    }

    /// The fields `market` publishes.
    public static func schema(_ market: BinanceMarket) -> VenueSchema {
        let fields = market.hasMarkPrice ? allCases : allCases.filter { $0.rawValue < markPrice.rawValue }
        return VenueSchema(source: market.id, fields: fields.map(\.mapping))
    }
}

extension RawField {
    @inline(__always)
    init(binance field: BinanceField, _ value: PropertyValue) {
        self.init(field.rawValue, value)
    }
}
