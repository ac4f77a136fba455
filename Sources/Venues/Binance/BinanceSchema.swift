import HubCore

/// Binance spot stream fields and the registered properties they become.
public enum BinanceField: UInt16, CaseIterable, Sendable {
    // bookTicker
    case bidPrice, bidQty, askPrice, askQty
    // aggTrade / trade
    case price, quantity, side, tradeId
    // depth (top levels of the synchronised book)
    case bids, asks

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
        }
    }

    public static let schema = VenueSchema(source: "binance", fields: allCases.map(\.mapping))
}

extension RawField {
    @inline(__always)
    init(binance field: BinanceField, _ value: PropertyValue) {
        self.init(field.rawValue, value)
    }
}
