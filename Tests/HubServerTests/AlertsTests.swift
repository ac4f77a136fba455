import Foundation
import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

/// Alert rules end to end: a simulator fault and the hub's clock drive a rule through pending,
/// firing and resolved; each transition is published on `alerts.hub.<rule>`, listed by the API,
/// exported to Prometheus and POSTed to a webhook listener (retried after a failure).
final class AlertsTests: XCTestCase {
    let clock = ManualClock(running: true)

    func rule(_ name: String, _ kind: AlertRule.Kind, threshold: Double = 0, forSeconds: Double, _ adjust: (inout AlertRule) -> Void = { _ in }) -> AlertRule {
        var r = AlertRule(name: name, kind: kind, threshold: threshold, forSeconds: forSeconds)
        adjust(&r)
        return r
    }

    /// Messages of `alerts.hub.<rule>` the client received until one has `state`.
    func waitForAlert(_ c: TestClient, _ rule: String, _ state: String, timeout: Double = 15) throws -> [String: Any] {
        let m = try c.waitFor(timeout: timeout, "\(rule) \(state)") {
            $0["ch"] as? String == "alerts.hub.\(rule)" && ($0["data"] as? [String: Any])?["alertState"] as? String == state
        }
        return try XCTUnwrap(m["data"] as? [String: Any])
    }

    func testASilentVenuePendsFiresAndResolvesEverywhere() throws {
        let receiver = try TestWebhookReceiver(failFirst: 1)
        defer { receiver.stop() }
        let hub = try TestHub(clock: clock) { c in
            DeribitVenue().enableSimulated(in: &c.feeds.venues)
            c.alerts.evaluateSeconds = 0.1
            c.alerts.rules = [
                self.rule("deribit-down", .sourceNotLive, forSeconds: 60) {
                    $0.source = "deribit"
                    $0.severity = "critical"
                }
            ]
            var hook = HubConfig.Alerts.Webhook()
            hook.url = receiver.url
            hook.headers = ["Authorization": "Bearer hook-secret"]
            hook.maxAttempts = 3
            c.alerts.webhooks = [hook]
            c.metrics.loopbackOpen = true
        }
        defer { hub.stop() }
        try hub.waitUntilLive("deribit", timeout: 15)
        // A token that outlives the clock's jumps.
        let admin = try XCTUnwrap(hub.server.store.user(named: "admin"))
        let token = try hub.token(subject: "\(admin.id)", lifetime: 30 * 86_400)
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(token)")
        defer { c.close() }
        c.send(#"{"id":1,"op":"subscribe","channel":"alerts.hub.*"}"#)
        _ = try c.waitFor { $0["id"] as? Int == 1 }

        // Silence past the staleness limit: the feed reconnects and stays unacknowledged.
        let sim = try XCTUnwrap(hub.simulation.simulators["deribit"])
        sim.inject(.silence(seconds: 1e7))
        clock.advance(by: 3_600)
        try hub.waitForSource("deribit", timeout: 15, "not live") { $0.state != "live" }
        let pending = try waitForAlert(c, "deribit-down", "pending")
        XCTAssertEqual(pending["alertPreviousState"] as? String, "inactive")
        XCTAssertEqual(pending["alertSeverity"] as? String, "critical")
        XCTAssertEqual(pending["alertKind"] as? String, "sourceNotLive")
        XCTAssertEqual(pending["alertValue"] as? Double, 1)
        XCTAssertTrue((pending["alertMessage"] as? String ?? "").hasPrefix("deribit "), "\(pending)")

        clock.advance(by: 61)
        let firing = try waitForAlert(c, "deribit-down", "firing")
        XCTAssertEqual(firing["alertPreviousState"] as? String, "pending")
        let metrics = try hub.request("GET", "/metrics", token: nil).text
        XCTAssertEqual(MetricsTests.samples(metrics)[#"streamhub_alert_state{rule="deribit-down"}"#], 2, "firing")

        // The venue talks again; the clock passes the staleness limit, so a session opened while
        // it was silent (its subscriptions never answered) is replaced by one that goes live.
        sim.inject(.silence(seconds: 0))
        clock.advance(by: 40)
        try hub.waitForSource("deribit", timeout: 20, "live again") { $0.state == "live" }
        _ = try waitForAlert(c, "deribit-down", "resolved")

        // The webhook got every transition, the first after a retry, with its header.
        try eventually(timeout: 15, "three deliveries") { receiver.received.count == 3 }
        XCTAssertEqual(receiver.received.map { $0.json?["to"] as? String }, ["pending", "firing", "resolved"])
        XCTAssertEqual(receiver.attempts, 4, "one failure, retried")
        let first = try XCTUnwrap(receiver.received.first)
        XCTAssertEqual(first.method, "POST")
        XCTAssertEqual(first.headers["authorization"], "Bearer hook-secret")
        XCTAssertEqual(first.headers["content-type"], "application/json")
        XCTAssertEqual(first.json?["channel"] as? String, "alerts.hub.deribit-down")
        XCTAssertEqual(first.json?["rule"] as? String, "deribit-down")

        let alerts = try XCTUnwrap(hub.request("GET", "/api/monitoring/alerts", token: token).json as? [String: Any])
        let status = try XCTUnwrap((alerts["alerts"] as? [[String: Any]])?.first)
        XCTAssertEqual(status["state"] as? String, "resolved")
        XCTAssertEqual((alerts["recent"] as? [[String: Any]])?.map { $0["to"] as? String }, ["resolved", "firing", "pending"], "newest first")
        let webhooks = try XCTUnwrap(alerts["webhooks"] as? [String: Any])
        XCTAssertEqual(webhooks["delivered"] as? Int, 3)
        XCTAssertEqual(webhooks["retries"] as? Int, 1)
        XCTAssertEqual(webhooks["failed"] as? Int, 0)
    }

    func testStageLatencyFiresAndResolvesAsTheWindowMovesWithTheClock() throws {
        let hub = try TestHub(clock: clock) { c in
            c.alerts.evaluateSeconds = 0.05
            // Any latency at all is above 0: the condition holds while the last minute has ticks.
            c.alerts.rules = [self.rule("serve-slow", .stageLatency, threshold: 0, forSeconds: 10) { $0.stage = "serve" }]
        }
        defer { hub.stop() }
        func state() throws -> String? {
            ((try hub.request("GET", "/api/monitoring/alerts").json as? [String: Any])?["alerts"] as? [[String: Any]])?.first?["state"] as? String
        }
        hub.inject([TickFactory.ticker("X-PERP", bid: 1)])
        try eventually(timeout: 5, "pending") { try state() == "pending" }
        clock.advance(by: 11)
        try eventually(timeout: 5, "firing after 10 s of the hub's clock") { try state() == "firing" }
        clock.advance(by: 70)
        try eventually(timeout: 5, "resolved once the last minute holds no ticks") { try state() == "resolved" }
    }

    func testRulesAreReadReplacedValidatedAndKeptAcrossRestarts() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("alerts-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let seed = [rule("redis", .redisDown, forSeconds: 5)]
        var hub = try TestHub(dataDirectory: data) { $0.alerts.rules = seed }
        let read = try XCTUnwrap(hub.request("GET", "/api/monitoring/alert-rules").json as? [String: Any])
        XCTAssertEqual((read["rules"] as? [[String: Any]])?.map { $0["name"] as? String }, ["redis"])
        XCTAssertEqual(read["evaluateSeconds"] as? Double, 5)

        for (body, field) in [
            (#"{"rules":[{"name":"x","kind":"errorRate","threshold":2}]}"#, "rules[0].threshold"),
            (#"{"rules":[{"name":"Bad Name","kind":"redisDown"}]}"#, "rules[0].name"),
            (#"{"rules":[{"name":"x","kind":"stageLatency"}]}"#, "rules[0].stage"),
            (#"{"rules":[{"name":"x","kind":"nope"}]}"#, "rules[0].kind"),
            (#"{"rules":[{"name":"x","kind":"redisDown","colour":"red"}]}"#, "rules[0].colour"),
            (#"{"rules":[{"name":"x","kind":"redisDown"},{"name":"x","kind":"redisDown"}]}"#, "rules"),
        ] {
            let r = try hub.request("PUT", "/api/monitoring/alert-rules", body)
            XCTAssertEqual(r.status, 400, body)
            XCTAssertEqual(((r.json as? [String: Any])?["error"] as? [String: Any])?["field"] as? String, field, body)
        }
        XCTAssertEqual(try hub.request("PUT", "/api/monitoring/alert-rules", "[]").status, 400)
        let body = #"{"rules":[{"name":"errors","kind":"errorRate","threshold":0.05,"forSeconds":120,"severity":"critical"}]}"#
        let pat = try hub.createUser("pat", roles: ["analyst"]).token
        XCTAssertEqual(try hub.request("PUT", "/api/monitoring/alert-rules", body, token: pat).status, 403, "monitoring:read is not monitoring:write")
        let put = try hub.request("PUT", "/api/monitoring/alert-rules", body)
        XCTAssertEqual(put.status, 200, put.text)
        let audit = try XCTUnwrap(hub.request("GET", "/api/audit?limit=5").json as? [String: Any])
        XCTAssertTrue(((audit["entries"] as? [[String: Any]]) ?? []).contains { $0["action"] as? String == "alertRules.update" })
        hub.stop()

        // The store holds the rule set now: the configuration's rules only seeded it.
        hub = try TestHub(dataDirectory: data) { $0.alerts.rules = seed }
        defer { hub.stop() }
        let after = try XCTUnwrap(hub.request("GET", "/api/monitoring/alert-rules").json as? [String: Any])
        let rules = try XCTUnwrap(after["rules"] as? [[String: Any]])
        XCTAssertEqual(rules.map { $0["name"] as? String }, ["errors"])
        XCTAssertEqual(rules.first?["forSeconds"] as? Double, 120)
        XCTAssertEqual(rules.first?["severity"] as? String, "critical")
    }

    func testAFiringRuleThatIsRemovedResolves() throws {
        let hub = try TestHub(clock: clock) { c in
            c.alerts.evaluateSeconds = 0.05
            c.alerts.rules = [self.rule("serve-slow", .stageLatency, threshold: 0, forSeconds: 0) { $0.stage = "serve" }]
        }
        defer { hub.stop() }
        hub.inject([TickFactory.ticker("X-PERP", bid: 1)])
        try eventually(timeout: 5, "firing at once (forSeconds 0)") {
            ((try hub.request("GET", "/api/monitoring/alerts").json as? [String: Any])?["alerts"] as? [[String: Any]])?.first?["state"] as? String == "firing"
        }
        XCTAssertEqual(MetricsTests.samples(try hub.request("GET", "/metrics").text)[#"streamhub_alert_state{rule="serve-slow"}"#], 2)
        XCTAssertEqual(try hub.request("PUT", "/api/monitoring/alert-rules", #"{"rules":[]}"#).status, 200)
        XCTAssertFalse(try hub.request("GET", "/metrics").text.contains("serve-slow"), "a removed rule leaves the exposition")
        let alerts = try XCTUnwrap(hub.request("GET", "/api/monitoring/alerts").json as? [String: Any])
        XCTAssertEqual((alerts["alerts"] as? [[String: Any]])?.count, 0)
        XCTAssertEqual((alerts["recent"] as? [[String: Any]])?.first?["to"] as? String, "resolved")
    }
}
