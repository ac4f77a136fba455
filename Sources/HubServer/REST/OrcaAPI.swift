import Foundation
import HubCore
import Venues
import WebSocketLoop

/// `GET /api/orca/events` and `GET /api/orca/events/:id/odds`: the ORCA events the adapter
/// holds, and one event's markets with every bookmaker's price, the best line and sharp-book
/// consensus per outcome — what the caller's roles let through (channels, properties, flags).
///
/// Threading: loop-confined (the adapters are).
final class OrcaAPI {
    private let feeds: () -> [OrcaFeed]
    private let enrich: Enrich
    private let registry: PropertyRegistry

    init(feeds: @escaping () -> [OrcaFeed], enrich: Enrich, registry: PropertyRegistry) {
        self.feeds = feeds
        self.enrich = enrich
        self.registry = registry
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/orca/events", .scope("state:read")) { [unowned self] req, p, respond in respond(list(req, p.caller!)) }
        router.add("GET", "/api/orca/events/:id/odds", .scope("state:read")) { [unowned self] _, p, respond in respond(odds(p["id"]!, p.caller!)) }
    }

    struct EventSummary: Encodable {
        let eventId: String
        let sport: String
        let league: String
        let participants: [String]
        let commenceTime: Int64
        let status: String
        let markets: Int
    }

    struct Events: Encodable {
        let events: [EventSummary]
        let count: Int
    }

    /// Each figure only when the caller may see that property.
    struct Price: Encodable {
        let bookmaker: String
        let decimal: Double?
        let american: Int64?
        let updatedAt: Int64
        let suspended: Bool?
        let channel: String
    }

    struct Best: Encodable {
        let bookmaker: String
        let decimal: Double
    }

    struct Outcome: Encodable {
        let outcomeId: String
        let name: String
        let participant: String?
        let best: Best?
        let impliedProbability: Double?
        let sharpConsensus: Double?
        let sharpConsensusV2: Double?
        let prices: [Price]
    }

    struct Market: Encodable {
        let marketId: String
        let marketType: String
        let line: Double?
        let outcomes: [Outcome]
    }

    struct Odds: Encodable {
        let event: EventSummary
        let markets: [Market]
    }

    private func allEvents() -> [OrcaEvent] { feeds().flatMap { f in f.config.streams.flatMap { f.events(in: $0) } } }

    private func visible(_ e: OrcaEvent, _ caller: Caller) -> Bool {
        caller.policy.mayMatch(ChannelPattern(stream: "odds", venue: "orca", instrument: nil))
            && caller.policy.allows(ChannelKey(stream: .odds, source: "orca", instrument: e.eventId))
    }

    private func summary(_ e: OrcaEvent) -> EventSummary {
        EventSummary(eventId: e.eventId, sport: e.sport, league: e.league, participants: e.participants, commenceTime: e.commenceTime, status: e.status, markets: e.markets.count)
    }

    private func list(_ req: HTTPRequest, _ caller: Caller) -> HTTPResponse {
        let sport = req.queryItems["sport"], status = req.queryItems["status"]
        let events = allEvents().filter { e in visible(e, caller) && (sport == nil || e.sport == sport) && (status == nil || e.status == status) }
            .sorted { ($0.commenceTime, $0.eventId) < ($1.commenceTime, $1.eventId) }.map(summary)
        return .json(Events(events: events, count: events.count))
    }

    /// A derived number the caller may see (tier and flag), from the outcome's aggregate.
    private func value(_ name: String, _ fields: [Field]?, _ caller: Caller) -> Double? {
        guard let def = registry.definition(name), caller.policy.allows(def), let id = registry.id(name) else { return nil }
        return fields?.first { $0.id == id }?.value.number
    }

    private func odds(_ id: String, _ caller: Caller) -> HTTPResponse {
        func may(_ name: String) -> Bool { registry.definition(name).map(caller.policy.allows) ?? false }
        guard let e = allEvents().first(where: { $0.eventId == id }), visible(e, caller) else {
            return .error(404, code: "not_found", message: "no ORCA event '\(id.prefix(100))'")
        }
        let markets = e.markets.map { m in
            Market(
                marketId: m.marketId, marketType: m.marketType, line: m.line,
                outcomes: m.outcomes.map { o in
                    let visible = o.prices.filter { p in
                        let instrument = OrcaFeedConfig.instrument(event: e.eventId, market: m.marketId, outcome: o.outcomeId, bookmaker: p.bookmaker)
                        return caller.policy.allows(ChannelKey(stream: .odds, source: "orca", instrument: instrument))
                    }
                    let prices = visible.map { p in
                        Price(
                            bookmaker: p.bookmaker, decimal: may("oddsDecimal") ? p.decimal : nil, american: may("oddsAmerican") ? p.american : nil,
                            updatedAt: p.updatedAt, suspended: may("suspended") ? p.suspended : nil,
                            channel: "odds.orca.\(OrcaFeedConfig.instrument(event: e.eventId, market: m.marketId, outcome: o.outcomeId, bookmaker: p.bookmaker))")
                    }
                    // The derived figures are the outcome's aggregate channel: its grants apply.
                    let aggregateKey = ChannelKey(stream: .odds, source: "orca", instrument: "\(e.eventId)/\(m.marketId)/\(o.outcomeId)")
                    let aggregate = caller.policy.allows(aggregateKey) ? enrich.oddsAggregate(source: "orca", event: e.eventId, market: m.marketId, outcome: o.outcomeId) : nil
                    let live = visible.filter { !$0.suspended && e.status != "suspended" && e.status != "closed" }
                    let best = aggregate != nil && may("bestOdds") && may("bestBookmaker")
                        ? live.max { ($0.decimal, $1.bookmaker) < ($1.decimal, $0.bookmaker) }.map { Best(bookmaker: $0.bookmaker, decimal: $0.decimal) } : nil
                    let implied = may("impliedProbability") ? best.map { 1 / $0.decimal } : nil
                    return Outcome(
                        outcomeId: o.outcomeId, name: o.name, participant: o.participant, best: best, impliedProbability: implied,
                        sharpConsensus: value("sharpConsensus", aggregate, caller), sharpConsensusV2: value("sharpConsensusV2", aggregate, caller), prices: prices)
                })
        }
        return .json(Odds(event: summary(e), markets: markets))
    }
}
