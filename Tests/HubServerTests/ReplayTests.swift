import Fixtures
import Foundation
import HubCache
import HubCore
import HubTesting
import SimdJSON
import Venues
import XCTest

@testable import HubServer

/// Bulk import: the recorded Binance and Deribit sessions of Tests/Fixtures/captures/ pushed
/// through the adapters and the pipeline — into a real redis-server, as an operator would.
final class ReplayTests: XCTestCase {
    static let captures = Fixtures.path("captures")
    var data: String!

    override func setUpWithError() throws {
        data = FileManager.default.temporaryDirectory.appendingPathComponent("streamhub-replay-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: data) }

    func config(redis: String? = nil, prefix: String = "streamhub") -> HubConfig {
        var c = HubConfig()
        c.server.dataDir = data
        c.properties.seedDirectory = TestHub.propertiesDirectory
        c.auth.rolesFile = TestHub.rolesFile
        if let redis {
            c.redis.url = redis
            c.redis.keyPrefix = prefix
        }
        return c
    }

    func testBinanceCaptureRebuildsBooksIntoRedis() throws {
        let redis = try TestRedis.sharedOrPrivate()
        defer { redis.shutdown() }
        let prefix = "replay-\(UUID().uuidString.prefix(8))"
        let replayer = try Replayer(config: config(redis: redis.url, prefix: prefix), venues: VenueRegistry.all)
        var progress: [Replayer.Progress] = []
        let s = try replayer.replay(files: ["\(Self.captures)/BINANCE.ws.1.0", "\(Self.captures)/BINANCE.http.0.0"], venue: "binance") { progress.append($0) }
        replayer.finish()
        XCTAssertEqual(s.frames, 265)
        XCTAssertEqual(s.httpResponses, 4, "every REST snapshot answered the adapter's request")
        XCTAssertEqual(s.decodeErrors, 0)
        XCTAssertEqual(s.gaps, 0)
        XCTAssertEqual(s.quarantined, 0)
        XCTAssertEqual(s.feedState, "live", "all four books synchronised")
        XCTAssertEqual(s.ticks, s.events)
        XCTAssertGreaterThan(s.ticks, 200)
        XCTAssertEqual(progress.last?.bytesRead, progress.last?.totalBytes)

        // What a user reads back: the last book of NKN/USDT in Redis, uncrossed, best first.
        let c = try redis.client()
        let state = try c.command(["HGETALL", "\(prefix):state:book.binance.NKN/USDT"])
        guard case .array(let items) = state, !items.isEmpty else { return XCTFail("no book state in Redis: \(state)") }
        var fields: [String: String] = [:]
        for i in stride(from: 0, to: items.count - 1, by: 2) { fields[items[i].text ?? ""] = items[i + 1].text }
        let bids = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data((fields["bids"] ?? "").utf8)) as? [[Double]])
        let asks = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data((fields["asks"] ?? "").utf8)) as? [[Double]])
        XCTAssertEqual(bids.map { $0[0] }, bids.map { $0[0] }.sorted(by: >))
        XCTAssertEqual(asks.map { $0[0] }, asks.map { $0[0] }.sorted())
        XCTAssertLessThan(try XCTUnwrap(bids.first?[0]), try XCTUnwrap(asks.first?[0]))
        XCTAssertGreaterThan(Int(fields["_off"] ?? "") ?? 0, 100, "every applied update is a publication")
        guard case .integer(let n) = try c.command(["XLEN", "\(prefix):history:trades.binance.NKN/USDT"]) else { return XCTFail("no trade history") }
        XCTAssertGreaterThanOrEqual(n, 1)
    }

    func testDeribitCaptureDecodesEveryFrame() throws {
        let replayer = try Replayer(config: config(), venues: VenueRegistry.all)
        let s = try replayer.replay(files: ["\(Self.captures)/DERIBIT.ws.1.0", "\(Self.captures)/DERIBIT.0"], venue: "deribit")
        XCTAssertEqual(s.frames, 136)
        XCTAssertEqual(s.decodeErrors, 0)
        XCTAssertEqual(s.gaps, 0)
        XCTAssertEqual(s.quarantined, 0)
        XCTAssertEqual(s.ticks, 135, "every option ticker, book and trade frame became a tick")
        XCTAssertEqual(s.unreadableLines, 1, "cryptofeed's configuration header")
        XCTAssertEqual(s.sentFrames, 1)
        // The recorded acknowledgement answers the recording client's id 0, never ours: the
        // session is judged by its data.
        XCTAssertEqual(s.feedState, "live", "a recorded session that delivers data is subscribed")
    }

    func testBadInputIsAnErrorNotACrash() throws {
        let replayer = try Replayer(config: config(), venues: VenueRegistry.all)
        XCTAssertThrowsError(try replayer.replay(files: ["/nonexistent"], venue: "binance"))
        XCTAssertThrowsError(try replayer.replay(files: ["\(Self.captures)/DERIBIT.0"], venue: "nasdaq"))
        // Garbage lines are skipped and counted; frames that do not decode are counted.
        let f = "\(data!)/junk.jsonl"
        try """
        not a recording line
        {"time":1.0,"venue":"orca","type":"in","frame":"{\\"type\\":\\"gossip\\"}"}
        {"time":2.0,"venue":"kalshi","type":"in","frame":"ignored: another venue"}
        {"time":"soon"}

        """.write(toFile: f, atomically: true, encoding: .utf8)
        let s = try replayer.replay(files: [f], venue: "orca")
        XCTAssertEqual(s.frames, 1)
        XCTAssertEqual(s.decodeErrors, 1)
        XCTAssertEqual(s.unreadableLines, 2)
        XCTAssertEqual(s.ticks, 0)
    }

    func testLinesRecordingsAndTimesEdgeCases() throws {
        // CRLF endings, a last line without a newline, a line longer than a read chunk.
        let f = "\(data!)/lines.txt"
        let long = String(repeating: "x", count: 3 << 20)
        try "a\r\n\(long)\nlast\r".write(toFile: f, atomically: true, encoding: .utf8)
        let r = try LineReader(path: f)
        XCTAssertEqual(try r.next().map { String(decoding: $0, as: UTF8.self) }, "a")
        XCTAssertEqual(try r.next()?.count, 3 << 20)
        XCTAssertEqual(try r.next().map { String(decoding: $0, as: UTF8.self) }, "last")
        XCTAssertNil(try r.next())
        // A recording line survives a round trip: quotes, newlines, control bytes, a tag.
        let line = RecordedLine(
            time: 1795766400.123456, venue: "binance", kind: .http, url: "http://x/api?symbol=A", status: 200, tag: "depth:A:1",
            payload: Array("{\"a\":\"q\\\"\n\u{01}\"}".utf8))
        var bytes = line.encoded()
        XCTAssertEqual(bytes.last, UInt8(ascii: "\n"))
        bytes.removeLast()
        let back = bytes.withUnsafeBytes { RecordedLine.decode($0, parser: JSONParser()) }
        XCTAssertEqual(back, line)
        // Impossible times are unreadable lines, never a trap.
        XCTAssertNil(CaptureLine("1e400: {}"))
        XCTAssertNil(CaptureLine("1795766400000: {}"), "milliseconds, not seconds")
        XCTAssertNil(Array(#"{"time":1e300,"venue":"orca","type":"in","frame":"x"}"#.utf8).withUnsafeBytes { RecordedLine.decode($0, parser: JSONParser()) })
        // A payload containing a marker is not mistaken for one.
        XCTAssertEqual(CaptureLine(#"1626993723.5: {"text":"a <- b"}"#), .received(time: 1626993723.5, payload: #"{"text":"a <- b"}"#))
    }
}
