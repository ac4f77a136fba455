import Foundation
import HubCache
import HubCore
import HubTesting
import Venues
import XCTest

/// Gap-free recovery through the rings and Redis, across reconnects, hub restarts and Redis
/// outages, with real WebSocket clients and a private redis-server.
final class RecoveryTests: XCTestCase {
    var redis: TestRedis!

    override func tearDown() {
        redis?.shutdown()
        redis = nil
    }

    override func setUpWithError() throws {
        redis = try TestRedis()  // a missing redis-server fails with the fix, never skips
    }

    /// A small event ring by default, so recovery must reach into Redis.
    private func hub(dataDirectory: String? = nil, eventRing: Int = 16) throws -> TestHub {
        try TestHub(dataDirectory: dataDirectory) {
            $0.redis.url = self.redis.url
            $0.redis.timeoutSeconds = 0.5
            $0.serve.eventRingSize = eventRing
        }
    }

    private func trades(_ range: ClosedRange<Int>) -> [RawEvent] {
        range.map { TickFactory.trade("R", seq: UInt64($0), price: Double($0)) }
    }

    /// Subscribes with `since` and returns the reply and the offsets delivered up to `last`.
    private func resume(_ url: String, epoch: String, after: Int, until last: Int) throws -> (recovered: Bool?, offsets: [Int], prices: [Double]) {
        let c = try TestClient.connect(url)
        c.send(#"{"id":9,"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"\#(epoch)","offset":\#(after)}}"#)
        let reply = try c.waitFor { $0["id"] as? Int == 9 }
        let recovered = (reply["result"] as? [String: Any])?["recovered"] as? Bool
        var offsets: [Int] = [], prices: [Double] = []
        while offsets.last ?? 0 < last {
            let m = try c.nextJSON()
            guard let off = m["off"] as? Int else { continue }
            offsets.append(off)
            prices.append(((m["data"] as? [String: Any])?["price"] as? Double) ?? -1)
        }
        return (recovered, offsets, prices)
    }

    private func epoch(_ h: TestHub) throws -> String {
        try XCTUnwrap(h.sync { $0.hub.channel(named: "trades.deribit.R")?.epoch })
    }

    /// Redis is an outside process: its loss is noticed on the writer's next attempt.
    private func degraded(_ h: TestHub, timeout: Double = 5) throws {
        try eventually(timeout: timeout, "degraded") {
            let health = try h.health()
            return health["status"] as? String == "degraded" && (health["history"] as? [String: Any])?["state"] as? String == "down"
        }
    }

    /// Waits (on the writer's progress) until Redis holds everything published so far.
    private func flushed(_ h: TestHub, timeout: Double = 10) throws {
        let store = try XCTUnwrap(h.server.history as? RedisHistoryStore)
        XCTAssertTrue(store.waitUntilFlushed(timeout: timeout), "history not written: \(store.health)")
    }

    func testNoTradeLostAcrossAReconnectBeyondTheRing() throws {
        let h = try hub()
        defer { h.stop() }
        try noTradeLostBeyondTheRing(h) { try self.flushed(h) }
    }

    /// The same recovery with the memory store keeping history (`serve.memoryHistoryLength`).
    func testNoTradeLostBeyondTheRingWithMemoryHistory() throws {
        let h = try TestHub {
            $0.serve.eventRingSize = 16
            $0.serve.memoryHistoryLength = 1_000
        }
        defer { h.stop() }
        try noTradeLostBeyondTheRing(h) {}
    }

    /// One body for both stores: a client that saw offset 10 comes back after 100 more trades,
    /// most of them gone from the ring, and gets every one in order, then live ones.
    private func noTradeLostBeyondTheRing(_ h: TestHub, settle: () throws -> Void) throws {
        h.inject(trades(1...10))
        let e = try epoch(h)
        // The client saw up to 10, dropped, and 100 trades went by: 84 of them left the ring.
        h.inject(trades(11...110))
        try settle()
        let r = try resume(h.wsURL, epoch: e, after: 10, until: 110)
        XCTAssertEqual(r.recovered, true)
        XCTAssertEqual(r.offsets, Array(11...110), "from the history store, then the ring — in order, no gap")
        XCTAssertEqual(r.prices, (11...110).map(Double.init))
        // Then live on the same connection.
        let c = try TestClient.connect(h.wsURL)
        c.send(#"{"id":9,"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"\#(e)","offset":108}}"#)
        XCTAssertEqual(((try c.waitFor { $0["id"] as? Int == 9 })["result"] as? [String: Any])?["recovered"] as? Bool, true)
        h.inject(trades(111...112))
        for off in 109...112 { XCTAssertEqual(try c.nextJSON()["off"] as? Int, off) }
    }

    func testRecoveryAcrossAHubRestart() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("restart-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        var h = try hub(dataDirectory: data)
        h.inject(trades(1...40))
        h.inject([TickFactory.ticker("S", bid: 42)])
        let e = try epoch(h)
        try flushed(h)
        h.stop()

        h = try hub(dataDirectory: data)
        defer { h.stop() }
        // Same epoch, offsets continue.
        XCTAssertEqual(try epoch(h), e)
        XCTAssertEqual(h.sync { $0.hub.channel(named: "trades.deribit.R")?.ring.lastOffset }, 40)
        h.inject(trades(41...45))
        XCTAssertEqual(h.sync { $0.hub.channel(named: "trades.deribit.R")?.ring.lastOffset }, 45)
        let r = try resume(h.wsURL, epoch: e, after: 30, until: 45)
        XCTAssertEqual(r.recovered, true)
        XCTAssertEqual(r.offsets, Array(31...45), "31–40 from Redis (written before the restart), 41–45 from the ring")
        XCTAssertEqual(r.prices, (31...45).map(Double.init))

        // State channels come back with their latest state as the snapshot and over HTTP.
        let c = try TestClient.connect(h.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.S"}"#)
        _ = try c.nextJSON()
        let snap = try c.nextJSON()
        XCTAssertEqual(snap["snap"] as? Bool, true)
        XCTAssertEqual(snap["off"] as? Int, 1)
        XCTAssertEqual((snap["data"] as? [String: Any])?["bid"] as? Double, 42)
        let state = try XCTUnwrap(try h.request("GET", "/api/state/ticker.deribit.S").json as? [String: Any])
        XCTAssertEqual((state["data"] as? [String: Any])?["mid"] as? Double, 42.25)
        XCTAssertNotNil(state["epoch"] as? String)
    }

    func testAStaleEpochOrAnEvictedRangeGetsAFreshSnapshot() throws {
        let h = try hub()
        defer { h.stop() }
        h.inject(trades(1...20))
        try flushed(h)
        let c = try TestClient.connect(h.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"older","offset":3}}"#)
        XCTAssertEqual(((try c.nextJSON())["result"] as? [String: Any])?["recovered"] as? Bool, false)
        let snap = try c.nextJSON()
        XCTAssertEqual(snap["snap"] as? Bool, true)
        XCTAssertEqual(snap["off"] as? Int, 20)
        // Redis trimmed of those entries: recovery cannot be complete, so not claimed.
        _ = try redis.client().command(["DEL", "streamhub:history:trades.deribit.R"])
        let d = try TestClient.connect(h.wsURL)
        d.send(#"{"id":2,"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"\#(try epoch(h))","offset":1}}"#)
        XCTAssertEqual(((try d.nextJSON())["result"] as? [String: Any])?["recovered"] as? Bool, false)
        XCTAssertEqual((try d.nextJSON())["snap"] as? Bool, true)
    }

    func testRedisKilledAndRestartedMidStreamWhileTheHubKeepsServing() throws {
        let h = try hub(eventRing: 1024)
        defer { h.stop() }
        let c = try TestClient.connect(h.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.R"}"#)
        _ = try c.nextJSON()
        h.inject(trades(1...5))
        try flushed(h)
        redis.kill()
        h.inject(trades(6...30))
        _ = try c.nextJSON()  // channel joined
        for off in 1...30 { XCTAssertEqual(try c.nextJSON()["off"] as? Int, off, "served from memory while Redis is down") }
        try degraded(h)
        try redis.start()  // empty: the restarted server kept no data
        h.inject(trades(31...35))
        try flushed(h, timeout: 15)
        XCTAssertEqual(try h.health()["status"] as? String, "ok", "writes resumed")
        XCTAssertEqual(try redis.client().command(["HGET", "streamhub:state:trades.deribit.R", "_off"]).text, "35", "latest state rewritten")
        for off in 31...35 { XCTAssertEqual(try c.nextJSON()["off"] as? Int, off) }
    }

    /// Redis killed and restarted (empty) while trades pour in on a subscribed connection: the
    /// live stream never skips an offset, the hub reports degraded then ok, and a recovery that
    /// would need what Redis lost is answered `recovered: false` with a snapshot — never a
    /// silent hole — while one inside what Redis holds again is recovered whole.
    func testRedisKilledUnderLoadReconvergesAndReportsTheLostRangeAsUnrecoverable() throws {
        let h = try hub(eventRing: 256)
        defer { h.stop() }
        let live = try TestClient.connect(h.wsURL)
        live.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.R"}"#)
        _ = try live.nextJSON()
        h.inject(trades(1...200))
        try flushed(h)
        let e = try epoch(h)
        _ = try live.waitFor { $0["off"] as? Int == 200 }

        // Load for the whole outage: batches of 50 trades from another thread, each sent once the
        // live connection has read the one before (as fast as a client keeps up, never a slow
        // consumer); the reader checks every offset arrives once, in order.
        let seen = Progress()
        let stop = Flag()
        let loadDone = DispatchSemaphore(value: 0)
        Thread {
            var published = 200
            while !stop.isSet {
                h.inject(((published + 1)...(published + 50)).map { TickFactory.trade("R", seq: UInt64($0), price: Double($0)) })
                published += 50
                guard seen.wait(until: published) else { break }
            }
            loadDone.signal()
        }.start()
        Thread {
            while let m = try? live.nextJSON(timeout: 10) {
                guard let off = m["off"] as? Int else { continue }
                guard seen.advance(to: off) else { return }
            }
            seen.fail("the live connection went quiet")
        }.start()
        redis.kill()
        try degraded(h, timeout: 10)
        try redis.start()  // empty: everything Redis held is gone
        try eventually(timeout: 15, "ok again") { try h.health()["status"] as? String == "ok" }
        stop.set()
        loadDone.wait()
        XCTAssertNil(seen.failure, "the live stream through the outage")
        let last = seen.last
        XCTAssertGreaterThan(last, 200 + 256, "load ran past the ring")
        try flushed(h, timeout: 15)

        // 101…200 were only in the Redis that died, and long gone from the ring.
        let lost = try TestClient.connect(h.wsURL)
        lost.send(#"{"id":2,"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"\#(e)","offset":100}}"#)
        XCTAssertEqual(((try lost.waitFor { $0["id"] as? Int == 2 })["result"] as? [String: Any])?["recovered"] as? Bool, false)
        let snap = try lost.nextJSON()
        XCTAssertEqual(snap["snap"] as? Bool, true)
        XCTAssertEqual(snap["off"] as? Int, last, "a fresh snapshot of the latest")

        // Written after the restart: beyond the ring, inside Redis — recovered whole.
        h.inject(trades((last + 1)...(last + 1000)))
        try flushed(h)
        let r = try resume(h.wsURL, epoch: e, after: last + 30, until: last + 1000)
        XCTAssertEqual(r.recovered, true)
        XCTAssertEqual(r.offsets, Array((last + 31)...(last + 1000)))
        print("Redis killed under load: \(last - 200) trades published during the outage; live stream gap-free, lost range refused, later range recovered")
    }

    func testRedisDownAtStartTheHubServesDegradedAndCatchesUp() throws {
        redis.kill()
        let h = try hub(eventRing: 1024)
        defer { h.stop() }
        let c = try TestClient.connect(h.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.R"}"#)
        _ = try c.nextJSON()
        h.inject(trades(1...3))
        _ = try c.nextJSON()
        for off in 1...3 { XCTAssertEqual(try c.nextJSON()["off"] as? Int, off) }
        XCTAssertEqual(try h.health()["status"] as? String, "degraded")
        try redis.start()
        try flushed(h, timeout: 15)
        XCTAssertEqual(try redis.client().command(["XLEN", "streamhub:history:trades.deribit.R"]), .integer(3), "what was queued while down was written")
    }

    func testStateOverHTTPIsServedFromMemory() throws {
        let h = try TestHub()
        defer { h.stop() }
        XCTAssertEqual(try h.request("GET", "/api/state/ticker.deribit.none").status, 404)
        h.inject([TickFactory.ticker("BTC/USDT", bid: 10)])
        let r = try h.request("GET", "/api/state/ticker.deribit.BTC/USDT")
        XCTAssertEqual(r.status, 200)
        let obj = try XCTUnwrap(r.json as? [String: Any])
        XCTAssertEqual(obj["ch"] as? String, "ticker.deribit.BTC/USDT")
        XCTAssertEqual(obj["off"] as? Int, 1)
        XCTAssertEqual((obj["data"] as? [String: Any])?["bid"] as? Double, 10)
        XCTAssertEqual((try h.health()["history"] as? [String: Any])?["backend"] as? String, "memory")
    }

    /// An opportunity open when the hub stopped is retracted on the next start: nothing tracks it.
    func testOpenArbitrageIsRetractedAfterARestart() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("arb-restart-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        var h = try TestHub(dataDirectory: data) {
            $0.redis.url = self.redis.url
            $0.feeds.venues.orca.enabled = true
            $0.feeds.venues.orca.simulate = true
            $0.feeds.venues.orca.feed.streams = ["soccer"]
            $0.feeds.venues.orca.simulatorStepMilliseconds = 60_000
        }
        try h.waitUntilLive("orca")
        h.simulator(OrcaSimulator.self)!.quote(event: "EPL-ARS-CHE", market: "ML", outcome: "home", bookmaker: "bet365", decimal: 3.0)
        let channel = "arb.sportsbook.EPL-ARS-CHE/ML"
        try h.wait(timeout: 5, "open") { s in
            guard let c = s.hub.channel(named: channel), let id = s.registry.id("active") else { return false }
            return c.ring.tick(at: c.ring.lastOffset)?.value(id) == .bool(true)
        }
        try flushed(h)
        h.stop()

        h = try TestHub(dataDirectory: data) { $0.redis.url = self.redis.url }
        defer { h.stop() }
        let state = try XCTUnwrap((try h.request("GET", "/api/state/\(channel)").json as? [String: Any])?["data"] as? [String: Any])
        XCTAssertEqual(state["active"] as? Bool, false)
        XCTAssertNotNil(state["edge"], "the last figures stay, marked closed")
    }
}

/// How far a reading connection got, shared with the thread that paces the load on it.
private final class Progress: @unchecked Sendable {
    private let cond = NSCondition()
    private(set) var last = 200
    private(set) var failure: String?

    /// Records offset `off`; false (and a failure) unless it is the next one.
    func advance(to off: Int) -> Bool {
        cond.withLock {
            defer { cond.broadcast() }
            guard off == last + 1 else {
                failure = failure ?? "offset \(off) after \(last)"
                return false
            }
            last = off
            return true
        }
    }

    func fail(_ why: String) {
        cond.withLock {
            failure = failure ?? why
            cond.broadcast()
        }
    }

    /// Waits until `off` has been read (false on a failure or after 10 s).
    func wait(until off: Int) -> Bool {
        cond.withLock {
            let deadline = Date().addingTimeInterval(10)
            while last < off && failure == nil { if !cond.wait(until: deadline) { return false } }
            return failure == nil
        }
    }
}
