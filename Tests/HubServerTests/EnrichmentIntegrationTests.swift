import Foundation
import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

/// Enrichment end to end: the ORCA simulator's bookmakers, the hub's best lines and consensus,
/// and a sportsbook arbitrage driven open and closed again, seen by a real WebSocket client.
final class EnrichmentIntegrationTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws {
        hub = try TestHub {
            $0.feeds.venues.orca.enabled = true
            $0.feeds.venues.orca.simulate = true
            $0.feeds.venues.orca.feed.streams = ["soccer"]
            $0.feeds.venues.orca.simulatorStepMilliseconds = 60_000  // the test moves the prices
            $0.feeds.venues.orca.simulatorHeartbeatMs = 500
        }
        try hub.waitUntilLive("orca")
    }

    override func tearDown() { hub.stop() }

    func testBestLinesConsensusAndAnArbitrageOpenedThenRetracted() throws {
        let sim = try XCTUnwrap(hub.simulator(OrcaSimulator.self))
        let c = try TestClient.connect(hub.wsURL)  // as admin
        c.send(#"{"id":1,"op":"subscribe","channel":"odds.orca.EPL-ARS-CHE/ML/home"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"odds.orca.EPL-ARS-CHE/ML/home/pinnacle"}"#)
        c.send(#"{"id":3,"op":"subscribe","channel":"arb.sportsbook.*"}"#)
        // The outcome's aggregate: the best line over five bookmakers (Betfair's 1.5 % margin is
        // the smallest), consensus of the sharp books.
        let home = try XCTUnwrap(try c.waitFor { $0["ch"] as? String == "odds.orca.EPL-ARS-CHE/ML/home" && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertEqual(home["bestBookmaker"] as? String, "betfair")
        let best = try XCTUnwrap(home["bestOdds"] as? Double)
        XCTAssertEqual(try XCTUnwrap(home["impliedProbability"] as? Double), 1 / best, accuracy: 1e-9)
        let consensus = try XCTUnwrap(home["sharpConsensus"] as? Double)
        XCTAssertEqual(consensus, 0.46, accuracy: 0.01, "the simulator's fair probability")
        XCTAssertEqual(home["participant"] as? String, "Arsenal")
        let quote = try XCTUnwrap(
            try c.waitFor { $0["ch"] as? String == "odds.orca.EPL-ARS-CHE/ML/home/pinnacle" && $0["data"] != nil }["data"] as? [String: Any])
        let overround = try XCTUnwrap(quote["overround"] as? Double)
        XCTAssertEqual(overround, 1.02, accuracy: 0.01, "Pinnacle's 2 % margin")
        XCTAssertEqual(try XCTUnwrap(quote["noVigProbability"] as? Double), (1 / (quote["oddsDecimal"] as! Double)) / overround, accuracy: 1e-9)

        // bet365 moves home to 3.00: 1/3 + the best draw and away < 1 — an arbitrage.
        sim.quote(event: "EPL-ARS-CHE", market: "ML", outcome: "home", bookmaker: "bet365", decimal: 3.0)
        let opened = try XCTUnwrap(try c.waitFor { $0["ch"] as? String == "arb.sportsbook.EPL-ARS-CHE/ML" && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertEqual(opened["active"] as? Bool, true)
        XCTAssertGreaterThan(opened["edge"] as? Double ?? 0, 0.05)
        XCTAssertTrue((opened["legs"] as? String ?? "").hasPrefix("home@bet365 3.0 stake"), "\(opened["legs"] ?? "")")
        // Back to 2.00: the opportunity closes and is retracted.
        sim.quote(event: "EPL-ARS-CHE", market: "ML", outcome: "home", bookmaker: "bet365", decimal: 2.0)
        let closed = try XCTUnwrap(
            try c.waitFor { $0["ch"] as? String == "arb.sportsbook.EPL-ARS-CHE/ML" && ($0["data"] as? [String: Any])?["active"] as? Bool == false }["data"]
                as? [String: Any])
        XCTAssertEqual(closed["firstSeen"] as? Int, opened["firstSeen"] as? Int)
    }

    /// Consensus v2 reaches a session only while `sharp-books-v2` is on for it (analysts and
    /// admins by default); v1 reaches every premium session.
    func testConsensusV2FollowsTheSessionsFlag() throws {
        func user(_ name: String, _ role: String) throws -> String {
            let r = try hub.request("POST", "/api/users", #"{"username":"\#(name)","roles":["\#(role)"]}"#)
            XCTAssertEqual(r.status, 201, r.text)
            let id = try XCTUnwrap(((r.json as? [String: Any])?["user"] as? [String: Any])?["id"] as? Int)
            return try hub.token(subject: "\(id)")
        }
        for (role, seesV2) in [("premium", false), ("analyst", true)] {
            let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(try user("u-\(role)", role))")
            c.send(#"{"id":1,"op":"subscribe","channel":"odds.orca.EPL-ARS-CHE/ML/home"}"#)
            let d = try XCTUnwrap(try c.waitFor { $0["ch"] as? String == "odds.orca.EPL-ARS-CHE/ML/home" && $0["data"] != nil }["data"] as? [String: Any])
            XCTAssertNotNil(d["sharpConsensus"] as? Double, role)
            XCTAssertEqual(d["sharpConsensusV2"] != nil, seesV2, role)
        }
    }
}
