import Foundation
import HubCache
import HubCore
import HubServer
import HubTesting
import XCTest

/// Recoveries from Redis are bounded and cancellable: a socket that floods `since` + unsubscribe
/// leaves nothing queued behind it, a session holds at most `maxRecoveriesPerSession` in flight,
/// history writes go on meanwhile, and a channel busy enough to move its ring during the fetch
/// still recovers. Redis holds its clients for a while with `CLIENT PAUSE` (it resumes on its own
/// clock; the test waits for outcomes, never for time) so that the fetches are in flight while
/// the requests arrive.
final class RecoveryFloodTests: XCTestCase {
    var redis: TestRedis!
    override func setUpWithError() throws { redis = try TestRedis() }
    override func tearDown() {
        redis?.shutdown()
        redis = nil
    }

    private func hub(_ configure: @escaping (inout HubConfig) -> Void = { _ in }) throws -> TestHub {
        try TestHub {
            $0.redis.url = self.redis.url
            $0.redis.timeoutSeconds = 10  // a paused Redis is slow, not down
            $0.serve.eventRingSize = 16
            configure(&$0)
        }
    }

    private func store(_ h: TestHub) throws -> RedisHistoryStore { try XCTUnwrap(h.server.history as? RedisHistoryStore) }

    private func trades(_ instrument: String, _ range: ClosedRange<Int>) -> [RawEvent] {
        range.map { TickFactory.trade(instrument, seq: UInt64($0), price: Double($0)) }
    }

    /// Holds every Redis client for `milliseconds` (an UNPAUSE would queue behind them).
    private func pause(_ milliseconds: Int) throws {
        XCTAssertEqual(try redis.client().command(["CLIENT", "PAUSE", "\(milliseconds)", "ALL"]).text, "OK")
    }

    private func epoch(_ h: TestHub, _ channel: String) throws -> String { try XCTUnwrap(h.sync { $0.hub.channel(named: channel)?.epoch }) }

    /// The offsets a client receives after `subscribe since`, up to `last`.
    private func offsets(_ c: TestClient, channel: String, until last: Int) throws -> [Int] {
        var out: [Int] = []
        while out.last ?? 0 < last {
            let m = try c.nextJSON(timeout: 20)
            if m["ch"] as? String == channel, let off = m["off"] as? Int { out.append(off) }
        }
        return out
    }

    func testAFloodOfSinceAndUnsubscribeLeavesNothingQueued() throws {
        let h = try hub()
        defer { h.stop() }
        h.inject(trades("R", 1...500))
        XCTAssertTrue(try store(h).waitUntilFlushed(timeout: 10))
        let e = try epoch(h, "trades.deribit.R")

        try pause(5000)
        let flood = try TestClient.connect(h.wsURL)
        // The token is checked first (at most 64 requests may wait for it): a ping answers after it.
        flood.send(#"{"id":0,"op":"ping"}"#)
        XCTAssertNotNil(try flood.waitFor { $0["id"] as? Int == 0 }["result"])
        for i in 0..<600 {
            flood.send(#"{"id":\#(2 * i + 1),"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"\#(e)","offset":1}}"#)
            flood.send(#"{"id":\#(2 * i + 2),"op":"unsubscribe","channel":"trades.deribit.R"}"#)
        }
        XCTAssertNotNil(try flood.waitFor(timeout: 20) { $0["id"] as? Int == 1200 }["result"])
        // Publications go on while Redis is held; they wait for the writer, none is dropped.
        h.inject(trades("R", 501...600))
        XCTAssertTrue(try store(h).waitUntilFlushed(timeout: 20))
        let history = try XCTUnwrap(h.health()["history"] as? [String: Any])
        let served = history["fetches"] as? Int ?? -1, cancelled = history["cancelledFetches"] as? Int ?? -1
        XCTAssertGreaterThanOrEqual(cancelled, 590, "queued fetches go with their unsubscribe")
        XCTAssertLessThanOrEqual(served, 10, "served \(served), cancelled \(cancelled)")
        XCTAssertEqual(history["droppedHistory"] as? Int, 0)

        // Another client recovers everything it missed.
        let other = try TestClient.connect(h.wsURL)
        other.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"\#(e)","offset":100}}"#)
        XCTAssertEqual(((try other.waitFor(timeout: 20) { $0["id"] as? Int == 1 })["result"] as? [String: Any])?["recovered"] as? Bool, true)
        XCTAssertEqual(try offsets(other, channel: "trades.deribit.R", until: 600), Array(101...600))
    }

    func testASessionHoldsABoundedNumberOfRecoveriesInFlight() throws {
        let h = try hub { $0.serve.maxRecoveriesPerSession = 2 }
        defer { h.stop() }
        for i in 1...5 { h.inject(trades("R\(i)", 1...100)) }
        XCTAssertTrue(try store(h).waitUntilFlushed(timeout: 10))
        let epochs = try (1...5).map { try epoch(h, "trades.deribit.R\($0)") }

        try pause(2000)
        let c = try TestClient.connect(h.wsURL)
        for i in 1...5 {
            c.send(#"{"id":\#(i),"op":"subscribe","channel":"trades.deribit.R\#(i)","since":{"epoch":"\#(epochs[i - 1])","offset":1}}"#)
        }
        // Beyond two in flight: answered at once, recovered false, with a snapshot.
        for i in 3...5 {
            let reply = try c.waitFor(timeout: 10) { $0["id"] as? Int == i }
            XCTAssertEqual((reply["result"] as? [String: Any])?["recovered"] as? Bool, false)
        }
        for i in 1...2 {
            let reply = try c.waitFor(timeout: 20) { $0["id"] as? Int == i }
            XCTAssertEqual((reply["result"] as? [String: Any])?["recovered"] as? Bool, true, "\(reply)")
        }
        let serve = try XCTUnwrap(h.health()["serve"] as? [String: Any])
        XCTAssertEqual(serve["recoveriesRefused"] as? Int, 3)
    }

    func testABusyChannelThatMovesItsRingDuringTheFetchStillRecovers() throws {
        let h = try hub()
        defer { h.stop() }
        h.inject(trades("R", 1...200))
        XCTAssertTrue(try store(h).waitUntilFlushed(timeout: 10))
        let e = try epoch(h, "trades.deribit.R")

        try pause(2000)
        let c = try TestClient.connect(h.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"\#(e)","offset":50}}"#)
        // The fetch (51…184) waits on Redis; 100 more trades move the 16-entry ring past 184.
        try h.wait("the recovery in flight") { $0.hub.recoveriesInFlight == 1 }
        h.inject(trades("R", 201...300))
        let reply = try c.waitFor(timeout: 20) { $0["id"] as? Int == 1 }
        XCTAssertEqual((reply["result"] as? [String: Any])?["recovered"] as? Bool, true, "the stretch the ring dropped is fetched too")
        XCTAssertEqual(try offsets(c, channel: "trades.deribit.R", until: 300), Array(51...300))
    }
}
