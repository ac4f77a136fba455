import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

/// The real Deribit adapter against the in-process simulator, through the whole hub: what it
/// publishes, its heartbeats, its answer to a book gap (resubscribe, no reconnect) and the
/// quarantine of impossible values. The fault script every venue passes is
/// `VenueFaultContractTests`.
final class DeribitFeedTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws {
        hub = try TestHub {
            $0.feeds.venues.deribit.enabled = true
            $0.feeds.venues.deribit.simulate = true
            $0.feeds.venues.deribit.simulatorStepMilliseconds = 50
            $0.feeds.venues.deribit.feed.heartbeatSeconds = 1
            $0.feeds.venues.deribit.feed.optionCurrencies = ["BTC"]
            $0.feeds.venues.deribit.feed.maxOptionsPerCurrency = 4
        }
        try waitForSource { $0.state == "live" }
    }

    override func tearDown() { hub.stop() }

    private func source() -> SourceReport { hub.sync { $0.sourceReport("deribit")! } }

    private func waitForSource(timeout: Double = 10, _ what: String = "deribit live", _ condition: @escaping @Sendable (SourceReport) -> Bool) throws {
        try hub.waitForSource("deribit", timeout: timeout, what, condition)
    }

    func testTickersBooksTradesAndOptionsFlowWithHealthReportingLive() throws {
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.BTC-PERPETUAL"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"book.deribit.ETH-PERPETUAL"}"#)
        c.send(#"{"id":3,"op":"subscribe","channel":"options.deribit.*"}"#)
        let ticker = try c.waitFor { $0["ch"] as? String == "ticker.deribit.BTC-PERPETUAL" && $0["data"] != nil }
        let t = try XCTUnwrap(ticker["data"] as? [String: Any])
        for key in ["bid", "ask", "bidVolume", "askVolume", "last", "markPrice", "indexPrice", "mid", "spread", "spreadBps", "microprice"] {
            XCTAssertNotNil(t[key], key)
        }
        XCTAssertLessThan(t["bid"] as! Double, t["ask"] as! Double)

        let book = try c.waitFor { $0["ch"] as? String == "book.deribit.ETH-PERPETUAL" && $0["data"] != nil }
        let b = try XCTUnwrap(book["data"] as? [String: Any])
        let bids = try XCTUnwrap(b["bids"] as? [[Double]]), asks = try XCTUnwrap(b["asks"] as? [[Double]])
        XCTAssertEqual(bids.count, 10)
        XCTAssertEqual(bids.map { $0[0] }, bids.map { $0[0] }.sorted(by: >))
        XCTAssertEqual(asks.map { $0[0] }, asks.map { $0[0] }.sorted())
        XCTAssertLessThan(bids[0][0], asks[0][0])

        let option = try c.waitFor { ($0["ch"] as? String)?.hasPrefix("options.deribit.BTC-") == true && $0["data"] != nil }
        let o = try XCTUnwrap(option["data"] as? [String: Any])
        for key in ["markIv", "bidIv", "askIv", "delta", "gamma", "vega", "theta", "rho", "underlyingPrice", "strike", "expiry", "optionType"] {
            XCTAssertNotNil(o[key], key)
        }

        let health = try hub.health()
        XCTAssertEqual(health["status"] as? String, "ok")
        let pipeline = try XCTUnwrap(health["pipeline"] as? [String: [String: Any]])
        for stage in ["ingest", "transform", "enrich", "serve"] {
            XCTAssertGreaterThan(pipeline[stage]?["count"] as? Int ?? 0, 0, stage)
        }
    }

    func testStreamsAPIAndTheSourcesChannelReportTheFeed() throws {
        // The status channel, as a dashboard watches it.
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"sources.hub.*"}"#)
        let status = try c.waitFor(timeout: 3, "a status publication") { $0["ch"] as? String == "sources.hub.deribit" && $0["data"] != nil }
        let data = try XCTUnwrap(status["data"] as? [String: Any])
        XCTAssertEqual(data["feedState"] as? String, "live")
        XCTAssertNotNil(data["msgsPerSecond"] as? Double)
        XCTAssertNotNil(data["lastMessageAgeMs"] as? Double)
        XCTAssertEqual(data["gaps"] as? Int, 0)

        try waitForSource("a message rate") { $0.msgsPerSecond > 0 && $0.channels > 0 && $0.state == "live" }
        let streams = try hub.request("GET", "/api/streams").json as? [String: Any]
        let d = try XCTUnwrap((streams?["sources"] as? [[String: Any]])?.first { $0["name"] as? String == "deribit" })
        XCTAssertGreaterThan(d["msgsPerSecond"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(d["channels"] as? Int ?? 0, 0)
        let viewer = try hub.request("POST", "/api/users", #"{"username":"watcher","roles":["viewer"]}"#)
        let id = ((viewer.json as? [String: Any])?["user"] as? [String: Any])?["id"] as? Int ?? 0
        XCTAssertEqual(try hub.request("GET", "/api/streams", token: try hub.token(subject: "\(id)")).status, 200, "viewers hold streams:read")
        XCTAssertEqual(try hub.request("GET", "/api/streams", token: nil).status, 401)
    }

    func testForcedGapIsDetectedAndTheBookResynchronised() throws {
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"book.deribit.BTC-PERPETUAL"}"#)
        _ = try c.waitFor { $0["ch"] as? String == "book.deribit.BTC-PERPETUAL" && $0["data"] != nil }
        let sim = try XCTUnwrap(hub.simulator(DeribitSimulator.self))
        sim.inject(.gap(instrument: "BTC-PERPETUAL"))
        try waitForSource("gap counted and resynchronised") { $0.gaps >= 1 && $0.resyncs >= 1 && $0.state == "live" }
        XCTAssertEqual(sim.currentStats.gapsInjected, 1)
        let s = source()
        XCTAssertTrue((s.lastError ?? "").contains("book gap on BTC-PERPETUAL"))
        XCTAssertEqual(s.reconnects, 0, "a gap resubscribes; it does not reconnect")
        // The rebuilt book keeps publishing, uncrossed.
        _ = c.drain()
        let after = try c.waitFor { $0["ch"] as? String == "book.deribit.BTC-PERPETUAL" && $0["data"] != nil }
        let d = try XCTUnwrap(after["data"] as? [String: Any])
        let bid = try XCTUnwrap((d["bids"] as? [[Double]])?.first?[0]), ask = try XCTUnwrap((d["asks"] as? [[Double]])?.first?[0])
        XCTAssertLessThan(bid, ask)
    }

    func testHeartbeatsAreAnsweredSoTheVenueKeepsTheConnection() throws {
        try waitForSource(timeout: 8, "three heartbeats") { $0.heartbeats >= 3 }
        XCTAssertEqual(source().reconnects, 0)
        XCTAssertEqual(hub.simulator(DeribitSimulator.self)?.currentStats.accepted, 1)
    }
}

extension DeribitFeedTests {
    /// Values that decode but break the registry's rules are quarantined with their reason and
    /// never reach subscribers; the rest of the tick flows.
    func testOutOfRangeVenueValuesAreQuarantined() throws {
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"options.deribit.*"}"#)
        _ = try c.waitFor { $0["id"] as? Int == 1 }
        let option = try XCTUnwrap(hub.simulator(DeribitSimulator.self)?.instrumentNames.first { $0.hasSuffix("-C") })
        hub.simulator(DeribitSimulator.self)?.inject(.outOfRange(instrument: option))
        try hub.waitForQuarantine("deribit", "bid")
        try hub.waitForQuarantine("deribit", "markIv")
        let q = try XCTUnwrap(try hub.request("GET", "/api/properties/quarantine").json as? [String: Any])
        let reasons = (q["recent"] as? [[String: Any]] ?? []).compactMap { $0["reason"] as? String }
        XCTAssertTrue(reasons.contains("-1.0 is below the minimum 0.0"), "\(reasons)")
        XCTAssertTrue(reasons.contains("20000.0 is above the maximum 10000.0"), "\(reasons)")
        // No publication ever carried the impossible values.
        for line in c.drain() {
            XCTAssertFalse(line.contains("\"markIv\":20000"), line)
            XCTAssertFalse(line.contains("\"bid\":-1"), line)
        }
        let health = try hub.health()
        XCTAssertGreaterThanOrEqual((health["serve"] as? [String: Any])?["quarantined"] as? Int ?? 0, 2)
    }
}
