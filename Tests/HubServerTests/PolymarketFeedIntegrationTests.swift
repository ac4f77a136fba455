import Foundation
import HubCore
import HubTesting
import Venues
import XCTest

/// The real Polymarket adapter against the in-process simulator, next to Coinbase: outcomes,
/// books, trades, PING/PONG, and its answer to a lost change without sequence numbers. The fault
/// script every venue passes is `VenueFaultContractTests`.
final class PolymarketFeedIntegrationTests: XCTestCase {
    var hub: TestHub!
    static let yes = "65818619657568813474341868652308942079804919287380422192892211131408793125422"
    static let no = "71321045679252212594626385532706912750332728571942532289631379312455583992563"

    override func setUpWithError() throws {
        hub = try TestHub {
            $0.feeds.venues.polymarket.enabled = true
            $0.feeds.venues.polymarket.simulate = true
            $0.feeds.venues.polymarket.simulatorStepMilliseconds = 30
            $0.feeds.venues.polymarket.feed.assets = [
                .init(id: Self.yes, name: "FED-CUT-YES", outcome: "Yes"), .init(id: Self.no, name: "FED-CUT-NO", outcome: "No"),
            ]
            $0.feeds.venues.polymarket.feed.pingSeconds = 1
            $0.feeds.venues.coinbase.enabled = true
            $0.feeds.venues.coinbase.simulate = true
            $0.feeds.venues.coinbase.feed.symbols = ["BTC/USD"]
        }
        try hub.waitUntilLive("polymarket", "coinbase")
    }

    override func tearDown() { hub.stop() }

    func testOutcomesBooksTradesPingAndALostChange() throws {
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"outcomes.polymarket.FED-CUT-YES"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"book.polymarket.*"}"#)
        c.send(#"{"id":3,"op":"subscribe","channel":"trades.polymarket.*"}"#)
        c.send(#"{"id":4,"op":"subscribe","channel":"ticker.coinbase.BTC/USD"}"#)
        let o = try XCTUnwrap(
            try c.waitFor { m in m["ch"] as? String == "outcomes.polymarket.FED-CUT-YES" && ((m["data"] as? [String: Any])?["bestBid"] as? Double) != nil }[
                "data"] as? [String: Any])
        XCTAssertLessThan(o["bestBid"] as! Double, o["bestAsk"] as! Double)
        XCTAssertEqual(o["outcome"] as? String, "Yes")
        let book = try XCTUnwrap(try c.waitFor { ($0["ch"] as? String)?.hasPrefix("book.polymarket.") == true && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertNotNil(book["bids"] as? [[Double]])
        let trade = try XCTUnwrap(
            try c.waitFor(timeout: 5) { ($0["ch"] as? String)?.hasPrefix("trades.polymarket.") == true && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertNotNil(trade["amount"] as? Double)
        XCTAssertNotNil(trade["price"] as? Double)
        try hub.waitForSource("polymarket", "PING answered by PONG") { $0.heartbeats > 0 }

        // A lost change (no sequence numbers): the venue's best prices no longer match the book,
        // which is rebuilt.
        let sim = try XCTUnwrap(hub.simulator(PolymarketSimulator.self))
        sim.inject(.gap(instrument: Self.yes))
        try hub.waitForSource("polymarket", timeout: 10, "inconsistency detected and the book rebuilt") {
            $0.gaps >= 1 && $0.resyncs >= 1 && $0.state == "live"
        }
        _ = c.drain()
        _ = try c.waitFor(timeout: 3, "coinbase still flowing") { $0["ch"] as? String == "ticker.coinbase.BTC/USD" && $0["snap"] == nil }
        XCTAssertEqual(hub.sync { $0.sourceReport("coinbase")!.reconnects }, 0)
    }
}
