import Foundation
import HubCache
import HubCore
import HubTesting
import XCTest

/// The Redis store against a private redis-server; contents checked with a real client.
final class RedisHistoryStoreTests: XCTestCase {
    var redis: TestRedis!
    /// Each test's own key prefix, so tests can share the run's Redis server.
    let prefix = "t\(UUID().uuidString.prefix(8))"

    /// The run's shared server (scripts/test) or a private one; tests that stop Redis use `own()`.
    override func tearDown() {
        redis?.shutdown()
        redis = nil
    }

    override func setUpWithError() throws {
        do {
            redis = try TestRedis.sharedOrPrivate()
        } catch TestRedis.Failure.notInstalled {
            throw XCTSkip("redis-server is not installed (scripts/setup installs it)")
        }
    }

    private func own() throws {
        redis.shutdown()
        redis = try TestRedis()
    }

    /// A publication with the given properties, encoded as the hub does.
    private func publication(_ channel: String = "trades.deribit.T", epoch: String = "e1", offset: UInt64, price: Double) -> StoredPublication {
        let props = PropertyTable(["price", "side", "bids"])
        let hub = Hub(properties: props)
        var tick = Tick(source: "deribit", instrument: "T", stream: .trades, exchangeTime: 1000 + Int64(offset), receiveTime: 2000 + Int64(offset))
        tick.set(props.id("price")!, .number(price))
        tick.set(props.id("side")!, .string("buy"))
        tick.set(props.id("bids")!, .levels([PriceLevel(price: 1.5, amount: 2)]))
        hub.publish(tick)
        let full = PublicationEncoder(properties: props).encodeFull(channel: hub.allChannels[0], offset: offset, tick: tick)
        return StoredPublication(channel: channel, epoch: epoch, offset: offset, exchangeTime: tick.exchangeTime, receiveTime: tick.receiveTime, encoded: full)
    }

    private func store(_ configure: (inout RedisHistoryStoreConfig) -> Void = { _ in }) throws -> RedisHistoryStore {
        var c = RedisHistoryStoreConfig()
        c.timeoutSeconds = 0.5
        c.keyPrefix = prefix
        configure(&c)
        let s = try RedisHistoryStore(url: redis.url, config: c)
        s.start()
        return s
    }

    private func fetch(_ s: RedisHistoryStore, _ channel: String, _ epoch: String, after: UInt64, through: UInt64) -> [StoredMessage]?? {
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        s.fetch(channel: channel, epoch: epoch, after: after, through: through) { m in
            box.value = m
            done.signal()
        }
        guard done.wait(timeout: .now() + 5) == .success else { return .none }
        return .some(box.value)
    }

    private final class Box: @unchecked Sendable { var value: [StoredMessage]? }

    func testWritesStateHistoryAndChannelSetThatARealClientReads() throws {
        let s = try store()
        defer { s.stop() }
        for off in 1...5 { s.record(publication(offset: UInt64(off), price: 100 + Double(off))) }
        try eventually("written") { s.health.pending == 0 && s.health.writes >= 5 }
        let c = try redis.client()
        XCTAssertEqual(try c.command(["SMEMBERS", "\(prefix):channels"]), .array([.string(Array("trades.deribit.T".utf8))]))
        guard case .array(let hash) = try c.command(["HGETALL", "\(prefix):state:trades.deribit.T"]) else { return XCTFail("no hash") }
        var fields: [String: String] = [:]
        for i in stride(from: 0, to: hash.count, by: 2) { fields[hash[i].text!] = hash[i + 1].text! }
        XCTAssertEqual(fields, ["_epoch": "e1", "_off": "5", "_ts": "1005", "_rt": "2005", "price": "105", "side": "\"buy\"", "bids": "[[1.5,2]]"])
        XCTAssertEqual(try c.command(["XLEN", "\(prefix):history:trades.deribit.T"]), .integer(5))
        guard case .array(let first) = try c.command(["XRANGE", "\(prefix):history:trades.deribit.T", "-", "+", "COUNT", "1"]),
            case .array(let entry) = first.first
        else { return XCTFail("no stream entry") }
        XCTAssertEqual(entry[0].text, "1-0")
        XCTAssertEqual(s.health.state, .ok)
        XCTAssertEqual(s.health.backend, "redis")
    }

    func testFetchReturnsExactlyTheRangeOrNothing() throws {
        let s = try store()
        defer { s.stop() }
        for off in 1...10 { s.record(publication(offset: UInt64(off), price: Double(off))) }
        try eventually("written") { s.health.pending == 0 && s.health.writes >= 10 }
        let got = try XCTUnwrap(fetch(s, "trades.deribit.T", "e1", after: 3, through: 7) ?? nil)
        XCTAssertEqual(got.map(\.offset), [4, 5, 6, 7])
        XCTAssertEqual(got[0].exchangeTime, 1004)
        XCTAssertEqual(got[0].fields.first { $0.name == "price" }?.json, Array("4".utf8))
        XCTAssertNil(fetch(s, "trades.deribit.T", "e2", after: 3, through: 7) ?? nil, "another epoch")
        XCTAssertNil(fetch(s, "trades.deribit.T", "e1", after: 8, through: 12) ?? nil, "beyond what exists")
        XCTAssertNil(fetch(s, "trades.deribit.X", "e1", after: 0, through: 2) ?? nil, "unknown channel")
        XCTAssertEqual((fetch(s, "trades.deribit.T", "e1", after: 5, through: 5) ?? nil)?.count, 0)
    }

    func testANewEpochStartsTheHistoryAfreshAndTrimmingKeepsTheNewest() throws {
        let s = try store { $0.historyLength = 10 }
        defer { s.stop() }
        for off in 1...5 { s.record(publication(offset: UInt64(off), price: 1)) }
        for off in 1...3 { s.record(publication(epoch: "e2", offset: UInt64(off), price: 2)) }
        try eventually("written") { s.health.pending == 0 && s.health.writes >= 8 }
        let c = try redis.client()
        XCTAssertEqual(try c.command(["XLEN", "\(prefix):history:trades.deribit.T"]), .integer(3))
        XCTAssertEqual((fetch(s, "trades.deribit.T", "e2", after: 0, through: 3) ?? nil)?.count, 3)
        for off in 4...500 { s.record(publication(epoch: "e2", offset: UInt64(off), price: 2)) }
        try eventually("written") { s.health.pending == 0 }
        guard case .integer(let n) = try c.command(["XLEN", "\(prefix):history:trades.deribit.T"]) else { return XCTFail("XLEN") }
        XCTAssertLessThan(n, 200, "MAXLEN ~ trims (approximately) to the configured length")
        XCTAssertNil(fetch(s, "trades.deribit.T", "e2", after: 0, through: 10) ?? nil, "trimmed away")
    }

    func testRestoreReturnsEveryChannelWithEpochOffsetAndState() throws {
        let s = try store()
        for off in 1...4 { s.record(publication(offset: UInt64(off), price: Double(off))) }
        s.record(publication("ticker.deribit.A", epoch: "ea", offset: 9, price: 7))
        try eventually("written") { s.health.pending == 0 && s.health.writes >= 5 }
        s.stop()
        let restored = try store().restore()
        XCTAssertEqual(restored.map(\.name), ["ticker.deribit.A", "trades.deribit.T"])
        XCTAssertEqual(restored[1].epoch, "e1")
        XCTAssertEqual(restored[1].offset, 4)
        XCTAssertEqual(restored[1].exchangeTime, 1004)
        XCTAssertEqual(restored[1].fields.map(\.name), ["bids", "price", "side"])
        XCTAssertEqual(restored[0].fields.first { $0.name == "price" }?.json, Array("7".utf8))
    }

    func testRedisDownQueuesAndWritesResumeWhenItReturns() throws {
        try own()
        redis.kill()
        let s = try store()
        defer { s.stop() }
        XCTAssertEqual(s.restore(), [])
        XCTAssertEqual(s.health.state, .down)
        for off in 1...20 { s.record(publication(offset: UInt64(off), price: Double(off))) }
        XCTAssertNil(fetch(s, "trades.deribit.T", "e1", after: 0, through: 5) ?? nil, "fetch fails fast while down")
        XCTAssertGreaterThan(s.health.pending, 0)
        try redis.start()
        try eventually(timeout: 15, "reconnected and flushed") { s.health.state == .ok && s.health.pending == 0 }
        XCTAssertEqual(try redis.client().command(["XLEN", "\(prefix):history:trades.deribit.T"]), .integer(20), "queued history was written")
        XCTAssertNotNil(s.health.lastError)
    }

    func testHistoryQueueIsBoundedWhileDown() throws {
        try own()
        redis.kill()
        let s = try store { $0.maxPendingHistory = 10 }
        defer { s.stop() }
        for off in 1...25 { s.record(publication(offset: UInt64(off), price: 1)) }
        XCTAssertEqual(s.health.droppedHistory, 15)
        XCTAssertLessThanOrEqual(s.health.pending, 11)
    }

    func testURLs() throws {
        let u = try RedisURL(parsing: "redis://:secret@10.0.0.1:6380/2")
        XCTAssertEqual(u.host, "10.0.0.1")
        XCTAssertEqual(u.port, 6380)
        XCTAssertEqual(u.password, "secret")
        XCTAssertEqual(u.database, 2)
        XCTAssertEqual(u.description, "redis://10.0.0.1:6380/2", "no password in descriptions")
        XCTAssertEqual(try RedisURL(parsing: "redis://localhost").port, 6379)
        for bad in ["http://x", "redis://", "redis://h:0", "redis://h:1/x"] { XCTAssertThrowsError(try RedisURL(parsing: bad), bad) }
        XCTAssertThrowsError(try RedisConnection(url: "redis://127.0.0.1:1/0", timeoutSeconds: 0.5))
    }

    func testMemoryStoreKeepsNothingBeyondTheRings() {
        let m = MemoryHistoryStore()
        m.record(publication(offset: 1, price: 1))
        XCTAssertEqual(m.restore(), [])
        XCTAssertEqual(m.health.backend, "memory")
        let got = Box()
        m.fetch(channel: "c", epoch: "e", after: 0, through: 1) { got.value = $0 }
        XCTAssertNil(got.value)
    }
}
