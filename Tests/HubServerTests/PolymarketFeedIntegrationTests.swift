import Foundation
import HubCore
import HubTesting
import Venues
import Venues
import XCTest

/// The real Polymarket adapter against the in-process simulator, next to Coinbase.
final class PolymarketFeedIntegrationTests: XCTestCase {
    var hub: TestHub!
    static let yes = "65818619657568813474341868652308942079804919287380422192892211131408793125422"
    static let no = "71321045679252212594626385532706912750332728571942532289631379312455583992563"

    override func setUpWithError() throws {
        hub = try TestHub {
            $0.feeds.venues.polymarket.enabled = true
            $0.feeds.venues.polymarket.simulate = true
            $0.feeds.venues.polymarket.simulatorStepMilliseconds = 30
            $0.feeds.venues.polymarket.feed.assets = [.init(id: Self.yes, name: "FED-CUT-YES", outcome: "Yes"), .init(id: Self.no, name: "FED-CUT-NO", outcome: "No")]
            $0.feeds.venues.polymarket.feed.pingSeconds = 1
            $0.feeds.venues.polymarket.feed.staleAfterSeconds = 2.5
            $0.feeds.maxFrameBytes = 1 << 20
            $0.feeds.venues.coinbase.enabled = true
            $0.feeds.venues.coinbase.simulate = true
            $0.feeds.venues.coinbase.feed.symbols = ["BTC/USD"]
        }
        try eventually(timeout: 10, "both live") { try self.hub.source("polymarket")["state"] as? String == "live" && self.hub.source("coinbase")["state"] as? String == "live" }
    }

    override func tearDown() { hub.stop() }

    func testOutcomesBooksTradesPingAndFaults() throws {
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"outcomes.polymarket.FED-CUT-YES"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"book.polymarket.*"}"#)
        c.send(#"{"id":3,"op":"subscribe","channel":"trades.polymarket.*"}"#)
        c.send(#"{"id":4,"op":"subscribe","channel":"ticker.coinbase.BTC/USD"}"#)
        let o = try XCTUnwrap(try c.waitFor { m in m["ch"] as? String == "outcomes.polymarket.FED-CUT-YES" && ((m["data"] as? [String: Any])?["bestBid"] as? Double) != nil }["data"] as? [String: Any])
        XCTAssertLessThan(o["bestBid"] as! Double, o["bestAsk"] as! Double)
        XCTAssertEqual(o["outcome"] as? String, "Yes")
        let book = try XCTUnwrap(try c.waitFor { ($0["ch"] as? String)?.hasPrefix("book.polymarket.") == true && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertNotNil(book["bids"] as? [[Double]])
        let trade = try XCTUnwrap(try c.waitFor(timeout: 5) { ($0["ch"] as? String)?.hasPrefix("trades.polymarket.") == true && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertNotNil(trade["amount"] as? Double)
        XCTAssertNotNil(trade["price"] as? Double)
        try eventually(timeout: 4, "PING answered by PONG") { try self.hub.counter("polymarket", "heartbeats") > 0 }

        let sim = try XCTUnwrap(hub.simulator(PolymarketSimulator.self))
        // A lost change (no sequence numbers): the venue's best prices no longer match the book.
        sim.inject(.gap(instrument: Self.yes))
        try eventually(timeout: 10, "inconsistency detected and the book rebuilt") { try self.hub.counter("polymarket", "gaps") >= 1 && self.hub.counter("polymarket", "resyncs") >= 1 }
        try eventually(timeout: 5, "live") { try self.hub.source("polymarket")["state"] as? String == "live" }
        sim.inject(.malformedFrame)
        try eventually(timeout: 3, "decode error") { try self.hub.counter("polymarket", "decodeErrors") == 1 }
        sim.inject(.outOfRange(instrument: Self.yes))
        try eventually(timeout: 3, "quarantined") {
            let q = try self.hub.request("GET", "/api/properties/quarantine").json as? [String: Any]
            return ((q?["bySource"] as? [String: Any])?["polymarket"] as? [String: Any])?["bestBid"] != nil
        }
        sim.inject(.dropConnections)
        try eventually(timeout: 10, "reconnected") { try self.hub.counter("polymarket", "reconnects") == 1 && self.hub.source("polymarket")["state"] as? String == "live" }
        sim.inject(.silence(seconds: 60))  // not even PONG
        try eventually(timeout: 10, "stale: reconnected") { try self.hub.counter("polymarket", "reconnects") == 2 }
        _ = c.drain()
        _ = try c.waitFor(timeout: 3, "coinbase still flowing") { $0["ch"] as? String == "ticker.coinbase.BTC/USD" && $0["snap"] == nil }
        XCTAssertEqual(try hub.counter("coinbase", "reconnects"), 0)
    }

    /// A frame over feeds.maxFrameBytes: counted with the decode errors, the session renewed.
    func testOversizedFrameIsCountedAndTheSessionRenewed() throws {
        let sim = try XCTUnwrap(hub.simulator(PolymarketSimulator.self))
        sim.inject(.oversizedFrame(bytes: 2 << 20))
        try eventually(timeout: 10, "counted, reconnected, live again") {
            try self.hub.counter("polymarket", "decodeErrors") == 1 && self.hub.counter("polymarket", "reconnects") == 1 && self.hub.source("polymarket")["state"] as? String == "live"
        }
        XCTAssertEqual(try hub.counter("coinbase", "reconnects"), 0)
    }
}
