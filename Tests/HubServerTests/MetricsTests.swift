import Foundation
import HubCore
import HubTesting
import XCTest

/// `GET /metrics`: who may scrape, an exposition `promtool` accepts, and a real Prometheus
/// scraping it and answering a query.
final class MetricsTests: XCTestCase {
    static let scrapeToken = "scrape-token-0123456789abcdef"
    var hub: TestHub!

    override func setUpWithError() throws {
        hub = try TestHub { $0.metrics.token = Self.scrapeToken }
    }
    override func tearDown() { hub.stop() }

    /// A user with `roles`; returns a token.
    func token(roles: [String]) throws -> String { try hub.createUser(roles: roles).token }

    func testScrapingNeedsTheMonitoringScopeOrTheScrapeToken() throws {
        XCTAssertEqual(try hub.request("GET", "/metrics", token: nil).status, 401)
        XCTAssertEqual(try hub.request("GET", "/metrics", token: "not-the-scrape-token-0123456789").status, 401)
        XCTAssertEqual(try hub.request("GET", "/metrics", token: try token(roles: ["premium"])).status, 403, "premium has no monitoring:read")
        let analyst = try hub.request("GET", "/metrics", token: try token(roles: ["analyst"]))
        XCTAssertEqual(analyst.status, 200)
        XCTAssertEqual(analyst.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        XCTAssertEqual(try hub.request("GET", "/metrics", token: Self.scrapeToken).status, 200)
        XCTAssertEqual(hub.server.routeTable.first { $0.path == "/metrics" }?.access, "monitoring:read")
    }

    /// Series → value of an exposition.
    static func samples(_ text: String) -> [String: Double] {
        var out: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let v = Double(line[line.index(after: space)...]) else { continue }
            out[String(line[..<space])] = v
        }
        return out
    }

    func testLoopbackScrapesAreOpenOnlyWhenConfigured() throws {
        let open = try TestHub {
            $0.metrics.loopbackOpen = true
            $0.server.publicDir = TestHub.repository.appendingPathComponent("public").path  // static files at / do not shadow /metrics
        }
        defer { open.stop() }
        XCTAssertEqual(try open.request("GET", "/metrics", token: nil).status, 200)
        let proxied = try HTTPTestClient.request("GET", port: open.port, path: "/metrics", headers: ["X-Forwarded-For": "203.0.113.9"])
        XCTAssertEqual(proxied.status, 401, "forwarded by a local proxy: not a loopback scraper")
        XCTAssertEqual(try hub.request("GET", "/metrics", token: nil).status, 401, "closed by default")
    }

    func testTheExpositionCountsWhatHappenedAndPromtoolAcceptsIt() throws {
        let c = try TestClient.connect(hub.wsURL)
        defer { c.close() }
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.*"}"#)
        _ = try c.waitFor { $0["id"] as? Int == 1 }
        hub.inject((0..<5).map { TickFactory.ticker("X-PERP", bid: 100 + Double($0)) })
        for i in 0..<5 { _ = try c.waitFor("publication \(i)") { ($0["data"] as? [String: Any])?["bid"] as? Double == 100 + Double(i) } }
        XCTAssertEqual(try hub.request("GET", "/api/streams").status, 200)
        XCTAssertEqual(try hub.request("GET", "/api/users").status, 200)

        let text = try hub.request("GET", "/metrics", token: Self.scrapeToken).text
        let lines = Set(text.split(separator: "\n").map(String.init))
        let values = Self.samples(text)
        XCTAssertEqual(values["streamhub_publications_total"], 5, text)
        XCTAssertEqual(values["streamhub_connections"], 1)
        XCTAssertEqual(values["streamhub_subscriptions"], 1)
        XCTAssertTrue(lines.contains(#"streamhub_stage_latency_seconds_count{stage="serve"} 5"#))
        XCTAssertTrue(lines.contains(#"streamhub_stage_latency_seconds_bucket{stage="transform",le="+Inf"} 5"#))
        XCTAssertTrue(
            lines.contains { $0.hasPrefix(#"streamhub_http_request_duration_seconds_count{method="GET",route="/api/streams",status="200"} 1"#) }, text)
        XCTAssertTrue(lines.contains { $0.hasPrefix(#"streamhub_store_call_duration_seconds_count{store="sqlite",operation="read"}"#) })
        XCTAssertTrue(lines.contains { $0.hasPrefix("streamhub_deliveries_total ") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("process_resident_memory_bytes ") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("process_open_fds ") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("streamhub_loop_busy_ratio ") })
        XCTAssertEqual(values[#"streamhub_history_up{backend="memory"}"#], 1)
        XCTAssertGreaterThan(values["process_cpu_seconds_total"] ?? 0, 0)
        XCTAssertFalse(text.contains("ticker.deribit.X-PERP"), "no channel names unless configured")
        XCTAssertFalse(text.contains("user:"), "no user ids")

        let check = try TestPrometheus.check(metrics: text)
        XCTAssertEqual(check.status, 0, check.output)
    }

    func testChannelLabelsWhenConfiguredAreBounded() throws {
        let labelled = try TestHub {
            $0.metrics.channelLabels = true
            $0.metrics.maxChannelLabels = 2
            $0.metrics.loopbackOpen = true
        }
        defer { labelled.stop() }
        labelled.inject(["A", "B", "C", "D"].map { TickFactory.ticker($0, bid: 1) })
        let text = try labelled.request("GET", "/metrics", token: nil).text
        let named = Set(text.split(separator: "\n").filter { $0.hasPrefix("streamhub_channel_publications_total{") })
        XCTAssertEqual(named.count, 3, "two channels by name and the rest as other: \(named)")
        XCTAssertEqual(Self.samples(text)[#"streamhub_channel_publications_total{channel="other"}"#], 2, "\(named)")
        XCTAssertEqual(try TestPrometheus.check(metrics: text).status, 0)
    }

    func testARealPrometheusScrapesTheHub() throws {
        hub.inject((0..<3).map { TickFactory.ticker("X-PERP", bid: Double($0)) })
        let prometheus = try TestPrometheus(targetPort: hub.port, token: Self.scrapeToken)
        defer { prometheus.shutdown() }
        var publications: Double?
        try eventually(timeout: 30, "Prometheus has scraped the hub") {
            publications = try prometheus.query("streamhub_publications_total").first?.value
            return publications != nil
        }
        XCTAssertEqual(publications, 3)
        let up = try prometheus.query(#"up{job="streamhub"}"#)
        XCTAssertEqual(up.first?.value, 1, "the scrape succeeded")
        let stages = try prometheus.query("sum by (stage) (streamhub_stage_latency_seconds_count)")
        XCTAssertEqual(Set(stages.compactMap { $0.labels["stage"] }), ["transform", "enrich", "serve", "ingest"])
    }
}
