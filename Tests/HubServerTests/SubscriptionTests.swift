import Foundation
import HubCore
import HubTesting
import Venues
import XCTest

/// The client protocol end to end: a real server on a free port, real WebSocket clients.
final class SubscriptionTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws { hub = try TestHub() }
    override func tearDown() { hub.stop() }

    func testSubscribeGetsSnapshotThenLivePublicationsWithConsecutiveOffsets() throws {
        hub.inject((1...3).map { TickFactory.ticker("BTC-PERPETUAL", bid: 100 + Double($0)) })
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":7,"op":"subscribe","channel":"ticker.deribit.BTC-PERPETUAL"}"#)

        let reply = try c.nextJSON()
        XCTAssertEqual(reply["id"] as? Int, 7)
        let channels = try XCTUnwrap((reply["result"] as? [String: Any])?["channels"] as? [[String: Any]])
        XCTAssertEqual(channels.count, 1)
        XCTAssertEqual(channels[0]["ch"] as? String, "ticker.deribit.BTC-PERPETUAL")
        XCTAssertEqual(channels[0]["off"] as? Int, 3)
        XCTAssertNotNil(channels[0]["epoch"] as? String)

        let snap = try c.nextJSON()
        XCTAssertEqual(snap["snap"] as? Bool, true)
        XCTAssertEqual(snap["off"] as? Int, 3)
        let data = try XCTUnwrap(snap["data"] as? [String: Any])
        XCTAssertEqual(data["bid"] as? Double, 103)
        XCTAssertEqual(data["mid"] as? Double, 103.25, "enrichment ran before serving")

        hub.inject((4...8).map { TickFactory.ticker("BTC-PERPETUAL", bid: 100 + Double($0)) })
        for expected in 4...8 {
            let m = try c.nextJSON()
            XCTAssertEqual(m["ch"] as? String, "ticker.deribit.BTC-PERPETUAL")
            XCTAssertEqual(m["off"] as? Int, expected)
            XCTAssertNil(m["snap"])
            XCTAssertEqual((m["data"] as? [String: Any])?["bid"] as? Double, 100 + Double(expected))
        }
    }

    func testWildcardSubscriptionCoversExistingAndLaterChannels() throws {
        hub.inject([TickFactory.ticker("BTC-PERPETUAL", bid: 1), TickFactory.ticker("ETH-PERPETUAL", bid: 2)])
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.*"}"#)
        let reply = try c.nextJSON()
        let names = ((reply["result"] as? [String: Any])?["channels"] as? [[String: Any]])?.compactMap { $0["ch"] as? String }
        XCTAssertEqual(Set(names ?? []), ["ticker.deribit.BTC-PERPETUAL", "ticker.deribit.ETH-PERPETUAL"])
        _ = try c.nextJSON()  // two snapshots
        _ = try c.nextJSON()

        hub.inject([TickFactory.ticker("SOL-PERPETUAL", bid: 3)])
        let joined = try c.nextJSON()
        XCTAssertEqual(joined["type"] as? String, "channel")
        XCTAssertEqual(joined["ch"] as? String, "ticker.deribit.SOL-PERPETUAL")
        XCTAssertEqual(joined["sub"] as? String, "ticker.deribit.*")
        let first = try c.nextJSON()
        XCTAssertEqual(first["ch"] as? String, "ticker.deribit.SOL-PERPETUAL")
        XCTAssertEqual(first["off"] as? Int, 1)

        // A different stream does not match the pattern.
        hub.inject([TickFactory.trade("BTC-PERPETUAL", seq: 1), TickFactory.ticker("ETH-PERPETUAL", bid: 5)])
        let next = try c.nextJSON()
        XCTAssertEqual(next["ch"] as? String, "ticker.deribit.ETH-PERPETUAL")
    }

    func testUnsubscribeStopsDelivery() throws {
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.A"}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"ticker.deribit.B"}"#)
        _ = try c.waitFor { $0["id"] as? Int == 2 }
        hub.inject([TickFactory.ticker("A", bid: 1)])
        XCTAssertEqual(try c.nextJSON()["type"] as? String, "channel")
        XCTAssertEqual(try c.nextJSON()["ch"] as? String, "ticker.deribit.A")

        c.send(#"{"id":3,"op":"unsubscribe","channel":"ticker.deribit.A"}"#)
        let reply = try c.nextJSON()
        XCTAssertEqual(reply["id"] as? Int, 3)
        XCTAssertNotNil(reply["result"])

        // A is published before B; only B arrives.
        hub.inject([TickFactory.ticker("A", bid: 2), TickFactory.ticker("B", bid: 3)])
        XCTAssertEqual(try c.nextJSON()["type"] as? String, "channel")
        let m = try c.nextJSON()
        XCTAssertEqual(m["ch"] as? String, "ticker.deribit.B")
        XCTAssertTrue(c.drain().isEmpty)

        c.send(#"{"id":4,"op":"unsubscribe","channel":"ticker.deribit.A"}"#)
        let err = try c.nextJSON()
        XCTAssertEqual((err["error"] as? [String: Any])?["code"] as? Int, 1004)
    }

    func testFieldProjectionAndSharedViews() throws {
        let a = try TestClient.connect(hub.wsURL)
        let b = try TestClient.connect(hub.wsURL)
        let full = try TestClient.connect(hub.wsURL)
        for c in [a, b] { c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.X","fields":["bid","mid"]}"#) }
        full.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.X"}"#)
        for c in [a, b, full] { _ = try c.nextJSON() }
        hub.inject([TickFactory.ticker("X", bid: 10)])
        for c in [a, b, full] { XCTAssertEqual(try c.nextJSON()["type"] as? String, "channel") }
        let ma = try a.next(), mb = try b.next(), mf = try full.nextJSON()
        XCTAssertEqual(ma, mb, "same view, same bytes")
        let data = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(ma.utf8)) as? [String: Any])?["data"] as? [String: Any])
        XCTAssertEqual(Set(data.keys), ["bid", "mid"])
        XCTAssertGreaterThan((mf["data"] as? [String: Any])?.count ?? 0, 4)
        XCTAssertEqual(hub.sync { $0.hub.views.count }, 2, "one projected view plus the full view")
    }

    func testBacklogIsBatchedIntoFramesSeparatedByNewlines() throws {
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.BTC-PERPETUAL"}"#)
        _ = try c.nextJSON()
        // 200 publications in one loop turn: the client's backlog leaves in a few frames.
        hub.inject((1...200).map { TickFactory.trade("BTC-PERPETUAL", seq: UInt64($0)) })
        _ = try c.nextJSON()  // channel joined
        for off in 1...200 { XCTAssertEqual(try c.nextJSON()["off"] as? Int, off) }
        XCTAssertLessThan(c.frameCount, 50, "messages were joined into frames")
    }

    func testPingAnswersWithServerTime() throws {
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":42,"op":"ping"}"#)
        let r = try c.nextJSON()
        XCTAssertEqual(r["id"] as? Int, 42)
        let ts = try XCTUnwrap((r["result"] as? [String: Any])?["ts"] as? Int)
        XCTAssertGreaterThan(ts, 1_600_000_000_000_000)
    }

    func testRecoveryFromRingWithSinceAndFreshSnapshotWhenImpossible() throws {
        hub.inject((1...5).map { TickFactory.trade("R", seq: UInt64($0)) })
        let epoch = try XCTUnwrap(hub.sync { $0.hub.channel(named: "trades.deribit.R")?.epoch })
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"\#(epoch)","offset":2}}"#)
        let r = try c.nextJSON()
        XCTAssertEqual((r["result"] as? [String: Any])?["recovered"] as? Bool, true)
        for off in 3...5 { XCTAssertEqual(try c.nextJSON()["off"] as? Int, off) }

        let d = try TestClient.connect(hub.wsURL)
        d.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"other","offset":2}}"#)
        let r2 = try d.nextJSON()
        XCTAssertEqual((r2["result"] as? [String: Any])?["recovered"] as? Bool, false)
        let snap = try d.nextJSON()
        XCTAssertEqual(snap["snap"] as? Bool, true)
        XCTAssertEqual(snap["off"] as? Int, 5)
    }

    func testCompressedConnectionsReceiveEveryByteIntact() throws {
        // Frames large enough that zlib's output outgrows its buffer and spans writable callbacks,
        // while a plain client on another channel writes from the shared frame buffer in between.
        hub.stop()
        hub = try TestHub { $0.serve.frameBytes = 1 << 20 }
        let c = try TestClient.connect(hub.wsURL, deflate: true)
        let plain = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.Z"}"#)
        plain.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.Y"}"#)
        for client in [c, plain] { _ = try client.nextJSON() }
        // Random prices are incompressible enough for zlib's output to outgrow its buffer.
        var rng = SystemRandomNumberGenerator()
        let books = (0..<600).map { _ in
            (0..<40).map { _ in
                PriceLevel(
                    price: Double(Int.random(in: 0..<1_000_000_000, using: &rng)) / 1000, amount: Double(Int.random(in: 0..<1_000_000, using: &rng)) / 100)
            }
        }
        hub.inject(
            books.enumerated().flatMap { i, levels in
                var e = TickFactory.trade("Z", seq: UInt64(i + 1))
                e.fields.append(RawField(DeribitField.bids.rawValue, .levels(levels)))
                return [e, TickFactory.trade("Y", seq: UInt64(i + 1), padding: 100)]
            })
        _ = try c.nextJSON()  // channel joined
        for (i, levels) in books.enumerated() {
            let m = try c.nextJSON()
            XCTAssertEqual(m["off"] as? Int, i + 1)
            let got = ((m["data"] as? [String: Any])?["bids"] as? [[Double]]) ?? []
            XCTAssertTrue(got == levels.map { [$0.price, $0.amount] }, "payload \(i + 1) intact")
        }
        XCTAssertEqual(plain.drain().count, 601)
    }

    func testStaticFilesAndAPIShareOneKeepAliveConnection() throws {
        hub.stop()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pub-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try "<h1>hub</h1>".write(to: dir.appendingPathComponent("index.html"), atomically: true, encoding: .utf8)
        hub = try TestHub { $0.server.publicDir = dir.path }
        let r = try HTTPTestClient.keepAlive(port: hub.port, paths: ["/", "/healthz", "/index.html", "/healthz"])
        XCTAssertEqual(r.map(\.status), [200, 200, 200, 200])
        XCTAssertEqual(r[0].text, "<h1>hub</h1>")
        XCTAssertEqual(r[0].headers["content-type"], "text/html")
        XCTAssertEqual((r[1].json as? [String: Any])?["status"] as? String, "ok")
        XCTAssertEqual(try HTTPTestClient.get(port: hub.port, path: "/missing.html").status, 404)
    }
}
