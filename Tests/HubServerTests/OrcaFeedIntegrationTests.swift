import Foundation
import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

/// The real ORCA adapter against the in-process simulator, next to Coinbase: odds channels,
/// heartbeats, and ORCA's own recovery — gaps and reconnects resume from the last seq, with no
/// new snapshot. The fault script every venue passes is `VenueFaultContractTests`.
final class OrcaFeedIntegrationTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws {
        hub = try TestHub {
            $0.feeds.venues.orca.enabled = true
            $0.feeds.venues.orca.simulate = true
            $0.feeds.venues.orca.simulatorStepMilliseconds = 20
            $0.feeds.venues.orca.simulatorHeartbeatMs = 300
            $0.feeds.venues.coinbase.enabled = true
            $0.feeds.venues.coinbase.simulate = true
            $0.feeds.venues.coinbase.feed.symbols = ["BTC/USD"]
        }
        try hub.waitUntilLive("orca", "coinbase")
    }

    override func tearDown() { hub.stop() }

    func testOddsChannelsHeartbeatsAndResumes() throws {
        let sim = try XCTUnwrap(hub.simulator(OrcaSimulator.self))
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"odds.orca.EPL-ARS-CHE/ML/home/pinnacle"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"odds.orca.NBA-LAL-BOS/TOT-221.5/over/bet365"}"#)
        c.send(#"{"id":3,"op":"subscribe","channel":"ticker.coinbase.BTC/USD"}"#)
        let q = try XCTUnwrap(try c.waitFor { $0["ch"] as? String == "odds.orca.EPL-ARS-CHE/ML/home/pinnacle" && $0["data"] != nil }["data"] as? [String: Any])
        let d = try XCTUnwrap(q["oddsDecimal"] as? Double)
        let a = try XCTUnwrap(q["oddsAmerican"] as? Int)
        XCTAssertGreaterThan(d, 1)
        XCTAssertEqual(a, d >= 2 ? Int(((d - 1) * 100).rounded()) : -Int((100 / (d - 1)).rounded()))
        XCTAssertEqual(q["bookmaker"] as? String, "pinnacle")
        XCTAssertEqual(q["participant"] as? String, "Arsenal")
        XCTAssertEqual(q["marketType"] as? String, "moneyline")
        XCTAssertEqual(q["event"] as? String, "EPL-ARS-CHE")
        XCTAssertNotNil(q["commenceTime"] as? Int)
        let t = try XCTUnwrap(
            try c.waitFor { ($0["ch"] as? String)?.hasPrefix("odds.orca.NBA-LAL-BOS/TOT") == true && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertEqual(t["line"] as? Double, 221.5)
        XCTAssertEqual(q["sport"] as? String, "soccer")
        XCTAssertEqual(q["league"] as? String, "EPL")
        XCTAssertEqual(q["home"] as? String, "Arsenal")
        XCTAssertEqual(q["outcomeName"] as? String, "Arsenal")
        try hub.waitForSource("orca", "heartbeats") { $0.heartbeats > 0 }

        // A lost delta: detected on the next one, resumed from the last seq (no snapshot).
        sim.inject(.gap(instrument: "soccer"))
        try hub.waitForSource("orca", timeout: 10, "gap resumed") { $0.gaps >= 1 && $0.resyncs >= 1 && $0.state == "live" }
        try hub.wait(timeout: 5, "the simulator served the resume") { _ in sim.currentStats.resumes >= 1 }
        XCTAssertGreaterThanOrEqual(sim.currentStats.deltasReplayed, 1)
        XCTAssertEqual(sim.currentStats.snapshots, 2, "one per stream: the gap was repaired without a snapshot")
        // A reconnect resumes from the last seq too.
        sim.inject(.dropConnections)
        try hub.waitForSource("orca", timeout: 10, "reconnected") { $0.reconnects == 1 && $0.state == "live" }
        try hub.wait(timeout: 5, "resumed after the reconnect") { _ in sim.currentStats.resumes >= 3 }
        XCTAssertEqual(sim.currentStats.snapshots, 2, "reconnects resumed from the last seq too")
        _ = c.drain()
        _ = try c.waitFor(timeout: 3, "coinbase still flowing") { $0["ch"] as? String == "ticker.coinbase.BTC/USD" && $0["snap"] == nil }
        XCTAssertEqual(hub.sync { $0.sourceReport("coinbase")!.reconnects }, 0)
    }
}
