import Foundation
import HubCore
import HubServer
import HubTesting
import Venues
import XCTest

/// Mappings and cross-venue results end to end: Binance and Coinbase simulators, the seeded
/// BTC-USD mapping, a composite quote, an arbitrage driven open and closed, /api/mappings and
/// /api/arbitrage/opportunities, and /api/orca/events.
final class CrossVenueTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws {
        hub = try TestHub {
            Self.simulatedCrypto(&$0, coinbase: ["BTC/USD", "ETH/USD"])
            $0.feeds.venues.orca.enabled = true
            $0.feeds.venues.orca.simulate = true
            $0.feeds.venues.orca.feed.streams = ["basketball"]
        }
        try hub.wait(timeout: 10, "three sources live") { s in
            let reports = ["coinbase", "polymarket", "kalshi", "orca", "binance", "deribit"].compactMap { s.sourceReport($0) }
            return reports.count == 3 && reports.allSatisfy { $0.state == "live" }
        }
    }

    override func tearDown() { hub.stop() }

    /// Binance (BTC/USDT) and Coinbase (`coinbase` products) simulators, stepping every 20 ms.
    static func simulatedCrypto(_ c: inout HubConfig, coinbase: [String]) {
        c.feeds.venues.binance.enabled = true
        c.feeds.venues.binance.simulate = true
        c.feeds.venues.binance.simulatorStepMilliseconds = 20
        c.feeds.venues.binance.feed.symbols = ["BTC/USDT"]
        c.feeds.venues.coinbase.enabled = true
        c.feeds.venues.coinbase.simulate = true
        c.feeds.venues.coinbase.simulatorStepMilliseconds = 20
        c.feeds.venues.coinbase.feed.symbols = coinbase
    }

    func json(_ r: HTTPTestClient.Response) -> [String: Any] { (r.json as? [String: Any]) ?? [:] }

    func testCompositeQuoteAndCryptoArbitrageOpenedListedAndRetracted() throws {
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.composite.BTC-USD"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"arb.crypto.*"}"#)
        let q = try XCTUnwrap(try c.waitFor { $0["ch"] as? String == "ticker.composite.BTC-USD" && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertNotNil(q["bidVenue"] as? String)
        XCTAssertNotNil(q["mid"] as? Double, "quote-derived properties on the composite")

        // Coinbase jumps to 70 000 while Binance stays near 65 000: buy Binance, sell Coinbase.
        hub.simulator(CoinbaseSimulator.self)!.move("BTC-USD", to: 70_000)
        let opened = try XCTUnwrap(
            try c.waitFor(timeout: 10) { $0["ch"] as? String == "arb.crypto.BTC-USD" && ($0["data"] as? [String: Any])?["active"] as? Bool == true }["data"]
                as? [String: Any])
        XCTAssertGreaterThan(opened["edge"] as? Double ?? 0, 0.05)
        XCTAssertTrue((opened["legs"] as? String ?? "").hasPrefix("buy binance"), "\(opened["legs"] ?? "")")
        let listed = json(try hub.request("GET", "/api/arbitrage/opportunities?kind=crypto"))
        let first = try XCTUnwrap((listed["opportunities"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["channel"] as? String, "arb.crypto.BTC-USD")
        XCTAssertEqual(try hub.request("GET", "/api/arbitrage/opportunities?kind=nope").status, 400)
        // A role that sees arbitrage but not its legs gets the edge without them.
        XCTAssertEqual(
            try hub.request(
                "POST", "/api/roles",
                #"{"id":"arbview","grants":{"channels":[{"allow":"arb.*.*"}],"tiers":["public","premium"],"properties":{"deny":["legs"]},"scopes":["state:read"]}}"#
            ).status, 201)
        let user = try hub.request("POST", "/api/users", #"{"username":"arbie","roles":["arbview"]}"#)
        let uid = try XCTUnwrap(((user.json as? [String: Any])?["user"] as? [String: Any])?["id"] as? Int)
        let limited = json(try hub.request("GET", "/api/arbitrage/opportunities", token: try hub.token(subject: "\(uid)")))
        let seen = try XCTUnwrap((limited["opportunities"] as? [[String: Any]])?.first)
        XCTAssertNotNil(seen["edge"])
        XCTAssertNil(seen["legs"], "denied by name")
        XCTAssertNotNil(seen["firstSeen"])

        hub.simulator(CoinbaseSimulator.self)!.move("BTC-USD", to: 65_000)
        _ = try c.waitFor(timeout: 10) { $0["ch"] as? String == "arb.crypto.BTC-USD" && ($0["data"] as? [String: Any])?["active"] as? Bool == false }
        XCTAssertEqual(json(try hub.request("GET", "/api/arbitrage/opportunities"))["count"] as? Int, 0, "no longer listed once retracted")
    }

    /// The demo's simulated Coinbase moves away now and then on its own: an opportunity opens
    /// and is retracted as the hub's clock moves, with nothing driving it by hand.
    func testScheduledDislocationOpensAndClosesAnOpportunity() throws {
        let clock = ManualClock(running: true)
        let demo = try TestHub(clock: clock) {
            Self.simulatedCrypto(&$0, coinbase: ["BTC/USD"])
            $0.feeds.venues.coinbase.simulatorDislocationEverySeconds = 30
            // The clock jumps below must not look like silence.
            $0.feeds.venues.coinbase.feed.staleAfterSeconds = 1e9
            $0.feeds.venues.binance.feed.staleAfterSeconds = 1e9
        }
        defer { demo.stop() }
        try demo.waitUntilLive("binance", "coinbase", timeout: 15)
        let admin = try XCTUnwrap(demo.server.store.user(named: "admin"))
        let c = try TestClient.connect("ws://127.0.0.1:\(demo.port)/ws?access_token=\(try demo.token(subject: "\(admin.id)", lifetime: 86_400))")
        defer { c.close() }
        c.send(#"{"id":1,"op":"subscribe","channel":"arb.crypto.*"}"#)
        _ = try c.waitFor { $0["id"] as? Int == 1 }
        clock.advance(by: 31)
        let opened = try c.waitFor(timeout: 10, "opened by the jump") {
            $0["ch"] as? String == "arb.crypto.BTC-USD" && ($0["data"] as? [String: Any])?["active"] as? Bool == true
        }
        XCTAssertGreaterThan(((opened["data"] as? [String: Any])?["edge"] as? Double) ?? 0, 0.005, "1.5 % less fees")
        clock.advance(by: 9)
        _ = try c.waitFor(timeout: 10, "retracted when the price comes back") {
            $0["ch"] as? String == "arb.crypto.BTC-USD" && ($0["data"] as? [String: Any])?["active"] as? Bool == false
        }
    }

    func testMappingsCRUDAppliedLive() throws {
        let list = json(try hub.request("GET", "/api/mappings"))
        XCTAssertEqual(
            (list["mappings"] as? [[String: Any]])?.compactMap { $0["id"] as? String }.sorted(), ["BTC-USD", "EPL-ARS-CHE", "ETH-USD", "FED-DEC-CUT"])
        XCTAssertEqual(try hub.request("GET", "/api/mappings/BTC-USD").status, 200)
        XCTAssertEqual(try hub.request("GET", "/api/mappings/NOPE").status, 404)
        // Bad bodies name the field.
        let one = try hub.request("POST", "/api/mappings", #"{"id":"X","kind":"crypto","members":[{"venue":"binance","instrument":"BTC/USDT"}]}"#)
        XCTAssertEqual(one.status, 400)
        XCTAssertEqual((json(one)["error"] as? [String: Any])?["field"] as? String, "members")
        let side = try hub.request(
            "POST", "/api/mappings",
            #"{"id":"X","kind":"crypto","members":[{"venue":"binance","instrument":"A","side":"yes"},{"venue":"coinbase","instrument":"B"}]}"#)
        XCTAssertEqual((json(side)["error"] as? [String: Any])?["field"] as? String, "members[0].side")
        XCTAssertEqual(try hub.request("POST", "/api/mappings", #"{"id":"X","kind":"futures","members":[]}"#).status, 400)
        XCTAssertEqual(try hub.request("POST", "/api/mappings", #"{"id":"X","kind":"crypto","members":[],"extra":1}"#).status, 400)
        // A new crypto mapping starts a composite quote at once.
        let body =
            #"{"id":"ETH-X","kind":"crypto","description":"ether","members":[{"venue":"coinbase","instrument":"ETH/USD"},{"venue":"binance","instrument":"ETH/USDT"}]}"#
        XCTAssertEqual(try hub.request("POST", "/api/mappings", body).status, 201)
        XCTAssertEqual(try hub.request("POST", "/api/mappings", body).status, 409)
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.composite.ETH-X"}"#)
        let q = try XCTUnwrap(try c.waitFor(timeout: 5) { $0["ch"] as? String == "ticker.composite.ETH-X" && $0["data"] != nil }["data"] as? [String: Any])
        XCTAssertEqual(q["bidVenue"] as? String, "coinbase", "the only member with data")
        XCTAssertEqual(
            try hub.request(
                "PUT", "/api/mappings/ETH-X", #"{"id":"OTHER","kind":"crypto","members":[{"venue":"a","instrument":"x"},{"venue":"b","instrument":"y"}]}"#
            ).status, 400, "id cannot change")
        XCTAssertEqual(
            try hub.request(
                "PUT", "/api/mappings/ETH-X",
                #"{"kind":"crypto","description":"changed","members":[{"venue":"coinbase","instrument":"ETH/USD"},{"venue":"binance","instrument":"ETH/USDT"}]}"#
            ).status, 200)
        XCTAssertEqual(json(try hub.request("GET", "/api/mappings/ETH-X"))["mapping"].flatMap { ($0 as? [String: Any])?["description"] as? String }, "changed")
        XCTAssertEqual(try hub.request("DELETE", "/api/mappings/ETH-X").status, 204)
        XCTAssertEqual(try hub.request("DELETE", "/api/mappings/ETH-X").status, 404)
        let audit = json(try hub.request("GET", "/api/audit"))
        let actions = (audit["entries"] as? [[String: Any]])?.compactMap { $0["action"] as? String } ?? []
        XCTAssertTrue(Set(["mapping.create", "mapping.update", "mapping.delete", "mapping.seed"]).isSubset(of: Set(actions)), "\(actions)")
    }

    func testOrcaEventsAndOdds() throws {
        // The snapshot has come: both events, and all five bookmakers on the Lakers moneyline.
        try hub.wait(timeout: 5, "both events quoted") { s in
            let quoted = s.hub.allChannels.filter { $0.key.source == "orca" && $0.state != nil }.map(\.key.instrument)
            return Set(quoted.map { $0.split(separator: "/")[0] }).count == 2 && quoted.filter { $0.hasPrefix("NBA-LAL-BOS/ML/home/") }.count == 5
        }
        let events = json(try hub.request("GET", "/api/orca/events?sport=basketball"))
        let first = try XCTUnwrap((events["events"] as? [[String: Any]])?.first)
        XCTAssertEqual(first["eventId"] as? String, "NBA-LAL-BOS")
        XCTAssertEqual(first["participants"] as? [String], ["Los Angeles Lakers", "Boston Celtics"])
        XCTAssertEqual((json(try hub.request("GET", "/api/orca/events?sport=curling"))["count"] as? Int), 0)
        let odds = json(try hub.request("GET", "/api/orca/events/NBA-LAL-BOS/odds"))
        let markets = try XCTUnwrap(odds["markets"] as? [[String: Any]])
        XCTAssertEqual(markets.compactMap { $0["marketType"] as? String }, ["moneyline", "spread", "total"])
        let home = try XCTUnwrap((markets[0]["outcomes"] as? [[String: Any]])?.first)
        let prices = try XCTUnwrap(home["prices"] as? [[String: Any]])
        XCTAssertEqual(prices.count, 5, "five bookmakers")
        let best = try XCTUnwrap(home["best"] as? [String: Any])
        XCTAssertEqual(best["decimal"] as? Double, prices.compactMap { $0["decimal"] as? Double }.max())
        XCTAssertNotNil(home["sharpConsensus"] as? Double)
        XCTAssertNotNil(home["sharpConsensusV2"] as? Double, "admin: sharp-books-v2 is on")
        XCTAssertEqual(try hub.request("GET", "/api/orca/events/NOPE/odds").status, 404)
    }
}
