import Foundation
import HubCore
import HubTesting
import XCTest

@testable import HubServer

/// Each kind of alert rule against the condition it watches, produced for real where the test
/// can (Redis killed, REST calls, slow consumers, memory) and with the hub's clock moving the
/// windows.
final class AlertKindsTests: XCTestCase {
    let clock = ManualClock(running: true)

    func state(_ hub: TestHub, _ rule: String) throws -> String? {
        let alerts = try XCTUnwrap(hub.request("GET", "/api/monitoring/alerts").json as? [String: Any])
        return (alerts["alerts"] as? [[String: Any]])?.first { $0["rule"] as? String == rule }?["state"] as? String
    }

    func hub(_ rules: [AlertRule], _ configure: (inout HubConfig) -> Void = { _ in }) throws -> TestHub {
        try TestHub(clock: clock) { c in
            c.alerts.evaluateSeconds = 0.05
            c.alerts.rules = rules
            configure(&c)
        }
    }

    func testRedisDownFiresWhileRedisIsGoneAndResolvesWhenItIsBack() throws {
        let redis = try TestRedis()
        defer { redis.shutdown() }
        let hub = try hub([AlertRule(name: "redis", kind: .redisDown)]) { $0.redis.url = redis.url }
        defer { hub.stop() }
        hub.inject([TickFactory.ticker("X-PERP", bid: 1)])
        try hub.wait("written to Redis") { $0.history.health.writes > 0 }
        let text = try hub.request("GET", "/metrics").text
        XCTAssertGreaterThan(MetricsTests.samples(text)[#"streamhub_store_call_duration_seconds_count{store="redis",operation="pipeline"}"#] ?? 0, 0)
        XCTAssertEqual(MetricsTests.samples(text)[#"streamhub_history_up{backend="redis"}"#], 1)
        XCTAssertEqual(try TestPrometheus.check(metrics: text).status, 0, "with Redis timings")
        XCTAssertEqual(try state(hub, "redis"), "inactive")

        redis.kill()
        hub.inject([TickFactory.ticker("X-PERP", bid: 2)])  // the writer finds out on its next write
        try eventually(timeout: 10, "firing while Redis is down") { try self.state(hub, "redis") == "firing" }
        XCTAssertEqual(MetricsTests.samples(try hub.request("GET", "/metrics").text)[#"streamhub_history_up{backend="redis"}"#], 0)
        try redis.start()
        try eventually(timeout: 15, "resolved once the writer reconnects") { try self.state(hub, "redis") == "resolved" }
    }

    func testRouteLatencyAndErrorRateWatchTheLastMinuteOfCalls() throws {
        var route = AlertRule(name: "streams-slow", kind: .routeLatency, threshold: 0)
        route.route = "GET /api/streams"
        let hub = try hub([route, AlertRule(name: "errors", kind: .errorRate, threshold: 0.5)])
        defer { hub.stop() }
        XCTAssertEqual(try hub.request("GET", "/api/users").status, 200)
        try eventually(timeout: 5, "evaluated") { try self.state(hub, "errors") == "inactive" }
        XCTAssertEqual(try state(hub, "streams-slow"), "inactive", "another route's calls do not count")
        XCTAssertEqual(try hub.request("GET", "/api/streams").status, 200)
        try eventually(timeout: 5, "any latency is above 0") { try self.state(hub, "streams-slow") == "firing" }

        // Answers of 5xx outnumbering every other call of the last minute (the polls included).
        hub.sync { s in for _ in 0..<5_000 { s.observability.performance.recordRoute("GET /api/x", status: 503, nanoseconds: 1_000) } }
        try eventually(timeout: 5, "most calls failed") { try self.state(hub, "errors") == "firing" }
        clock.advance(by: 70)
        try eventually(timeout: 5, "a quiet minute resolves both") {
            try self.state(hub, "errors") == "resolved" && self.state(hub, "streams-slow") == "resolved"
        }
    }

    func testSlowConsumerClosesAboveTheThreshold() throws {
        let hub = try hub([AlertRule(name: "slow", kind: .slowConsumers, threshold: 1)]) { $0.serve.maxControlBytes = 64 }
        defer { hub.stop() }
        hub.inject([TickFactory.ticker("X-PERP", bid: 1)])
        for i in 1...2 {
            // A reply and a snapshot over 64 bytes of unsent replies: closed as a slow consumer.
            let c = try TestClient.connect(hub.wsURL)
            c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.X-PERP"}"#)
            XCTAssertEqual(try c.waitClosed().code, 4008)
            try eventually(timeout: 5, "evaluated after close \(i)") { try self.state(hub, "slow") == (i == 1 ? "inactive" : "firing") }
        }
    }

    func testResidentMemoryGrowthNeedsAMinuteMeasured() throws {
        let hub = try hub([AlertRule(name: "memory", kind: .rssGrowth, threshold: 1_048_576)])
        defer { hub.stop() }
        // 96 MiB touched in this process: resident memory grows far faster than 1 MiB per hour.
        var ballast = [UInt8](repeating: 1, count: 96 << 20)
        for i in stride(from: 0, to: ballast.count, by: 4096) { ballast[i] = UInt8(i & 0xff) }
        try eventually(timeout: 5, "evaluated") { try self.state(hub, "memory") == "inactive" }
        clock.advance(by: 70)
        try eventually(timeout: 5, "firing once a minute is measured") { try self.state(hub, "memory") == "firing" }
        XCTAssertEqual(ballast[4096], 0)
    }
}
