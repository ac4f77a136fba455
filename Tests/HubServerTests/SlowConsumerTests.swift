import HubCore
import HubTesting
import XCTest

final class SlowConsumerTests: XCTestCase {
    func testClientThatStopsReadingIsClosedWhileOthersKeepReceiving() throws {
        let hub = try TestHub {
            $0.serve.eventRingSize = 4096
            $0.serve.maxPendingBytes = 1 << 20
        }
        defer { hub.stop() }
        let slow = try TestClient.connect(hub.wsURL)
        let fast = try TestClient.connect(hub.wsURL)
        for c in [slow, fast] {
            c.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.T"}"#)
            _ = try c.nextJSON()
        }
        slow.pauseReading()

        // ~1 KiB trades, 100 at a time, until the slow client's kernel buffers are full and its
        // backlog passes the limit (bounded: 64 MiB at most). The fast client reads each batch
        // completely, in order, with no gap.
        var seq: UInt64 = 0
        var joined = false
        while hub.sync({ $0.hub.counters.slowConsumers }) == 0 {
            XCTAssertLessThan(seq, 64_000, "slow consumer never detected")
            if seq >= 64_000 { return }
            let first = seq + 1
            hub.inject(
                (0..<100).map { _ in
                    seq += 1
                    return TickFactory.trade("T", seq: seq, padding: 1000)
                })
            if !joined {
                _ = try fast.nextJSON()  // channel joined
                joined = true
            }
            for expected in first...seq { XCTAssertEqual(try fast.nextJSON()["off"] as? Int, Int(expected)) }
        }
        let published = seq
        // The slow session may already be gone: on libuv the close frame is written at once and
        // the socket dropped after it when the kernel still had room for it.
        XCTAssertFalse(fast.isClosed, "the fast client is still connected")

        // The slow one drains what its buffers held, then reads the slow-consumer close frame.
        slow.resumeReading()
        let closed = try slow.waitClosed(timeout: 10)
        XCTAssertEqual(closed.code, 4008)
        let got = slow.drain().compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
        let offsets = got.compactMap { $0["off"] as? Int }
        XCTAssertFalse(offsets.isEmpty)
        XCTAssertEqual(offsets, Array(1...offsets.count), "what arrived before the close is contiguous")
        XCTAssertLessThan(offsets.count, Int(published))
        XCTAssertEqual(hub.sync { $0.hub.sessionCount }, 1)
        hub.inject([TickFactory.trade("T", seq: seq + 1)])
        XCTAssertEqual(try fast.nextJSON()["off"] as? Int, Int(seq + 1))
    }

    func testSlowClientOnStateChannelIsConflatedNotClosed() throws {
        let hub = try TestHub {
            $0.serve.stateRingSize = 16
            $0.serve.frameBytes = 4096
            $0.serve.conflateBytes = 8 * 1024
        }
        defer { hub.stop() }
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.C"}"#)
        _ = try c.nextJSON()
        c.pauseReading()
        var n = 0
        while hub.sync({ $0.hub.counters.conflations }) == 0 {
            XCTAssertLessThan(n, 400_000, "conflation never happened")
            if n >= 400_000 { return }
            hub.inject(
                (0..<500).map { _ in
                    n += 1
                    return TickFactory.ticker("C", bid: Double(n))
                })
        }
        hub.inject([TickFactory.ticker("C", bid: 0.125)])
        c.resumeReading()
        let last = try c.waitFor(timeout: 20, "the newest state") { ($0["data"] as? [String: Any])?["bid"] as? Double == 0.125 }
        XCTAssertEqual(last["off"] as? Int, n + 1)
        XCTAssertFalse(c.isClosed)
        XCTAssertEqual(hub.sync { $0.hub.counters.slowConsumers }, 0)
    }

    func testShutdownSendsGoingAwayToEveryClient() throws {
        let hub = try TestHub()
        let a = try TestClient.connect(hub.wsURL)
        let b = try TestClient.connect(hub.wsURL)
        a.send(#"{"id":1,"op":"ping"}"#)
        _ = try a.nextJSON()
        hub.stop()
        XCTAssertEqual(try a.waitClosed().code, 1001)
        XCTAssertEqual(try b.waitClosed().code, 1001)
    }
}
