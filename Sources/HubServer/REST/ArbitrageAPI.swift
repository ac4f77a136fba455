import Foundation
import HubCore
import WebSocketLoop

/// `GET /api/arbitrage/opportunities`: the opportunities open now (crypto, prediction,
/// sportsbook), each as its `arb.<kind>.<id>` channel shows it — only those whose channel and
/// properties the caller's roles (and flags) let through. `?kind=` narrows the list.
///
/// Threading: loop-confined.
final class ArbitrageAPI {
    private let enrich: Enrich
    private let registry: PropertyRegistry

    init(enrich: Enrich, registry: PropertyRegistry) {
        self.enrich = enrich
        self.registry = registry
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/arbitrage/opportunities", .scope("state:read"), doc: .arbitrage) { [unowned self] req, p, respond in
            respond(list(req, p.caller!))
        }
    }

    /// Each figure only when the caller may see that property (tiers, names, flags).
    struct Opportunity: Encodable {
        let kind: String
        let id: String
        let channel: String
        let edge: Double
        let legs: String?
        let size: Double?
        let firstSeen: Int64?
        let lastSeen: Int64?
    }

    struct List: Encodable {
        let opportunities: [Opportunity]
        let count: Int
    }

    private func list(_ req: HTTPRequest, _ caller: Caller) -> HTTPResponse {
        let kind = req.queryItems["kind"]
        let kinds = ["crypto", "prediction", "sportsbook"]
        if let kind, !kinds.contains(kind) {
            return .error(400, code: "invalid_query", message: "kind must be one of \(kinds.joined(separator: ", "))", field: "kind")
        }
        // The figures are premium properties: without them an opportunity is not worth listing.
        guard let edge = registry.definition("edge"), caller.policy.allows(edge) else { return .json(List(opportunities: [], count: 0)) }
        func may(_ name: String) -> Bool { registry.definition(name).map(caller.policy.allows) ?? false }
        let legs = may("legs"), size = may("size"), first = may("firstSeen"), last = may("lastSeen")
        var out: [Opportunity] = []
        for tracker in [enrich.cryptoArbitrage, enrich.predictionArbitrage, enrich.sportsbookArbitrage] where kind == nil || tracker.kind == kind {
            for o in tracker.open.values where caller.policy.allows(ChannelKey(stream: .arb, source: o.kind, instrument: o.id)) {
                out.append(
                    Opportunity(
                        kind: o.kind, id: o.id, channel: "arb.\(o.kind).\(o.id)", edge: o.edge, legs: legs ? o.legs : nil, size: size ? o.size : nil,
                        firstSeen: first ? o.firstSeen : nil, lastSeen: last ? o.lastSeen : nil))
            }
        }
        out.sort { $0.edge > $1.edge }
        return .json(List(opportunities: out, count: out.count))
    }
}
