import HubCore

/// Deribit's fields and the registered properties they become (ccxt-style names).
public enum DeribitField: UInt16, CaseIterable, Sendable {
    // ticker
    case bestBidPrice, bestAskPrice, bestBidAmount, bestAskAmount, lastPrice, markPrice, indexPrice
    case openInterest, statsVolume, statsVolumeUsd, statsHigh, statsLow, statsPriceChange
    case currentFunding, funding8h, settlementPrice, estimatedDeliveryPrice, state
    // option ticker
    case underlyingPrice, underlyingIndex, markIv, bidIv, askIv, interestRate
    case delta, gamma, vega, theta, rho
    // option contract (from the instrument name)
    case strike, expiry, optionType, baseCurrency
    // trades
    case price, amount, direction, tradeId, tradeSeq, tickDirection, tradeIv
    // book
    case bids, asks

    public var mapping: VenueSchema.FieldMapping {
        switch self {
        case .bestBidPrice: return .init("best_bid_price", "bid")
        case .bestAskPrice: return .init("best_ask_price", "ask")
        case .bestBidAmount: return .init("best_bid_amount", "bidVolume")
        case .bestAskAmount: return .init("best_ask_amount", "askVolume")
        case .lastPrice: return .init("last_price", "last")
        case .markPrice: return .init("mark_price", "markPrice")
        case .indexPrice: return .init("index_price", "indexPrice")
        case .openInterest: return .init("open_interest", "openInterest")
        case .statsVolume: return .init("stats.volume", "baseVolume")
        case .statsVolumeUsd: return .init("stats.volume_usd", "quoteVolume")
        case .statsHigh: return .init("stats.high", "high")
        case .statsLow: return .init("stats.low", "low")
        case .statsPriceChange: return .init("stats.price_change", "percentage")
        case .currentFunding: return .init("current_funding", "fundingRate")
        case .funding8h: return .init("funding_8h", "funding8h")
        case .settlementPrice: return .init("settlement_price", "settlementPrice")
        case .estimatedDeliveryPrice: return .init("estimated_delivery_price", "estimatedDeliveryPrice")
        case .state: return .init("state", "state")
        case .underlyingPrice: return .init("underlying_price", "underlyingPrice")
        case .underlyingIndex: return .init("underlying_index", "underlyingIndex")
        case .markIv: return .init("mark_iv", "markIv")
        case .bidIv: return .init("bid_iv", "bidIv")
        case .askIv: return .init("ask_iv", "askIv")
        case .interestRate: return .init("interest_rate", "interestRate")
        case .delta: return .init("greeks.delta", "delta")
        case .gamma: return .init("greeks.gamma", "gamma")
        case .vega: return .init("greeks.vega", "vega")
        case .theta: return .init("greeks.theta", "theta")
        case .rho: return .init("greeks.rho", "rho")
        case .strike: return .init("instrument_name (strike)", "strike")
        case .expiry: return .init("instrument_name (expiry)", "expiry")
        case .optionType: return .init("instrument_name (type)", "optionType")
        case .baseCurrency: return .init("instrument_name (currency)", "base")
        case .price: return .init("price", "price")
        case .amount: return .init("amount", "amount")
        case .direction: return .init("direction", "side")
        case .tradeId: return .init("trade_id", "tradeId")
        case .tradeSeq: return .init("trade_seq", "tradeSeq")
        case .tickDirection: return .init("tick_direction", "tickDirection")
        case .tradeIv: return .init("iv", "iv")
        case .bids: return .init("bids", "bids")
        case .asks: return .init("asks", "asks")
        }
    }

    public static let schema = VenueSchema(source: "deribit", fields: allCases.map(\.mapping))
}

extension RawField {
    @inline(__always)
    init(_ field: DeribitField, _ value: PropertyValue) {
        self.init(field.rawValue, value)
    }
}
