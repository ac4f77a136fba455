import Foundation
import HubCore
import HubTesting
import Venues
import XCTest

/// The real Binance adapter against the in-process simulator (WebSocket streams and REST
/// snapshots), next to Deribit: faults on one source are detected, counted and recovered from
/// while the other keeps flowing.
final class BinanceFeedIntegrationTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws {
        hub = try TestHub {
            $0.feeds.venues.binance.enabled = true
            $0.feeds.venues.binance.simulate = true
            $0.feeds.venues.binance.simulatorStepMilliseconds = 50
            $0.feeds.venues.binance.feed.symbols = ["BTC/USDT", "ETH/USDT"]
            $0.feeds.venues.binance.feed.staleAfterSeconds = 1.5
            $0.feeds.maxFrameBytes = 1 << 20
            $0.feeds.venues.deribit.enabled = true
            $0.feeds.venues.deribit.simulate = true
            $0.feeds.venues.deribit.simulatorStepMilliseconds = 50
            $0.feeds.venues.deribit.feed.optionCurrencies = []
        }
        try eventually(timeout: 10, "both sources live") { try self.hub.source("binance")["state"] as? String == "live" && self.hub.source("deribit")["state"] as? String == "live" }
    }

    override func tearDown() { hub.stop() }

    /// Deribit keeps publishing: a fresh ticker arrives on an open subscription.
    func assertDeribitFlows(_ c: TestClient) throws {
        _ = c.drain()
        _ = try c.waitFor(timeout: 3, "deribit still flowing") { $0["ch"] as? String == "ticker.deribit.BTC-PERPETUAL" && $0["snap"] == nil }
    }

    func testTickersTradesAndSynchronisedBooksFlow() throws {
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.binance.BTC/USDT"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"book.binance.ETH/USDT"}"#)
        c.send(#"{"id":3,"op":"subscribe","channel":"trades.binance.*"}"#)
        let t = try XCTUnwrap(try c.waitFor { $0["ch"] as? String == "ticker.binance.BTC/USDT" && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertLessThan(t["bid"] as! Double, t["ask"] as! Double)
        XCTAssertNotNil(t["bidVolume"])
        XCTAssertNotNil(t["mid"], "enriched like every venue's ticker")
        for _ in 0..<10 {
            let book = try XCTUnwrap(try c.waitFor { $0["ch"] as? String == "book.binance.ETH/USDT" && $0["data"] != nil }["data"] as? [String: Any])
            let bids = try XCTUnwrap(book["bids"] as? [[Double]]), asks = try XCTUnwrap(book["asks"] as? [[Double]])
            XCTAssertEqual(bids.count, 10)
            XCTAssertEqual(bids.map { $0[0] }, bids.map { $0[0] }.sorted(by: >))
            XCTAssertLessThan(bids[0][0], asks[0][0], "never crossed")
        }
        let trade = try XCTUnwrap(try c.waitFor(timeout: 5) { ($0["ch"] as? String)?.hasPrefix("trades.binance.") == true && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertTrue(["buy", "sell"].contains(trade["side"] as? String ?? ""))
        XCTAssertNotNil(trade["tradeId"] as? String)
        XCTAssertGreaterThan(hub.simulator(BinanceSimulator.self)?.currentStats.snapshots ?? 0, 1, "books came from REST snapshots")
        XCTAssertEqual(try hub.counter("binance", "decodeErrors"), 0)
        XCTAssertEqual(try hub.counter("binance", "gaps"), 0)
    }

    func testEveryFaultIsDetectedCountedAndRecoveredWhileDeribitFlows() throws {
        let sim = try XCTUnwrap(hub.simulator(BinanceSimulator.self))
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.BTC-PERPETUAL"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"book.binance.BTC/USDT"}"#)

        // A skipped update id: a gap, the book rebuilt from a new snapshot.
        let resyncs = try hub.counter("binance", "resyncs")
        sim.inject(.gap(instrument: "BTCUSDT"))
        try eventually(timeout: 5, "gap detected and resynchronised") { try self.hub.counter("binance", "gaps") == 1 && self.hub.counter("binance", "resyncs") > resyncs }
        try eventually(timeout: 5, "live again") { try self.hub.source("binance")["state"] as? String == "live" }
        let book = try XCTUnwrap(try c.waitFor { $0["ch"] as? String == "book.binance.BTC/USDT" && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertLessThan(((book["bids"] as? [[Double]])?.first?[0])!, ((book["asks"] as? [[Double]])?.first?[0])!)
        try assertDeribitFlows(c)

        // Malformed JSON: counted, the connection stays.
        sim.inject(.malformedFrame)
        try eventually(timeout: 3, "decode error counted") { try self.hub.counter("binance", "decodeErrors") == 1 }
        XCTAssertEqual(try hub.counter("binance", "reconnects"), 0)

        // Values that decode but must not validate: quarantined, not served.
        sim.inject(.outOfRange(instrument: "BTCUSDT"))
        try eventually(timeout: 3, "quarantined") {
            let q = try self.hub.request("GET", "/api/properties/quarantine").json as? [String: Any]
            return ((q?["bySource"] as? [String: Any])?["binance"] as? [String: Any])?["bid"] != nil
        }

        // A dropped connection: reconnected with backoff, books rebuilt.
        sim.inject(.dropConnections)
        try eventually(timeout: 10, "reconnected") { try self.hub.counter("binance", "reconnects") == 1 && self.hub.source("binance")["state"] as? String == "live" }
        try assertDeribitFlows(c)

        // Silence beyond staleAfterSeconds: a stale feed is reconnected.
        sim.inject(.silence(seconds: 3))
        try eventually(timeout: 10, "stale feed reconnected") { try self.hub.counter("binance", "reconnects") == 2 }
        try assertDeribitFlows(c)
        try eventually(timeout: 10, "live after the silence") { try self.hub.source("binance")["state"] as? String == "live" }
        XCTAssertEqual(try hub.source("deribit")["state"] as? String, "live")
        XCTAssertEqual(try hub.counter("deribit", "reconnects"), 0, "the other source never noticed")
    }

    /// A frame over feeds.maxFrameBytes: counted with the decode errors, the session renewed.
    func testOversizedFrameIsCountedAndTheSessionRenewed() throws {
        let sim = try XCTUnwrap(hub.simulator(BinanceSimulator.self))
        sim.inject(.oversizedFrame(bytes: 2 << 20))
        try eventually(timeout: 10, "counted, reconnected, live again") {
            try self.hub.counter("binance", "decodeErrors") == 1 && self.hub.counter("binance", "reconnects") == 1 && self.hub.source("binance")["state"] as? String == "live"
        }
        XCTAssertEqual(try hub.counter("deribit", "reconnects"), 0)
    }
}
