import Foundation
import HubCore
import HubTesting
import Venues
import XCTest

/// The real Binance adapter against the in-process simulator (WebSocket streams and REST
/// snapshots), next to Deribit. The fault script every venue passes is `VenueFaultContractTests`.
final class BinanceFeedIntegrationTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws {
        hub = try TestHub {
            $0.feeds.venues.binance.enabled = true
            $0.feeds.venues.binance.simulate = true
            $0.feeds.venues.binance.simulatorStepMilliseconds = 50
            $0.feeds.venues.binance.feed.symbols = ["BTC/USDT", "ETH/USDT"]
            $0.feeds.venues.deribit.enabled = true
            $0.feeds.venues.deribit.simulate = true
            $0.feeds.venues.deribit.simulatorStepMilliseconds = 50
            $0.feeds.venues.deribit.feed.optionCurrencies = []
        }
        try hub.waitUntilLive("binance", "deribit")
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
        let trade = try XCTUnwrap(
            try c.waitFor(timeout: 5) { ($0["ch"] as? String)?.hasPrefix("trades.binance.") == true && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertTrue(["buy", "sell"].contains(trade["side"] as? String ?? ""))
        XCTAssertNotNil(trade["tradeId"] as? String)
        XCTAssertGreaterThan(hub.simulator(BinanceSimulator.self)?.currentStats.snapshots ?? 0, 1, "books came from REST snapshots")
        let report = hub.sync { $0.sourceReport("binance")! }
        XCTAssertEqual(report.decodeErrors, 0)
        XCTAssertEqual(report.gaps, 0)
    }

    /// A skipped update id: a gap, the book rebuilt from a new REST snapshot, never crossed.
    func testAGapRebuildsTheBookFromANewSnapshotWhileDeribitFlows() throws {
        let sim = try XCTUnwrap(hub.simulator(BinanceSimulator.self))
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.BTC-PERPETUAL"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"book.binance.BTC/USDT"}"#)
        let resyncs = hub.sync { $0.sourceReport("binance")!.resyncs }, snapshots = sim.currentStats.snapshots
        sim.inject(.gap(instrument: "BTCUSDT"))
        try hub.waitForSource("binance", "gap detected and resynchronised") { $0.gaps == 1 && $0.resyncs > resyncs && $0.state == "live" }
        XCTAssertGreaterThan(sim.currentStats.snapshots, snapshots, "a new REST snapshot")
        _ = c.drain()
        let book = try XCTUnwrap(try c.waitFor { $0["ch"] as? String == "book.binance.BTC/USDT" && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertLessThan(((book["bids"] as? [[Double]])?.first?[0])!, ((book["asks"] as? [[Double]])?.first?[0])!)
        try assertDeribitFlows(c)
        XCTAssertEqual(hub.sync { $0.sourceReport("deribit")!.reconnects }, 0, "the other source never noticed")
    }

    /// A symbol with no depth traffic and no snapshot (refused) waits on its own: the source
    /// stays live while the other flows, and lists it on `/api/streams` and `sources.hub.binance`.
    func testAQuietSymbolIsListedAsWaitingWhileTheSourceStaysLive() throws {
        let sim = try XCTUnwrap(hub.simulator(BinanceSimulator.self))
        sim.quiet("ETHUSDT")
        let reconnects = try XCTUnwrap(hub.sync { $0.sourceReport("binance") }).reconnects
        sim.inject(.dropConnections)
        try hub.waitForSource("binance", timeout: 10, "reconnected, ETH/USDT waiting") {
            $0.reconnects > reconnects && $0.state == "live" && $0.waiting == ["ETH/USDT"]
        }
        let streams = try XCTUnwrap(hub.request("GET", "/api/streams").object["sources"] as? [[String: Any]])
        XCTAssertEqual(streams.first { $0["name"] as? String == "binance" }?["waiting"] as? [String], ["ETH/USDT"])
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"sources.hub.binance"}"#)
        let status = try c.waitFor(timeout: 3, "a status publication listing the waiting symbol") {
            ($0["data"] as? [String: Any])?["waiting"] as? String == "ETH/USDT"
        }
        XCTAssertEqual((status["data"] as? [String: Any])?["feedState"] as? String, "live")
        // BTC/USDT carries on meanwhile.
        c.send(#"{"id":2,"op":"subscribe","channel":"book.binance.BTC/USDT"}"#)
        _ = try c.waitFor(timeout: 3, "BTC/USDT books flowing") { $0["ch"] as? String == "book.binance.BTC/USDT" && $0["snap"] == nil }
    }
}
