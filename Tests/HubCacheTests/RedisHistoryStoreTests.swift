import Foundation
import HubCache
import HubCore
import HubTesting
import XCTest

/// The Redis store against the history contract and a real redis-server (the run's, or a
/// private one), its contents checked with a real client; outages with a private server. A
/// missing redis-server is a failure naming the fix, never a skip.
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
        redis = try TestRedis.sharedOrPrivate()
    }

    var contract: HistoryStoreContract {
        HistoryStoreContract(
            make: { length in try self.store { $0.historyLength = length } },
            settle: { s in try self.flushed(s as! RedisHistoryStore) },
            reopen: { s in
                (s as! RedisHistoryStore).stop()
                return try self.store()
            },
            close: { ($0 as! RedisHistoryStore).stop() })
    }

    func testFetchReturnsExactlyTheRangeOrNothing() throws { try contract.fetchReturnsExactlyTheRangeOrNothing() }
    func testANewEpochStartsAfreshAndTrimmingKeepsTheNewest() throws { try contract.aNewEpochStartsAfreshAndTrimmingKeepsTheNewest() }
    func testRestoreReturnsEveryChannelWithEpochOffsetAndState() throws { try contract.restoreReturnsEveryChannelWithEpochOffsetAndState() }
    func testHealthCountsWritesAndFetches() throws { try contract.healthCountsWritesAndFetches() }

    private func flushed(_ s: RedisHistoryStore, timeout: Double = 10) throws {
        if !s.waitUntilFlushed(timeout: timeout) { XCTFail("not flushed within \(timeout) s: \(s.health)") }
    }

    private func own() throws {
        redis.shutdown()
        redis = try TestRedis()
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

    private func publication(_ channel: String = "trades.deribit.T", epoch: String = "e1", offset: UInt64, price: Double) -> StoredPublication {
        HistoryStoreContract.publication(channel, epoch: epoch, offset: offset, price: price)
    }

    private func fetch(_ s: RedisHistoryStore, _ channel: String, _ epoch: String, after: UInt64, through: UInt64) -> [StoredMessage]?? {
        HistoryStoreContract.fetch(s, channel, epoch, after: after, through: through)
    }

    func testWritesStateHistoryAndChannelSetThatARealClientReads() throws {
        let s = try store()
        defer { s.stop() }
        for off in 1...5 { s.record(publication(offset: UInt64(off), price: 100 + Double(off))) }
        try flushed(s)
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
        try flushed(s, timeout: 15)
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

}
