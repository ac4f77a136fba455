import Foundation
import HubCore
import HubTesting
import XCTest

/// `GET /api/monitoring/performance`: stage, route and store percentiles over 1 m, 5 m and 1 h,
/// throughput, memory and the loop's busy ratio; windows move with the hub's clock.
final class PerformanceAPITests: XCTestCase {
    var hub: TestHub!
    let clock = ManualClock(running: true)

    override func setUpWithError() throws { hub = try TestHub(clock: clock) }
    override func tearDown() { hub.stop() }

    func report() throws -> [String: Any] {
        let r = try hub.request("GET", "/api/monitoring/performance")
        XCTAssertEqual(r.status, 200, r.text)
        return try XCTUnwrap(r.json as? [String: Any])
    }

    func window(_ r: [String: Any], _ w: String) -> [String: Any] { (r["windows"] as? [String: Any])?[w] as? [String: Any] ?? [:] }
    func stage(_ r: [String: Any], _ w: String, _ s: String) -> [String: Any] { (window(r, w)["stages"] as? [String: Any])?[s] as? [String: Any] ?? [:] }

    func testWindowsHoldStagesRoutesStoresAndMoveWithTheClock() throws {
        hub.inject((0..<20).map { TickFactory.ticker("X-PERP", bid: Double($0)) })
        XCTAssertEqual(try hub.request("GET", "/api/users").status, 200)
        let first = try report()
        for w in ["1m", "5m", "1h"] {
            XCTAssertEqual(stage(first, w, "serve")["count"] as? Int, 20, w)
            XCTAssertGreaterThan(stage(first, w, "serve")["p99Ms"] as? Double ?? 0, 0)
        }
        let routes = window(first, "1m")["routes"] as? [String: Any] ?? [:]
        XCTAssertEqual((routes["GET /api/users"] as? [String: Any])?["count"] as? Int, 1)
        let stores = window(first, "1m")["stores"] as? [String: Any] ?? [:]
        XCTAssertNotNil(stores["sqlite.read"], "\(stores.keys)")
        XCTAssertGreaterThan((first["memory"] as? [String: Any])?["residentBytes"] as? Int ?? 0, 1 << 20)
        XCTAssertGreaterThan(first["openDescriptors"] as? Int ?? 0, 2)
        XCTAssertNotNil(first["loopBusyRatio"] as? Double)

        clock.advance(by: 70)
        try eventually(timeout: 5, "the one-minute window emptied") {
            stage(try report(), "1m", "serve")["count"] as? Int == 0
        }
        let later = try report()
        XCTAssertEqual(stage(later, "5m", "serve")["count"] as? Int, 20)
        XCTAssertEqual(stage(later, "1h", "serve")["count"] as? Int, 20)
        let throughput = try XCTUnwrap(window(later, "5m")["throughput"] as? [String: Any])
        XCTAssertGreaterThanOrEqual(throughput["seconds"] as? Double ?? 0, 60, "measured over the clock's span")
        XCTAssertNotNil(throughput["publicationsPerSecond"])
        XCTAssertNotNil(throughput["loopBusyRatio"])
    }

    func testNeedsTheMonitoringScope() throws {
        XCTAssertEqual(try hub.request("GET", "/api/monitoring/performance", token: try hub.createUser("pat", roles: ["premium"]).token).status, 403)
        XCTAssertEqual(try hub.request("GET", "/api/monitoring/performance", token: nil).status, 401)
    }
}
