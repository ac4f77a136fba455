import HubCore

/// Polymarket CLOB market-channel fields and the registered properties they become.
public enum PolymarketField: UInt16, CaseIterable, Sendable {
    case bestBid, bestAsk, lastPrice, outcome, price, size, side, bids, asks

    public var mapping: VenueSchema.FieldMapping {
        switch self {
        case .bestBid: return .init("best_bid", "bestBid")
        case .bestAsk: return .init("best_ask", "bestAsk")
        case .lastPrice: return .init("last_trade_price.price", "lastPrice")
        case .outcome: return .init("outcome (configured)", "outcome")
        case .price: return .init("last_trade_price.price", "price")
        case .size: return .init("last_trade_price.size", "amount")
        case .side: return .init("last_trade_price.side (lower-cased)", "side")
        case .bids: return .init("book bids", "bids")
        case .asks: return .init("book asks", "asks")
        }
    }

    public static let schema = VenueSchema(source: "polymarket", fields: allCases.map(\.mapping))
}

extension RawField {
    @inline(__always)
    init(polymarket field: PolymarketField, _ value: PropertyValue) {
        self.init(field.rawValue, value)
    }
}

/// What the Polymarket adapter subscribes to.
public struct PolymarketFeedConfig: Sendable, Equatable {
    /// An outcome token to follow: its CLOB token id, the instrument name it is published under
    /// (a short label; the token id when empty) and the outcome it pays on.
    public struct Asset: Sendable, Equatable {
        public var id: String
        public var name: String
        public var outcome: String
        public init(id: String, name: String = "", outcome: String = "") {
            self.id = id
            self.name = name
            self.outcome = outcome
        }
        public var instrument: String { name.isEmpty ? id : name }
    }

    public var assets: [Asset] = []
    /// Levels per side published on `book.polymarket.<name>`.
    public var bookDepth = 10
    /// The client's text `PING` interval (the venue answers `PONG`).
    public var pingSeconds = 10.0
    /// No message (not even `PONG`) for this long means the connection is stale.
    public var staleAfterSeconds = 30.0
    public init() {}
}
