import Foundation
import HubCore
import WebSocketLoop

/// `GET /api/orca/events` and `GET /api/orca/events/:id/odds`: the sportsbook events on the
/// `odds.orca.<event>/<market>/<outcome>/<bookmaker>` channels, and one event's markets with
/// every bookmaker's price, the best line and sharp-book consensus per outcome — what the
/// caller's roles let through (channels, properties, flags). Everything comes from the
/// pipeline's channel state: values that passed validation, never the adapter's raw ones; a
/// price that is absent (quarantined, withdrawn) is left out of the answer, never guessed.
///
/// Threading: loop-confined (channel state is).
final class OrcaAPI {
    static let source = "orca"
    private let hub: Hub
    private let enrich: Enrich
    private let registry: PropertyRegistry

    init(hub: Hub, enrich: Enrich, registry: PropertyRegistry) {
        self.hub = hub
        self.enrich = enrich
        self.registry = registry
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/orca/events", .scope("state:read"), doc: .orcaEvents) { [unowned self] req, p, respond in respond(list(req, p.caller!)) }
        router.add("GET", "/api/orca/events/:id/odds", .scope("state:read"), doc: .orcaOdds) { [unowned self] _, p, respond in
            respond(odds(p["id"]!, p.caller!))
        }
    }

    struct EventSummary: Encodable {
        let eventId: String
        let sport: String?
        let league: String?
        let participants: [String]
        let commenceTime: Int64?
        let status: String?
        let markets: Int
    }

    struct Events: Encodable {
        let events: [EventSummary]
        let count: Int
    }

    /// Each figure only when the caller may see that property (and the channel holds it).
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
        let marketType: String?
        let line: Double?
        let outcomes: [Outcome]
    }

    struct Odds: Encodable {
        let event: EventSummary
        let markets: [Market]
    }

    // MARK: Channel state

    /// One quote channel's state, read through the registry.
    struct Quote {
        let market: String, outcome: String, bookmaker: String
        let channel: Channel
        let tick: Tick
    }

    private func id(_ name: String) -> PropertyID? { registry.id(name) }

    private func string(_ t: Tick, _ name: String) -> String? {
        guard let id = id(name), case .string(let s)? = t.value(id) else { return nil }
        return s
    }

    private func number(_ t: Tick, _ name: String) -> Double? { id(name).flatMap { t.value($0)?.number } }

    private func integer(_ t: Tick, _ name: String) -> Int64? {
        guard let id = id(name), case .integer(let i)? = t.value(id) else { return nil }
        return i
    }

    private func bool(_ t: Tick, _ name: String) -> Bool? {
        guard let id = id(name), case .bool(let b)? = t.value(id) else { return nil }
        return b
    }

    /// Every quote the venue still offers, by event. A withdrawn quote (its price, market or
    /// event removed: suspended, with no price left in its state) is gone from the answer, so
    /// are markets and events with nothing else; a price that failed validation stays listed,
    /// without its figures.
    private func quotes() -> [String: [Quote]] {
        var byEvent: [String: [Quote]] = [:]
        let decimal = id("oddsDecimal")
        for c in hub.allChannels where c.key.source == Self.source && c.key.stream == .odds {
            let parts = c.key.instrument.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 4, let t = c.state else { continue }
            if bool(t, "suspended") == true && decimal.flatMap({ t.value($0) }) == nil { continue }
            byEvent[String(parts[0]), default: []].append(
                Quote(market: String(parts[1]), outcome: String(parts[2]), bookmaker: String(parts[3]), channel: c, tick: t))
        }
        return byEvent
    }

    /// The event's reference data, from its most recently updated quote.
    private func summary(_ eventId: String, _ qs: [Quote]) -> EventSummary {
        let latest = qs.max { $0.tick.receiveTime < $1.tick.receiveTime }!.tick
        return EventSummary(
            eventId: eventId, sport: string(latest, "sport"), league: string(latest, "league"),
            participants: [string(latest, "home"), string(latest, "away")].compactMap { $0 }, commenceTime: integer(latest, "commenceTime"),
            status: string(latest, "eventStatus"), markets: Set(qs.map(\.market)).count)
    }

    private func visible(_ eventId: String, _ caller: Caller) -> Bool {
        caller.policy.mayMatch(ChannelPattern(stream: "odds", venue: Self.source, instrument: nil))
            && caller.policy.allows(ChannelKey(stream: .odds, source: Self.source, instrument: eventId))
    }

    /// `items` without repeats, in first-seen order.
    private static func unique(_ items: [String]) -> [String] {
        var seen: Set<String> = []
        return items.filter { seen.insert($0).inserted }
    }

    // MARK: Handlers

    private func list(_ req: HTTPRequest, _ caller: Caller) -> HTTPResponse {
        let sport = req.queryItems["sport"], status = req.queryItems["status"]
        let events = quotes().filter { visible($0.key, caller) }.map { summary($0.key, $0.value) }
            .filter { e in (sport == nil || e.sport == sport) && (status == nil || e.status == status) }
            .sorted { ($0.commenceTime ?? .max, $0.eventId) < ($1.commenceTime ?? .max, $1.eventId) }
        return .json(Events(events: events, count: events.count))
    }

    /// A derived number the caller may see (tier and flag), from the outcome's aggregate.
    private func value(_ name: String, _ fields: [Field]?, _ caller: Caller) -> Double? {
        guard let def = registry.definition(name), caller.policy.allows(def), let id = registry.id(name) else { return nil }
        return fields?.first { $0.id == id }?.value.number
    }

    private func odds(_ eventId: String, _ caller: Caller) -> HTTPResponse {
        func may(_ name: String) -> Bool { registry.definition(name).map(caller.policy.allows) ?? false }
        guard let qs = quotes()[eventId], visible(eventId, caller) else {
            return .error(404, code: "not_found", message: "no ORCA event '\(eventId.prefix(100))'")
        }
        let event = summary(eventId, qs)
        let closed = event.status == "suspended" || event.status == "closed"
        // The venue's order: channels are created as quotes first arrive (snapshot order).
        let marketIds = Self.unique(qs.map(\.market))
        let markets = marketIds.map { marketId in
            let inMarket = qs.filter { $0.market == marketId }
            let first = inMarket.max { $0.tick.receiveTime < $1.tick.receiveTime }!.tick
            let outcomeIds = Self.unique(inMarket.map(\.outcome))
            return Market(
                marketId: marketId, marketType: string(first, "marketType"), line: number(first, "line"),
                outcomes: outcomeIds.map { outcomeId in
                    let quotes = inMarket.filter { $0.outcome == outcomeId && caller.policy.allows($0.channel.key) }
                    let any = inMarket.first { $0.outcome == outcomeId }!.tick
                    let prices = quotes.map { q in
                        Price(
                            bookmaker: q.bookmaker, decimal: may("oddsDecimal") ? number(q.tick, "oddsDecimal") : nil,
                            american: may("oddsAmerican") ? integer(q.tick, "oddsAmerican") : nil, updatedAt: q.tick.exchangeTime,
                            suspended: may("suspended") ? bool(q.tick, "suspended") : nil, channel: q.channel.name)
                    }
                    // The derived figures are the outcome's aggregate channel: its grants apply.
                    let aggregateKey = ChannelKey(stream: .odds, source: Self.source, instrument: "\(eventId)/\(marketId)/\(outcomeId)")
                    let aggregate =
                        caller.policy.allows(aggregateKey)
                        ? enrich.oddsAggregate(source: Self.source, event: eventId, market: marketId, outcome: outcomeId) : nil
                    // Best line: the highest valid decimal among quotes that can be taken.
                    let live =
                        closed
                        ? []
                        : quotes.compactMap { q -> Best? in
                            guard bool(q.tick, "suspended") != true, let d = number(q.tick, "oddsDecimal"), d > 1 else { return nil }
                            return Best(bookmaker: q.bookmaker, decimal: d)
                        }
                    let best =
                        aggregate != nil && may("bestOdds") && may("bestBookmaker")
                        ? live.max { ($0.decimal, $1.bookmaker) < ($1.decimal, $0.bookmaker) } : nil
                    return Outcome(
                        outcomeId: outcomeId, name: string(any, "outcomeName") ?? string(any, "participant") ?? outcomeId,
                        participant: string(any, "participant"), best: best, impliedProbability: may("impliedProbability") ? best.map { 1 / $0.decimal } : nil,
                        sharpConsensus: value("sharpConsensus", aggregate, caller), sharpConsensusV2: value("sharpConsensusV2", aggregate, caller),
                        prices: prices)
                })
        }
        return .json(Odds(event: event, markets: markets))
    }
}
