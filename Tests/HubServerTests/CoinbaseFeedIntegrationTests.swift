import Foundation
import HubCore
import HubTesting
import Venues
import XCTest

/// The real Coinbase adapter against the in-process simulator, next to Binance: every fault
/// detected, counted and recovered from while the other source keeps flowing.
final class CoinbaseFeedIntegrationTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws {
        hub = try TestHub {
            $0.feeds.venues.coinbase.enabled = true
            $0.feeds.venues.coinbase.simulate = true
            $0.feeds.venues.coinbase.simulatorStepMilliseconds = 50
            $0.feeds.venues.coinbase.feed.symbols = ["BTC/USD", "ETH/USD"]
            $0.feeds.venues.coinbase.feed.staleAfterSeconds = 2
            $0.feeds.maxFrameBytes = 1 << 20
            $0.feeds.venues.binance.enabled = true
            $0.feeds.venues.binance.simulate = true
            $0.feeds.venues.binance.simulatorStepMilliseconds = 50
            $0.feeds.venues.binance.feed.symbols = ["BTC/USDT"]
        }
        try eventually(timeout: 10, "both live") { try self.hub.source("coinbase")["state"] as? String == "live" && self.hub.source("binance")["state"] as? String == "live" }
    }

    override func tearDown() { hub.stop() }

    func assertBinanceFlows(_ c: TestClient) throws {
        _ = c.drain()
        _ = try c.waitFor(timeout: 3, "binance still flowing") { $0["ch"] as? String == "ticker.binance.BTC/USDT" && $0["snap"] == nil }
    }

    func testTickersTradesBooksAndFaults() throws {
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
        let trade = try XCTUnwrap(try c.waitFor(timeout: 5) { ($0["ch"] as? String)?.hasPrefix("trades.coinbase.") == true && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertTrue(["buy", "sell"].contains(trade["side"] as? String ?? ""))
        XCTAssertGreaterThan(try hub.counter("coinbase", "heartbeats"), 0)

        let sim = try XCTUnwrap(hub.simulator(CoinbaseSimulator.self))
        // A lost message: the sequence jumps, books are subscribed afresh.
        let resyncs = try hub.counter("coinbase", "resyncs")
        sim.inject(.gap(instrument: ""))
        try eventually(timeout: 5, "gap detected, books rebuilt") { try self.hub.counter("coinbase", "gaps") == 1 && self.hub.counter("coinbase", "resyncs") >= resyncs + 2 }
        try eventually(timeout: 5, "live") { try self.hub.source("coinbase")["state"] as? String == "live" }
        try assertBinanceFlows(c)

        sim.inject(.malformedFrame)
        try eventually(timeout: 3, "decode error") { try self.hub.counter("coinbase", "decodeErrors") == 1 }
        sim.inject(.outOfRange(instrument: "BTC-USD"))
        try eventually(timeout: 3, "quarantined") {
            let q = try self.hub.request("GET", "/api/properties/quarantine").json as? [String: Any]
            return ((q?["bySource"] as? [String: Any])?["coinbase"] as? [String: Any])?["bid"] != nil
        }
        sim.inject(.dropConnections)
        try eventually(timeout: 10, "reconnected") { try self.hub.counter("coinbase", "reconnects") == 1 && self.hub.source("coinbase")["state"] as? String == "live" }
        sim.inject(.silence(seconds: 4))
        try eventually(timeout: 10, "stale reconnect") { try self.hub.counter("coinbase", "reconnects") == 2 }
        try assertBinanceFlows(c)
        try eventually(timeout: 10, "live again") { try self.hub.source("coinbase")["state"] as? String == "live" }
        XCTAssertEqual(try hub.counter("binance", "reconnects"), 0)
    }

    /// A frame over feeds.maxFrameBytes: counted with the decode errors, the session renewed.
    func testOversizedFrameIsCountedAndTheSessionRenewed() throws {
        let sim = try XCTUnwrap(hub.simulator(CoinbaseSimulator.self))
        sim.inject(.oversizedFrame(bytes: 2 << 20))
        try eventually(timeout: 10, "counted, reconnected, live again") {
            try self.hub.counter("coinbase", "decodeErrors") == 1 && self.hub.counter("coinbase", "reconnects") == 1 && self.hub.source("coinbase")["state"] as? String == "live"
        }
        XCTAssertEqual(try hub.counter("binance", "reconnects"), 0)
    }

    /// A host that does not resolve fails inside libwebsockets' connect call: still retried.
    func testAnUnresolvableHostIsRetried() throws {
        let other = try TestHub {
            $0.feeds.venues.coinbase.enabled = true
            $0.feeds.venues.coinbase.url = "ws://venue.invalid:9/ws"
            $0.feeds.venues.coinbase.feed.symbols = ["BTC/USD"]
        }
        defer { other.stop() }
        try eventually(timeout: 20, "retried") {
            let s = (try other.health()["sources"] as? [[String: Any]])?.first ?? [:]
            return s["reconnects"] as? Int ?? 0 >= 2 && s["state"] as? String == "down"
        }
    }
}
