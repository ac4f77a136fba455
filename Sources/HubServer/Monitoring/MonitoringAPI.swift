import Foundation
import HubCore
import WebSocketLoop

/// `GET /metrics` (Prometheus text) and `GET /api/monitoring/performance` (sliding windows).
///
/// `/metrics` answers callers with the `monitoring:read` scope, scrapers presenting
/// `metrics.token` as a bearer token, and — only when `metrics.loopbackOpen` — anyone on a
/// loopback address.
///
/// Threading: handlers on the loop.
final class MonitoringAPI {
    private let exporter: MetricsExporter
    private let performance: PerformanceMonitor
    private let config: HubConfig.Metrics

    init(exporter: MetricsExporter, performance: PerformanceMonitor, config: HubConfig.Metrics) {
        self.exporter = exporter
        self.performance = performance
        self.config = config
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/metrics", .scope("monitoring:read"), doc: .metrics, bypass: { [config] in Self.mayScrape($0, config) }) {
            [unowned self] _, _, respond in
            respond(HTTPResponse(status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8", body: exporter.render()))
        }
        router.add("GET", "/api/monitoring/performance", .scope("monitoring:read"), doc: .performance) { [unowned self] _, _, respond in
            respond(.json(performance.report()))
        }
    }

    /// The scrape token (compared in constant time) or an allowed loopback caller.
    static func mayScrape(_ request: HTTPRequest, _ config: HubConfig.Metrics) -> Bool {
        if !config.token.isEmpty, let header = request.headers["authorization"], header.hasPrefix("Bearer ") {
            let given = Array(header.utf8.dropFirst(7)), expected = Array(config.token.utf8)
            var diff = given.count ^ expected.count
            for i in 0..<expected.count { diff |= Int(expected[i] ^ (i < given.count ? given[i] : 0)) }
            if diff == 0 { return true }
        }
        // A request a local proxy forwarded comes from loopback too: it is not a local scraper.
        let forwarded = request.headers["x-forwarded-for"] != nil
        return config.loopbackOpen && !forwarded && isLoopback(request.remoteAddress)
    }

    static func isLoopback(_ address: String) -> Bool {
        address.hasPrefix("127.") || address == "::1" || address.hasPrefix("::ffff:127.")
    }
}
