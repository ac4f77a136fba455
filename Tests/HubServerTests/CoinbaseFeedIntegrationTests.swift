import Foundation
import HubCore
import HubTesting
import Venues
import XCTest

/// The real Coinbase adapter against the in-process simulator, next to Binance: what Coinbase
/// publishes, and its own answer to a gap (every book subscribed afresh). The fault script every
/// venue passes is `VenueFaultContractTests`.
final class CoinbaseFeedIntegrationTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws {
        hub = try TestHub {
            $0.feeds.venues.coinbase.enabled = true
            $0.feeds.venues.coinbase.simulate = true
            $0.feeds.venues.coinbase.simulatorStepMilliseconds = 50
            $0.feeds.venues.coinbase.feed.symbols = ["BTC/USD", "ETH/USD"]
            $0.feeds.venues.binance.enabled = true
            $0.feeds.venues.binance.simulate = true
            $0.feeds.venues.binance.simulatorStepMilliseconds = 50
            $0.feeds.venues.binance.feed.symbols = ["BTC/USDT"]
        }
        try hub.waitUntilLive("coinbase", "binance")
    }

    override func tearDown() { hub.stop() }

    func testTickersTradesBooksAndAGapRebuildsEveryBook() throws {
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.coinbase.BTC/USD"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"book.coinbase.ETH/USD"}"#)
        c.send(#"{"id":3,"op":"subscribe","channel":"trades.coinbase.*"}"#)
        c.send(#"{"id":4,"op":"subscribe","channel":"ticker.binance.BTC/USDT"}"#)
        let t = try XCTUnwrap(try c.waitFor { $0["ch"] as? String == "ticker.coinbase.BTC/USD" && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertLessThan(t["bid"] as! Double, t["ask"] as! Double)
        XCTAssertNotNil(t["last"])
        XCTAssertNotNil(t["high"])
        let book = try XCTUnwrap(try c.waitFor { $0["ch"] as? String == "book.coinbase.ETH/USD" && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertLessThan(((book["bids"] as? [[Double]])?.first?[0])!, ((book["asks"] as? [[Double]])?.first?[0])!)
        let trade = try XCTUnwrap(
            try c.waitFor(timeout: 5) { ($0["ch"] as? String)?.hasPrefix("trades.coinbase.") == true && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertTrue(["buy", "sell"].contains(trade["side"] as? String ?? ""))
        try hub.waitForSource("coinbase", "heartbeats") { $0.heartbeats > 0 }

        // A lost message: the sequence jumps, and both books are subscribed afresh.
        let sim = try XCTUnwrap(hub.simulator(CoinbaseSimulator.self))
        let resyncs = hub.sync { $0.sourceReport("coinbase")!.resyncs }
        sim.inject(.gap(instrument: "BTC-USD"))
        try hub.waitForSource("coinbase", "gap detected, both books rebuilt") { $0.gaps == 1 && $0.resyncs >= resyncs + 2 && $0.state == "live" }
        _ = c.drain()
        _ = try c.waitFor(timeout: 3, "binance still flowing") { $0["ch"] as? String == "ticker.binance.BTC/USDT" && $0["snap"] == nil }
        XCTAssertEqual(hub.sync { $0.sourceReport("binance")!.reconnects }, 0)
    }

    /// A host that does not resolve fails inside libwebsockets' connect call: still retried.
    func testAnUnresolvableHostIsRetried() throws {
        let other = try TestHub {
            $0.feeds.venues.coinbase.enabled = true
            $0.feeds.venues.coinbase.url = "ws://venue.invalid:9/ws"
            $0.feeds.venues.coinbase.feed.symbols = ["BTC/USD"]
        }
        defer { other.stop() }
        try other.waitForSource("coinbase", timeout: 20, "retried") { $0.reconnects >= 2 && $0.state == "down" }
    }
}
