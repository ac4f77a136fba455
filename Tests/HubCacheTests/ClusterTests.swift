import Foundation
import HubCache
import HubCore
import HubTesting
import Synchronization
import XCTest

/// The cluster's Redis parts against a real redis-server: the message format, leases taken,
/// renewed, released, expired and lost, writes fenced by them, and publications crossing from
/// one node's writer to another node's subscriber.
final class ClusterTests: XCTestCase {
    var redis: TestRedis!
    let prefix = "c\(UUID().uuidString.prefix(8))"
    var keys: ClusterKeys { ClusterKeys(prefix: prefix, shards: 4) }

    override func setUpWithError() throws { redis = try TestRedis.sharedOrPrivate() }
    override func tearDown() {
        redis?.shutdown()
        redis = nil
    }

    private func publication(_ channel: String = "ticker.v.A", epoch: String = "e1", offset: UInt64, price: Double, fence: Fence?) -> StoredPublication {
        let p = HistoryStoreContract.publication(channel, epoch: epoch, offset: offset, price: price)
        return StoredPublication(
            channel: p.channel, epoch: p.epoch, offset: p.offset, exchangeTime: p.exchangeTime, receiveTime: p.receiveTime, encoded: p.encoded, fence: fence)
    }

    func testMessagesRoundTripAndAnythingElseIsRefused() throws {
        let p = publication(offset: 12, price: 101.5, fence: nil)
        let bytes = ClusterMessage.encode(node: "n1", p)
        let (node, decoded) = try XCTUnwrap(ClusterMessage.decode(bytes))
        XCTAssertEqual(node, "n1")
        XCTAssertEqual(decoded.channel, "ticker.v.A")
        XCTAssertEqual([decoded.epoch, String(decoded.offset), String(decoded.exchangeTime), String(decoded.receiveTime)], ["e1", "12", "1012", "2012"])
        XCTAssertEqual(decoded.fields, p.fields.map { StoredField(name: $0.name, json: Array($0.json)) })
        for bad in ["", "n1 e1 x 1 2 ticker.v.A", "n1 e1 1 2 ticker.v.A", "n1 e1 1 2 3 ticker.v.A\nno-tab", "n1 e1 1 2 3 ticker.v.A\n\tvalue"] {
            XCTAssertNil(ClusterMessage.decode(Array(bad.utf8)), bad)
        }
        XCTAssertEqual(keys.shard(of: "ticker.v.A"), keys.shard(of: "ticker.v.A"))
        XCTAssertEqual(Set(["a", "b", "c", "d", "e", "f", "g", "h"].map { keys.shard(of: $0) }).count, 4, "names spread over the shards")
    }

    /// Lease changes a keeper reports, waited for with a bound.
    final class Changes: @unchecked Sendable {
        private let seen = Mutex<[LeaseKeeper.Change]>([])
        private let condition = NSCondition()
        func add(_ c: LeaseKeeper.Change) {
            seen.withLock { $0.append(c) }
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }
        var acquired: [String] { seen.withLock { $0.flatMap { $0.acquired.map(\.token) } } }
        var lost: [String] { seen.withLock { $0.flatMap(\.lost) } }
        func wait(_ what: String, timeout: Double = 10, until done: () -> Bool) {
            let deadline = Date().addingTimeInterval(timeout)
            condition.lock()
            defer { condition.unlock() }
            while !done() {
                if !condition.wait(until: deadline) { return XCTFail("timed out waiting for \(what)") }
            }
        }
    }

    private func keeper(_ node: String, ttl: Int64 = 600, _ changes: Changes) throws -> LeaseKeeper {
        LeaseKeeper(
            url: try RedisURL(parsing: redis.url), keys: keys, node: node, leases: ["feed"], ttlMillis: ttl, timeoutSeconds: 1,
            describe: { #"{"node":"\#(node)"}"# }, onChange: changes.add)
    }

    func testOneNodeHoldsALeaseAndAnotherTakesItWhenReleased() throws {
        let a = Changes(), b = Changes()
        let ka = try keeper("na", a), kb = try keeper("nb", b)
        ka.start()
        a.wait("na to acquire") { a.acquired.count == 1 }
        XCTAssertEqual(a.acquired, ["na/1"])
        kb.start()
        defer { kb.stop() }
        // nb sees the lease held (and both nodes alive) but does not get it.
        let deadline = Date().addingTimeInterval(10)
        while kb.view.leases.first?.holder != "na" || kb.view.nodes.count != 2 {
            XCTAssertLessThan(Date(), deadline, "nb never saw the cluster")
            if Date() > deadline { return }
            Thread.sleep(forTimeInterval: 0.02)  // polling a view the keeper refreshes, bounded
        }
        XCTAssertEqual(kb.view.leases.first?.token, "na/1")
        XCTAssertTrue(b.acquired.isEmpty)
        // Renewed past several TTLs: still na's, with the same token.
        Thread.sleep(forTimeInterval: 1.5)  // time passing is what is tested here (TTL 0.6 s)
        XCTAssertEqual(kb.view.leases.first?.token, "na/1")
        XCTAssertTrue(b.acquired.isEmpty)
        XCTAssertTrue(a.lost.isEmpty)
        ka.stop()
        XCTAssertEqual(a.lost, ["feed"], "a stopping node gives its leases up")
        b.wait("nb to take the released lease") { b.acquired.count == 1 }
        XCTAssertEqual(b.acquired, ["nb/2"], "the fencing counter rose")
    }

    func testALeaseOfADeadNodeIsTakenAfterItExpiresAndAStolenOneIsLost() throws {
        let c = try redis.client()
        // A node that died holding the lease: its key expires after the TTL.
        XCTAssertEqual(try c.command(["SET", keys.lease("feed"), "dead/7", "PX", "400"]), .status("OK"))
        let b = Changes()
        let kb = try keeper("nb", b)
        let started = Date()
        kb.start()
        defer { kb.stop() }
        b.wait("nb to take the expired lease") { b.acquired.count == 1 }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.3, "not before the dead node's lease expired")
        // Another holder overwrites it (an operator, a split brain): nb's renewal fails, it lets go.
        XCTAssertEqual(try c.command(["SET", keys.lease("feed"), "other/99", "PX", "60000"]), .status("OK"))
        b.wait("nb to notice the loss") { b.lost == ["feed"] }
    }

    /// A cluster node n1's history writer, started.
    private func clusterWriter() throws -> RedisHistoryStore {
        var config = RedisHistoryStoreConfig()
        config.keyPrefix = prefix
        config.cluster = ClusterWriting(node: "n1", keys: keys)
        let writer = try RedisHistoryStore(url: redis.url, config: config)
        writer.start()
        return writer
    }

    func testAnEntryRedisRefusesFailsAloneInItsBatch() throws {
        let c = try redis.client()
        XCTAssertEqual(try c.command(["SET", keys.lease("v"), "n1/1"]), .status("OK"))
        // Another writer already put offset 5 into the stream: 2 can no longer go in after it.
        _ = try c.command(["XADD", "\(prefix):history:ticker.v.A", "5-0", "_ep", "e1"])
        let writer = try clusterWriter()
        defer { writer.stop() }
        let fence = Fence(lease: "v", token: "n1/1")
        writer.record(publication(offset: 2, price: 2, fence: fence))
        writer.record(publication(offset: 6, price: 6, fence: fence))
        XCTAssertTrue(writer.waitUntilFlushed(timeout: 10))
        XCTAssertEqual(writer.health.failedWrites, 1)
        XCTAssertGreaterThanOrEqual(writer.health.writes, 2, "offset 6 and the state (once or twice, as batches fell)")
        XCTAssertEqual(try c.command(["XLEN", "\(prefix):history:ticker.v.A"]), .integer(2))
    }

    func testManyPublicationsOfSeveralChannelsGoThroughInChunksAndSurviveAScriptFlush() throws {
        let c = try redis.client()
        XCTAssertEqual(try c.command(["SET", keys.lease("v"), "n1/1"]), .status("OK"))
        XCTAssertEqual(try c.command(["SET", keys.lease("w"), "n1/2"]), .status("OK"))
        let writer = try clusterWriter()
        defer { writer.stop() }
        // 300 publications over two channels and two leases: several script calls per batch.
        for off in 1...150 {
            writer.record(publication("ticker.v.A", offset: UInt64(off), price: Double(off), fence: Fence(lease: "v", token: "n1/1")))
            writer.record(publication("trades.w.B", offset: UInt64(off), price: Double(off), fence: Fence(lease: "w", token: "n1/2")))
        }
        XCTAssertTrue(writer.waitUntilFlushed(timeout: 10))
        // Someone flushes Redis' script cache: the next batch loads the scripts again.
        XCTAssertEqual(try c.command(["SCRIPT", "FLUSH"]), .status("OK"))
        writer.record(publication("ticker.v.A", offset: 151, price: 151, fence: Fence(lease: "v", token: "n1/1")))
        XCTAssertTrue(writer.waitUntilFlushed(timeout: 10))
        XCTAssertEqual(try c.command(["XLEN", "\(prefix):history:ticker.v.A"]), .integer(151))
        XCTAssertEqual(try c.command(["XLEN", "\(prefix):history:trades.w.B"]), .integer(150))
        guard case .array(let last) = try c.command(["XREVRANGE", "\(prefix):history:trades.w.B", "+", "-", "COUNT", "1"]),
            case .array(let entry)? = last.first, case .array(let fields) = entry[1]
        else { return XCTFail("no entry") }
        XCTAssertEqual(entry[0].text, "150-0")
        XCTAssertEqual(fields.first?.text, "_ep", "the entry's fields in place")
        XCTAssertEqual(writer.health.failedWrites, 0)
        XCTAssertEqual(writer.health.fencedWrites, 0)
        XCTAssertEqual(
            Set(try ClusterLatestProbe.members(c, keys.leaseChannels("w"))), ["trades.w.B"], "each channel recorded under its own lease")
    }

    func testACatchUpAskedForIsServedAfterTheNextMessage() throws {
        let c = try redis.client()
        XCTAssertEqual(try c.command(["SET", keys.lease("v"), "n1/1"]), .status("OK"))
        let writer = try clusterWriter()
        defer { writer.stop() }
        let fence = Fence(lease: "v", token: "n1/1")
        writer.record(publication(offset: 1, price: 1, fence: fence))
        XCTAssertTrue(writer.waitUntilFlushed(timeout: 10))
        let catchUps = Mutex<[[UInt64]]>([])
        let live = Mutex<[UInt64]>([])
        let subscriber = ClusterSubscriber(
            url: try RedisURL(parsing: redis.url), keys: keys, node: "n2", timeoutSeconds: 1,
            deliver: { batch in live.withLock { $0 += batch.map(\.offset) } },
            caughtUp: { latest in catchUps.withLock { $0.append(latest.map(\.offset)) } })
        subscriber.start()
        defer { subscriber.stop() }
        func waitFor(_ what: String, _ done: () -> Bool) {
            let deadline = Date().addingTimeInterval(10)
            while !done() && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }  // bounded poll
            XCTAssertTrue(done(), what)
        }
        waitFor("the first catch-up") { catchUps.withLock { $0 } == [[1]] }
        // The receiver dropped a batch: it asks for a catch-up, served after the next message.
        subscriber.requestCatchUp()
        writer.record(publication(offset: 2, price: 2, fence: fence))
        waitFor("the second catch-up") { catchUps.withLock { $0.count } == 2 }
        XCTAssertEqual(catchUps.withLock { $0.last }, [2])
        XCTAssertEqual(live.withLock { $0 }, [2])
        XCTAssertEqual(subscriber.health.caughtUp, 2)
    }

    func testWritesAreFencedByTheLeaseAndAnnouncedToOtherNodes() throws {
        let c = try redis.client()
        XCTAssertEqual(try c.command(["SET", keys.lease("v"), "n1/4", "PX", "60000"]), .status("OK"))
        let writer = try clusterWriter()
        defer { writer.stop() }
        let received = Mutex<[RemotePublication]>([])
        let arrived = NSCondition()
        let deliver: @Sendable ([RemotePublication]) -> Void = { batch in
            received.withLock { $0 += batch }
            arrived.lock()
            arrived.broadcast()
            arrived.unlock()
        }
        let other = ClusterSubscriber(url: try RedisURL(parsing: redis.url), keys: keys, node: "n2", timeoutSeconds: 1, deliver: deliver)
        let own = ClusterSubscriber(url: try RedisURL(parsing: redis.url), keys: keys, node: "n1", timeoutSeconds: 1, deliver: { _ in })
        other.start()
        own.start()
        defer {
            other.stop()
            own.stop()
        }
        func waitSubscribed(_ s: ClusterSubscriber) {
            let deadline = Date().addingTimeInterval(10)
            while !s.health.caughtUpNow && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }  // bounded poll of a flag
            XCTAssertTrue(s.health.subscribed && s.health.caughtUpNow)
        }
        waitSubscribed(other)
        waitSubscribed(own)

        writer.record(publication(offset: 1, price: 10, fence: Fence(lease: "v", token: "n1/4")))
        writer.record(publication(offset: 2, price: 11, fence: Fence(lease: "v", token: "n1/3")))  // a stale token
        XCTAssertTrue(writer.waitUntilFlushed(timeout: 10))
        let deadline = Date().addingTimeInterval(10)
        arrived.lock()
        while received.withLock({ $0.isEmpty }) && arrived.wait(until: deadline) {}
        arrived.unlock()
        let got = received.withLock { $0 }
        XCTAssertEqual(got.map(\.offset), [1])
        XCTAssertEqual(got.first?.fields.first { $0.name == "price" }?.json, Array("10".utf8))
        XCTAssertEqual(writer.health.fencedWrites, 2, "the stale publication's history entry and state were refused")
        XCTAssertEqual(try c.command(["XLEN", "\(prefix):history:ticker.v.A"]), .integer(1))
        XCTAssertEqual(try c.command(["SMEMBERS", keys.leaseChannels("v")]), .array([.string(Array("ticker.v.A".utf8))]))
        XCTAssertEqual(other.health.received, 1)
        let ownDeadline = Date().addingTimeInterval(10)
        while own.health.own < 1 && Date() < ownDeadline { Thread.sleep(forTimeInterval: 0.02) }  // bounded poll of a counter
        XCTAssertEqual(own.health.own, 1, "a node skips its own announcements")

        // A node subscribing later catches up on the newest stored publication of every channel.
        let late = Mutex<[RemotePublication]>([])
        let third = ClusterSubscriber(url: try RedisURL(parsing: redis.url), keys: keys, node: "n3", timeoutSeconds: 1) { batch in late.withLock { $0 += batch }
        }
        third.start()
        defer { third.stop() }
        let lateDeadline = Date().addingTimeInterval(10)
        while late.withLock({ $0.isEmpty }) && Date() < lateDeadline { Thread.sleep(forTimeInterval: 0.02) }  // bounded poll
        XCTAssertEqual(late.withLock { $0.map(\.offset) }, [1])
        XCTAssertEqual(third.health.caughtUp, 1)
    }
}

/// Reads a set of channel names with a real client.
enum ClusterLatestProbe {
    static func members(_ c: RedisConnection, _ key: String) throws -> [String] {
        guard case .array(let items) = try c.command(["SMEMBERS", key]) else { return [] }
        return items.compactMap(\.text)
    }
}
