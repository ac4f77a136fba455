import Foundation
import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

/// `docs/grafana/streamhub.json` queries only series the hub exports, and each query is one a
/// real Prometheus accepts.
final class GrafanaDashboardTests: XCTestCase {
    func testEveryQueryUsesExportedSeriesAndParses() throws {
        let url = TestHub.repository.appendingPathComponent("docs/grafana/streamhub.json")
        let dashboard = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let panels = try XCTUnwrap(dashboard["panels"] as? [[String: Any]])
        let queries = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        XCTAssertGreaterThan(queries.count, 15)

        let hub = try TestHub { c in
            DeribitVenue().enableSimulated(in: &c.feeds.venues)
            c.metrics.loopbackOpen = true
            c.alerts.rules = [AlertRule(name: "feeds", kind: .sourceNotLive, forSeconds: 30)]
        }
        defer { hub.stop() }
        try hub.waitUntilLive("deribit", timeout: 15)
        XCTAssertEqual(try hub.request("GET", "/api/streams").status, 200)
        let exposition = try hub.request("GET", "/metrics", token: nil).text
        let check = try TestPrometheus.check(metrics: exposition)
        XCTAssertEqual(check.status, 0, "with sources and alerts: \(check.output)")
        let exported = Set(
            exposition.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
                String(line.prefix { $0 != "{" && $0 != " " })
            })
        let names = try NSRegularExpression(pattern: #"\b(?:streamhub|process)_[a-z_]+\b"#)
        for q in queries {
            for m in names.matches(in: q, range: NSRange(q.startIndex..., in: q)) {
                let name = String(q[Range(m.range, in: q)!])
                XCTAssertTrue(exported.contains(name), "\(name) (in \(q)) is not exported")
            }
        }

        let prometheus = try TestPrometheus(targetPort: hub.port, token: "unused-the-hub-is-loopback-open")
        defer { prometheus.shutdown() }
        for q in queries {
            XCTAssertNoThrow(try prometheus.query(q), q)
        }
    }
}
