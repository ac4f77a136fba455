import HubCore

/// Kalshi trade API v2 fields and the registered properties they become. Prices are dollars
/// of a $1 contract, i.e. probabilities.
public enum KalshiField: UInt16, CaseIterable, Sendable {
    case yesBid, yesAsk, noBid, noAsk, lastPrice, volume, openInterest, bids, asks, price, amount, side, tradeId

    public var mapping: VenueSchema.FieldMapping {
        switch self {
        case .yesBid: return .init("yes_bid_dollars / book", "yesBid")
        case .yesAsk: return .init("yes_ask_dollars / 1 − best no bid", "yesAsk")
        case .noBid: return .init("best no bid", "noBid")
        case .noAsk: return .init("1 − best yes bid", "noAsk")
        case .lastPrice: return .init("price_dollars", "lastPrice")
        case .volume: return .init("volume_fp", "volume")
        case .openInterest: return .init("open_interest_fp", "openInterest")
        case .bids: return .init("yes_dollars_fp (YES bids)", "bids")
        case .asks: return .init("no_dollars_fp as 1 − price (YES asks)", "asks")
        case .price: return .init("yes_price_dollars", "price")
        case .amount: return .init("count_fp", "amount")
        case .side: return .init("taker_side (yes → buy, no → sell)", "side")
        case .tradeId: return .init("trade_id", "tradeId")
        }
    }

    public static let schema = VenueSchema(source: "kalshi", fields: allCases.map(\.mapping))
}

extension RawField {
    @inline(__always)
    init(kalshi field: KalshiField, _ value: PropertyValue) {
        self.init(field.rawValue, value)
    }
}

/// What the Kalshi adapter subscribes to and how it logs in.
public struct KalshiFeedConfig: Sendable, Equatable {
    /// Market tickers (`FED-23DEC-T3.00`).
    public var markets: [String] = []
    /// The API key id and its RSA private key (PEM text); every connection is signed.
    public var keyID = ""
    public var privateKeyPEM = ""
    public var bookDepth = 10
    /// Kalshi pings every 10 s (answered by the WebSocket layer); with no data frame for this
    /// long the connection is treated as stale.
    public var staleAfterSeconds = 120.0
    /// After this long without a data frame the adapter asks `list_subscriptions`, whose answer
    /// keeps a quiet but healthy connection from going stale.
    public var probeAfterSeconds = 30.0
    public init() {}
}
