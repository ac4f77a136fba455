import HubCore

/// One bookmaker's quote for an outcome.
public struct OrcaPrice: Equatable, Sendable {
    public var bookmaker: String
    public var decimal: Double
    public var american: Int64
    public var updatedAt: Int64
    public var suspended: Bool
    public init(bookmaker: String, decimal: Double, american: Int64, updatedAt: Int64, suspended: Bool = false) {
        self.bookmaker = bookmaker
        self.decimal = decimal
        self.american = american
        self.updatedAt = updatedAt
        self.suspended = suspended
    }
}

public struct OrcaOutcome: Equatable, Sendable {
    public var outcomeId: String
    public var name: String
    public var participant: String?
    public var prices: [OrcaPrice]
    public init(outcomeId: String, name: String, participant: String? = nil, prices: [OrcaPrice]) {
        self.outcomeId = outcomeId
        self.name = name
        self.participant = participant
        self.prices = prices
    }
}

public struct OrcaMarket: Equatable, Sendable {
    public var marketId: String
    /// `moneyline`, `spread` or `total` (other values reach validation, which quarantines them).
    public var marketType: String
    public var line: Double?
    public var outcomes: [OrcaOutcome]
    public init(marketId: String, marketType: String, line: Double? = nil, outcomes: [OrcaOutcome]) {
        self.marketId = marketId
        self.marketType = marketType
        self.line = line
        self.outcomes = outcomes
    }
}

public struct OrcaEvent: Equatable, Sendable {
    public var eventId: String
    public var sport: String
    public var league: String
    public var participants: [String]
    /// Milliseconds since the Unix epoch.
    public var commenceTime: Int64
    public var status: String
    public var markets: [OrcaMarket]
    public init(eventId: String, sport: String, league: String, participants: [String], commenceTime: Int64, status: String, markets: [OrcaMarket]) {
        self.eventId = eventId
        self.sport = sport
        self.league = league
        self.participants = participants
        self.commenceTime = commenceTime
        self.status = status
        self.markets = markets
    }
}

/// One change of a `delta` (docs/feeds/orca.md).
public enum OrcaChange: Equatable, Sendable {
    case price(eventId: String, marketId: String, outcomeId: String, OrcaPrice)
    case priceRemoved(eventId: String, marketId: String, outcomeId: String, bookmaker: String)
    case market(eventId: String, OrcaMarket)
    case marketRemoved(eventId: String, marketId: String)
    case event(OrcaEvent)
    case eventStatus(eventId: String, status: String)
    case eventRemoved(eventId: String)
    /// A kind this client does not know (a newer server): the stream is taken again from a snapshot.
    case unknown(kind: String)
}

/// One decoded `orca.v1` message.
public enum OrcaMessage: Equatable, Sendable {
    case hello(heartbeatMs: Int64, retention: Int64, streams: [String])
    case subscribed(id: Int64?, stream: String, seq: Int64, resumed: Bool)
    case snapshot(stream: String, seq: Int64, events: [OrcaEvent])
    case delta(stream: String, seq: Int64, changes: [OrcaChange])
    case heartbeat(seqs: [String: Int64])
    case unsubscribed(id: Int64?, stream: String)
    case pong(id: Int64?)
    case error(id: Int64?, code: String, message: String)
}
