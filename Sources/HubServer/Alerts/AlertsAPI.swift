import Foundation
import HubCore
import WebSocketLoop

/// `GET/PUT /api/monitoring/alert-rules` and `GET /api/monitoring/alerts`.
///
/// Threading: handlers on the loop; rule sets are saved on the store queue, then applied on
/// the loop.
final class AlertsAPI {
    private let engine: AlertEngine
    private let webhooks: WebhookSender
    private let gateway: StoreGateway
    private let evaluateSeconds: Double

    init(engine: AlertEngine, webhooks: WebhookSender, gateway: StoreGateway, evaluateSeconds: Double) {
        self.engine = engine
        self.webhooks = webhooks
        self.gateway = gateway
        self.evaluateSeconds = evaluateSeconds
    }

    struct RuleSet: Codable {
        let rules: [AlertRule]

        init(rules: [AlertRule]) { self.rules = rules }

        init(from decoder: Decoder) throws {
            let c = try decoder.strictContainer(Keys.self)
            rules = try c.decode([AlertRule].self, forKey: .rules)
            if let dup = AlertRule.repeatedName(in: rules) {
                throw DecodingError.dataCorruptedError(forKey: .rules, in: c, debugDescription: "two rules are named '\(dup)'")
            }
            if rules.count > 200 { throw DecodingError.dataCorruptedError(forKey: .rules, in: c, debugDescription: "at most 200 rules") }
        }

        enum Keys: String, CodingKey, CaseIterable { case rules }
    }

    struct RulesAnswer: Encodable {
        let rules: [AlertRule]
        let evaluateSeconds: Double
    }

    struct AlertsAnswer: Encodable {
        let alerts: [AlertEngine.Status]
        /// Newest first (the last 200).
        let recent: [AlertEngine.Transition]
        let webhooks: WebhookSender.Counts
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/monitoring/alert-rules", .scope("monitoring:read"), doc: .alertRulesGet) { [unowned self] _, _, respond in
            respond(.json(RulesAnswer(rules: engine.rules, evaluateSeconds: evaluateSeconds)))
        }
        router.add("PUT", "/api/monitoring/alert-rules", .scope("monitoring:write"), doc: .alertRulesPut) { [unowned self] req, ctx, respond in
            let set: RuleSet
            do throws(RequestBody.Failure) {
                set = try RequestBody.decode(RuleSet.self, from: try RequestBody.object(req))
            } catch {
                return respond(error.response)
            }
            let actor = ctx.caller?.actor ?? "anonymous"
            gateway.run(respond) { store in
                try store.saveAlertRules(set.rules, actor: actor)
            } then: { [engine, evaluateSeconds] in
                engine.replace(set.rules)
                return .json(RulesAnswer(rules: engine.rules, evaluateSeconds: evaluateSeconds))
            }
        }
        router.add("GET", "/api/monitoring/alerts", .scope("monitoring:read"), doc: .alerts) { [unowned self] _, _, respond in
            respond(.json(AlertsAnswer(alerts: engine.statuses(), recent: engine.recent.reversed(), webhooks: webhooks.counts)))
        }
    }
}
