import Foundation
import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

/// The real Kalshi adapter against the in-process simulator (signed login checked), next to
/// Coinbase: books, tickers and trades, its answer to a `seq` gap (the book resubscribed), a
/// fresh signed login for every connection, refused keys and unknown markets. The fault script
/// every venue passes is `VenueFaultContractTests`.
final class KalshiFeedIntegrationTests: XCTestCase {
    var hub: TestHub!
    static let fed = "FED-23DEC-T3.00"

    func startHub(legacyCents: Bool = false, _ extra: (inout HubConfig) -> Void = { _ in }) throws {
        hub = try TestHub {
            $0.feeds.venues.kalshi.enabled = true
            $0.feeds.venues.kalshi.simulate = true
            $0.feeds.venues.kalshi.simulatorStepMilliseconds = 30
            $0.feeds.venues.kalshi.simulatorLegacyCents = legacyCents
            $0.feeds.venues.kalshi.feed.markets = [Self.fed, "HIGHNY-22DEC23-B53.5"]
            $0.feeds.venues.coinbase.enabled = true
            $0.feeds.venues.coinbase.simulate = true
            $0.feeds.venues.coinbase.feed.symbols = ["BTC/USD"]
            extra(&$0)
        }
    }

    override func tearDown() { hub?.stop() }

    func testSignedLoginBooksTickersTradesAndResubscribedGaps() throws {
        try startHub()
        try hub.waitUntilLive("kalshi", "coinbase")
        let sim = try XCTUnwrap(hub.simulator(KalshiSimulator.self))
        XCTAssertEqual(sim.currentStats.rejectedLogins, 0)
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"outcomes.kalshi.\#(Self.fed)"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"book.kalshi.*"}"#)
        c.send(#"{"id":3,"op":"subscribe","channel":"trades.kalshi.*"}"#)
        c.send(#"{"id":4,"op":"subscribe","channel":"ticker.coinbase.BTC/USD"}"#)
        let o = try XCTUnwrap(
            try c.waitFor { m in
                let d = m["data"] as? [String: Any]
                return m["ch"] as? String == "outcomes.kalshi.\(Self.fed)" && d?["yesBid"] != nil && d?["yesAsk"] != nil && d?["volume"] != nil
            }["data"] as? [String: Any])
        let yesBid = try XCTUnwrap(o["yesBid"] as? Double), yesAsk = try XCTUnwrap(o["yesAsk"] as? Double)
        XCTAssertLessThan(yesBid, yesAsk)
        let book = try XCTUnwrap(try c.waitFor { ($0["ch"] as? String)?.hasPrefix("book.kalshi.") == true && $0["data"] != nil }["data"] as? [String: Any])
        let bids = try XCTUnwrap(book["bids"] as? [[Double]]), asks = try XCTUnwrap(book["asks"] as? [[Double]])
        if let b = bids.first, let a = asks.first { XCTAssertLessThan(b[0], a[0], "YES-centric book never crossed") }
        let trade = try XCTUnwrap(
            try c.waitFor(timeout: 5) { ($0["ch"] as? String)?.hasPrefix("trades.kalshi.") == true && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertNotNil(trade["amount"] as? Double)
        XCTAssertNotNil(trade["price"] as? Double)

        // A `seq` gap: the book's subscription is dropped and taken again.
        sim.inject(.gap(instrument: Self.fed))
        try hub.waitForSource("kalshi", timeout: 10, "seq gap detected, book resubscribed") { $0.gaps >= 1 && $0.resyncs >= 1 && $0.state == "live" }
        XCTAssertGreaterThanOrEqual(sim.currentStats.unsubscribes, 1)
        // Every connection signs a fresh login.
        sim.inject(.dropConnections)
        try hub.waitForSource("kalshi", timeout: 10, "reconnected") { $0.reconnects == 1 && $0.state == "live" }
        XCTAssertEqual(sim.currentStats.rejectedLogins, 0)
        XCTAssertGreaterThanOrEqual(sim.currentStats.accepted, 2)
        _ = c.drain()
        _ = try c.waitFor(timeout: 3, "coinbase still flowing") { $0["ch"] as? String == "ticker.coinbase.BTC/USD" && $0["snap"] == nil }
        XCTAssertEqual(hub.sync { $0.sourceReport("coinbase")!.reconnects }, 0)
    }

    func testLegacyIntegerCentFeed() throws {
        try startHub(legacyCents: true)
        try hub.waitUntilLive("kalshi")
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"outcomes.kalshi.\#(Self.fed)"}"#)
        let o = try XCTUnwrap(
            try c.waitFor { m in
                let d = m["data"] as? [String: Any]
                return m["ch"] as? String == "outcomes.kalshi.\(Self.fed)" && d?["yesBid"] != nil && d?["openInterest"] != nil
            }["data"] as? [String: Any])
        let yesBid = try XCTUnwrap(o["yesBid"] as? Double)
        XCTAssertTrue(yesBid > 0 && yesBid < 1, "cents became a probability: \(yesBid)")
        XCTAssertEqual(hub.sync { $0.sourceReport("kalshi")!.decodeErrors }, 0)
    }

    func testWrongKeyIsRefusedAndRetried() throws {
        // The hub signs with a key the simulator does not know: every upgrade is refused.
        let (priv, _) = try KalshiAuth.generateKeyPair()
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("kalshi-\(UUID()).pem").path
        try priv.write(toFile: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        let pub = try KalshiAuth.generateKeyPair().publicKeyPEM
        var sc = KalshiSimulatorConfig()
        sc.publicKeyPEM = pub
        sc.keyID = "key-1"
        let sim = try KalshiSimulator(config: sc)
        sim.start()
        defer { sim.stop() }
        try startHub {
            $0.feeds.venues.kalshi.simulate = false
            $0.feeds.venues.kalshi.url = sim.url
            $0.feeds.venues.kalshi.feed.keyID = "key-1"
            $0.feeds.venues.kalshi.privateKeyFile = keyFile
        }
        try hub.waitForSource("kalshi", timeout: 10, "refused and retried") { $0.reconnects >= 2 && $0.state != "live" }
        XCTAssertGreaterThanOrEqual(sim.currentStats.rejectedLogins, 2)
        XCTAssertEqual(sim.currentStats.accepted, 0)
        try hub.waitUntilLive("coinbase")
    }

    func testAMarketTheVenueDoesNotKnowDoesNotStopTheOthers() throws {
        // A venue that lists one market only; the hub asks for two.
        let (priv, pub) = try KalshiAuth.generateKeyPair()
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent("kalshi-\(UUID()).pem").path
        try priv.write(toFile: keyFile, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: keyFile) }
        var sc = KalshiSimulatorConfig()
        sc.publicKeyPEM = pub
        sc.keyID = "key-1"
        sc.markets = [Self.fed: 0.4]
        sc.stepMilliseconds = 30
        let sim = try KalshiSimulator(config: sc)
        sim.start()
        defer { sim.stop() }
        try startHub {
            $0.feeds.venues.kalshi.simulate = false
            $0.feeds.venues.kalshi.url = sim.url
            $0.feeds.venues.kalshi.feed.keyID = "key-1"
            $0.feeds.venues.kalshi.privateKeyFile = keyFile
            $0.feeds.venues.kalshi.feed.markets = [Self.fed, "NOT-A-MARKET"]
        }
        try hub.waitUntilLive("kalshi")
        let report = hub.sync { $0.sourceReport("kalshi")! }
        XCTAssertEqual(report.lastError, "NOT-A-MARKET: venue error 16: Market not found; retrying in 60 s")
        XCTAssertEqual(report.reconnects, 0)
    }
}
