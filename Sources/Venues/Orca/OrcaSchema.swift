import HubCore

/// ORCA `orca.v1` fields and the registered properties they become (docs/feeds/orca.md).
public enum OrcaField: UInt16, CaseIterable, Sendable {
    case oddsDecimal, oddsAmerican, bookmaker, event, participant, outcome, marketType, line, commenceTime, eventStatus, suspended, outcomeCount
    case sport, league, home, away, outcomeName

    public var mapping: VenueSchema.FieldMapping {
        switch self {
        case .oddsDecimal: return .init("decimal", "oddsDecimal")
        case .oddsAmerican: return .init("american", "oddsAmerican")
        case .bookmaker: return .init("bookmaker", "bookmaker")
        case .event: return .init("eventId", "event")
        case .participant: return .init("participant / outcome name", "participant")
        case .outcome: return .init("outcomeId", "outcome")
        case .marketType: return .init("marketType", "marketType")
        case .line: return .init("line", "line")
        case .commenceTime: return .init("commenceTime", "commenceTime")
        case .eventStatus: return .init("event status", "eventStatus")
        case .suspended: return .init("suspended (or removed)", "suspended")
        case .outcomeCount: return .init("the market's outcomes", "outcomeCount")
        case .sport: return .init("sport", "sport")
        case .league: return .init("league", "league")
        case .home: return .init("participants[0]", "home")
        case .away: return .init("participants[1]", "away")
        case .outcomeName: return .init("outcome name", "outcomeName")
        }
    }

    public static let schema = VenueSchema(source: "orca", fields: allCases.map(\.mapping))
}

extension RawField {
    @inline(__always)
    init(orca field: OrcaField, _ value: PropertyValue) {
        self.init(field.rawValue, value)
    }
}

/// Which ORCA streams the adapter follows.
public struct OrcaFeedConfig: Sendable, Equatable {
    /// Streams (sports) to subscribe.
    public var streams = ["soccer", "basketball"]
    public init() {}

    /// The channel instrument of one quote: `<eventId>/<marketId>/<outcomeId>/<bookmaker>`.
    public static func instrument(event: String, market: String, outcome: String, bookmaker: String) -> String {
        "\(event)/\(market)/\(outcome)/\(bookmaker)"
    }
}
