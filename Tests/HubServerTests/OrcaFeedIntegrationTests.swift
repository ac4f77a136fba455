import Foundation
import HubCore
import HubServer
import HubTesting
import Venues
import Venues
import XCTest

/// The real ORCA adapter against the in-process simulator, next to Coinbase: every fault is
/// detected, counted and recovered from (gaps and reconnects resume from the last seq) while
/// Coinbase keeps flowing.
final class OrcaFeedIntegrationTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws {
        hub = try TestHub {
            $0.feeds.venues.orca.enabled = true
            $0.feeds.venues.orca.simulate = true
            $0.feeds.venues.orca.simulatorStepMilliseconds = 20
            $0.feeds.venues.orca.simulatorHeartbeatMs = 300
            $0.feeds.maxFrameBytes = 1 << 20
            $0.feeds.venues.coinbase.enabled = true
            $0.feeds.venues.coinbase.simulate = true
            $0.feeds.venues.coinbase.feed.symbols = ["BTC/USD"]
        }
        try eventually(timeout: 10, "both live") { try self.hub.source("orca")["state"] as? String == "live" && self.hub.source("coinbase")["state"] as? String == "live" }
    }

    override func tearDown() { hub.stop() }

    func testOddsChannelsAndFaults() throws {
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
        let t = try XCTUnwrap(try c.waitFor { ($0["ch"] as? String)?.hasPrefix("odds.orca.NBA-LAL-BOS/TOT") == true && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertEqual(t["line"] as? Double, 221.5)
        try eventually(timeout: 3, "heartbeats") { try self.hub.counter("orca", "heartbeats") > 0 }

        // A lost delta: detected on the next one, resumed from the last seq (no snapshot).
        sim.inject(.gap(instrument: "soccer"))
        try eventually(timeout: 10, "gap resumed") { try self.hub.counter("orca", "gaps") >= 1 && self.hub.counter("orca", "resyncs") >= 1 && sim.currentStats.resumes >= 1 }
        XCTAssertGreaterThanOrEqual(sim.currentStats.deltasReplayed, 1)
        XCTAssertEqual(sim.currentStats.snapshots, 2, "one per stream: the gap was repaired without a snapshot")
        try eventually(timeout: 5, "live") { try self.hub.source("orca")["state"] as? String == "live" }
        sim.inject(.malformedFrame)
        try eventually(timeout: 3, "decode error") { try self.hub.counter("orca", "decodeErrors") == 1 }
        sim.inject(.outOfRange(instrument: "soccer"))
        try eventually(timeout: 3, "quarantined") {
            let q = try self.hub.request("GET", "/api/properties/quarantine").json as? [String: Any]
            return ((q?["bySource"] as? [String: Any])?["orca"] as? [String: Any])?["oddsDecimal"] != nil
        }
        sim.inject(.oversizedFrame(bytes: 2 << 20))
        try eventually(timeout: 10, "oversized frame counted, reconnected") {
            try self.hub.counter("orca", "decodeErrors") == 2 && self.hub.counter("orca", "reconnects") == 1 && self.hub.source("orca")["state"] as? String == "live"
        }
        sim.inject(.dropConnections)
        try eventually(timeout: 10, "reconnected") { try self.hub.counter("orca", "reconnects") == 2 && self.hub.source("orca")["state"] as? String == "live" }
        sim.inject(.silence(seconds: 60))
        try eventually(timeout: 10, "stale: reconnected") { try self.hub.counter("orca", "reconnects") >= 3 }
        try eventually(timeout: 5, "resumed after the reconnects") { sim.currentStats.resumes >= 4 }
        XCTAssertEqual(sim.currentStats.snapshots, 2, "reconnects resumed from the last seq too")
        _ = c.drain()
        _ = try c.waitFor(timeout: 3, "coinbase still flowing") { $0["ch"] as? String == "ticker.coinbase.BTC/USD" && $0["snap"] == nil }
        XCTAssertEqual(try hub.counter("coinbase", "reconnects"), 0)
    }
}
