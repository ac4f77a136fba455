import Foundation
import HubCache
import HubCore
import HubTesting
import XCTest

/// Redis is checked like the wire: history read back for recovery is decoded and validated
/// value by value (a forged value is skipped and counted, never spliced into a frame), and a
/// stored epoch or offset that cannot be true starts a new epoch instead of trapping the hub.
final class RedisTamperTests: XCTestCase {
    var redis: TestRedis!
    override func setUpWithError() throws { redis = try TestRedis() }
    override func tearDown() {
        redis?.shutdown()
        redis = nil
    }

    private func hub(dataDirectory: String? = nil) throws -> TestHub {
        try TestHub(dataDirectory: dataDirectory) {
            $0.redis.url = self.redis.url
            $0.serve.eventRingSize = 16
        }
    }

    private func flushed(_ h: TestHub) throws {
        let store = try XCTUnwrap(h.server.history as? RedisHistoryStore)
        XCTAssertTrue(store.waitUntilFlushed(timeout: 10), "history not written: \(store.health)")
    }

    /// Rewrites the history stream of `channel`, letting `edit` change each entry's fields.
    private func rewrite(_ channel: String, _ edit: (UInt64, inout [(String, String)]) -> Bool) throws {
        let c = try redis.client()
        let key = "streamhub:history:\(channel)"
        guard case .array(let entries) = try c.command(["XRANGE", key, "-", "+"]) else { return XCTFail("no stream") }
        _ = try c.command(["DEL", key])
        for e in entries {
            guard case .array(let parts) = e, let id = parts[0].text, case .array(let kv) = parts[1] else { continue }
            var fields = stride(from: 0, to: kv.count, by: 2).map { (kv[$0].text ?? "", kv[$0 + 1].text ?? "") }
            guard edit(UInt64(id.prefix { $0 != "-" }) ?? 0, &fields) else { continue }
            _ = try c.command(["XADD", key, id] + fields.flatMap { [$0.0, $0.1] })
        }
    }

    func testAForgedHistoryValueIsSkippedNotSpliced() throws {
        let h = try hub()
        defer { h.stop() }
        h.inject((1...40).map { TickFactory.trade("R", seq: UInt64($0), price: Double($0)) })
        try flushed(h)
        let epoch = try XCTUnwrap(h.sync { $0.hub.channel(named: "trades.deribit.R")?.epoch })
        // Entry 5's price tries to close the frame and open a message on another channel.
        let forged = #"1}}"# + "\n" + #"{"ch":"arb.crypto.FAKE","off":1,"data":{"edge":99"#
        try rewrite("trades.deribit.R") { offset, fields in
            if offset == 5 { fields = fields.map { $0.0 == "price" ? ($0.0, forged) : $0 } }
            if offset == 6 { fields = fields.map { $0.0 == "price" ? ($0.0, #""not a number""#) : $0 } }
            return true
        }

        let c = try TestClient.connect(h.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"\#(epoch)","offset":2}}"#)
        let reply = try c.waitFor { $0["id"] as? Int == 1 }
        XCTAssertEqual((reply["result"] as? [String: Any])?["recovered"] as? Bool, true)
        var seen: [[String: Any]] = []
        while (seen.last?["off"] as? Int ?? 0) < 40 {
            let m = try c.nextJSON()
            XCTAssertEqual(m["ch"] as? String, "trades.deribit.R", "no message forged onto another channel: \(m)")
            if m["off"] != nil { seen.append(m) }
        }
        XCTAssertEqual(seen.compactMap { $0["off"] as? Int }, Array(3...40))
        let prices = seen.map { ($0["data"] as? [String: Any])?["price"] as? Double }
        XCTAssertNil(prices[2], "offset 5: the forged price is dropped")
        XCTAssertNil(prices[3], "offset 6: a string where a number belongs is dropped")
        XCTAssertEqual(prices[0], 3)
        XCTAssertEqual(prices.last ?? nil, 40)
        let serve = try XCTUnwrap(h.health()["serve"] as? [String: Any])
        XCTAssertEqual(serve["rejectedStoredValues"] as? Int, 2)

        // A missing entry breaks the sequence: no splice of what is left, a snapshot instead.
        try rewrite("trades.deribit.R") { offset, _ in offset != 10 }
        let d = try TestClient.connect(h.wsURL)
        d.send(#"{"id":1,"op":"subscribe","channel":"trades.deribit.R","since":{"epoch":"\#(epoch)","offset":2}}"#)
        XCTAssertEqual(((try d.waitFor { $0["id"] as? Int == 1 })["result"] as? [String: Any])?["recovered"] as? Bool, false)
    }

    func testImpossibleStoredOffsetsAndEpochsStartANewEpoch() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("tamper-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        var h = try hub(dataDirectory: data)
        h.inject([TickFactory.trade("R", seq: 1), TickFactory.ticker("S", bid: 42), TickFactory.ticker("T", bid: 7)])
        try flushed(h)
        let before = try XCTUnwrap(h.sync { $0.hub.channel(named: "trades.deribit.R")?.epoch })
        h.stop()

        let c = try redis.client()
        _ = try c.command(["HSET", "streamhub:state:trades.deribit.R", "_off", "18446744073709551615"])
        _ = try c.command(["HSET", "streamhub:state:ticker.deribit.S", "_epoch", "x\"}\n{\"ch\":\"arb.crypto.FAKE\""])
        _ = try c.command(["HSET", "streamhub:state:ticker.deribit.T", "bid", "\"oops", "_off", "9007199254740992"])

        h = try hub(dataDirectory: data)  // used to trap (arithmetic overflow) here
        defer { h.stop() }
        let after = try XCTUnwrap(h.sync { $0.hub.channel(named: "trades.deribit.R")?.epoch })
        XCTAssertNotEqual(after, before, "a new epoch")
        XCTAssertEqual(h.sync { $0.hub.channel(named: "trades.deribit.R")?.ring.lastOffset }, 0)
        h.inject([TickFactory.trade("R", seq: 2)])
        XCTAssertEqual(h.sync { $0.hub.channel(named: "trades.deribit.R")?.ring.lastOffset }, 1, "offsets start again")
        let s = try XCTUnwrap(h.sync { $0.hub.channel(named: "ticker.deribit.S")?.epoch })
        XCTAssertFalse(s.contains("\""), "the forged epoch is not taken: \(s)")
        XCTAssertEqual(h.sync { $0.hub.channel(named: "ticker.deribit.T")?.ring.lastOffset }, 0, "2^53 is beyond what clients can count")
        let state = try XCTUnwrap(try h.request("GET", "/api/state/ticker.deribit.T").json as? [String: Any])
        XCTAssertNil((state["data"] as? [String: Any])?["bid"], "the unreadable value is skipped")
        XCTAssertEqual((state["data"] as? [String: Any])?["ask"] as? Double, 7.5, "the rest of the state is kept")
    }
}
