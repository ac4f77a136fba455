import HubCore
import XCTest

/// A history store whose fetches the test answers by hand; it records what the hub persists.
final class ScriptedHistory: HistoryStore, @unchecked Sendable {
    struct Request {
        let channel: String, epoch: String, after: UInt64, through: UInt64
        let reply: @Sendable ([StoredMessage]?) -> Void
    }
    var requests: [Request] = []
    var recorded: [StoredPublication] = []
    func record(_ publication: StoredPublication) { recorded.append(publication) }
    func fetch(channel: String, epoch: String, after: UInt64, through: UInt64, reply: @escaping @Sendable ([StoredMessage]?) -> Void) -> UInt64 {
        requests.append(Request(channel: channel, epoch: epoch, after: after, through: through, reply: reply))
        return UInt64(requests.count)
    }
    func cancelFetch(_ ticket: UInt64) {}
    func restore() -> [RestoredChannel] { [] }
    var health: HistoryStoreHealth { HistoryStoreHealth(backend: "scripted", state: .ok) }
}

/// Leases held as a test sets them.
final class TestLeases: LeaseHolder {
    var tokens: [String: String] = [:]
    func token(for lease: String) -> String? { tokens[lease] }
}

/// A cluster node's serving stage: other nodes' publications applied at their offsets, gaps
/// filled from history or skipped, epochs followed, and publications made only under held
/// leases, fenced.
final class HubClusterTests: XCTestCase {
    var registry: PropertyRegistry!
    var history: ScriptedHistory!

    override func setUpWithError() throws {
        registry = PropertyRegistry()
        try registry.load([
            PropertyDefinition(name: "bid", type: .decimal, description: "b", tier: .public, sources: ["v"], rules: ValidationRules(min: 0)),
            PropertyDefinition(name: "price", type: .decimal, description: "p", tier: .public, sources: ["v"]),
        ])
        history = ScriptedHistory()
    }

    private func hub() -> Hub {
        let h = Hub(properties: registry.table, now: { 1_000 }, makeEpoch: { "local" }, history: history)
        h.restore([], decoder: StoredValueDecoder(registry: registry))
        return h
    }

    private func remote(_ offset: UInt64, bid: Double, channel: String = "ticker.v.A", epoch: String = "e1") -> RemotePublication {
        RemotePublication(
            channel: channel, epoch: epoch, offset: offset, exchangeTime: 5, receiveTime: 6, fields: [StoredField(name: "bid", json: Array("\(bid)".utf8))])
    }

    private func stored(_ offset: UInt64, bid: Double) -> StoredMessage {
        StoredMessage(offset: offset, exchangeTime: 5, receiveTime: 6, fields: [StoredField(name: "bid", json: Array("\(bid)".utf8))])
    }

    private func subscriber(_ h: Hub, _ channel: String = "ticker.v.A") -> Session {
        let s = h.open(transport: FakeTransport(), remoteAddress: "x")
        var bytes = Array(#"{"id":1,"op":"subscribe","channel":"\#(channel)"}"#.utf8)
        bytes.withUnsafeMutableBytes { h.receive(s, message: UnsafeRawBufferPointer($0)) }
        return s
    }

    private func lines(_ h: Hub, _ s: Session) -> [String] {
        var out: [UInt8] = []
        _ = h.fillFrame(s, into: &out)
        return out.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
    }

    func testRemotePublicationsKeepTheirEpochAndOffsetsAndReachSubscribersWithoutBeingRecordedAgain() throws {
        let h = hub()
        h.applyRemote(remote(41, bid: 1))
        let c = try XCTUnwrap(h.channel(named: "ticker.v.A"))
        XCTAssertEqual(c.epoch, "e1")
        XCTAssertEqual(c.ring.lastOffset, 41)
        let s = subscriber(h)
        h.applyRemote(remote(42, bid: 2))
        h.applyRemote(remote(42, bid: 2))  // the same publication again (a catch-up read)
        XCTAssertEqual(
            lines(h, s),
            [
                #"{"id":1,"result":{"channels":[{"ch":"ticker.v.A","epoch":"e1","off":41}]}}"#,
                #"{"ch":"ticker.v.A","off":41,"snap":true,"ts":5,"rt":6,"data":{"bid":1}}"#,
                #"{"ch":"ticker.v.A","off":42,"ts":5,"rt":6,"data":{"bid":2}}"#,
            ])
        XCTAssertEqual(h.counters.remoteApplied, 2)
        XCTAssertEqual(h.counters.remoteDuplicates, 1)
        XCTAssertTrue(history.recorded.isEmpty, "the producing node persisted them")
        XCTAssertEqual(h.channel(named: "ticker.v.A")?.state?.value(registry.id("bid")!), .number(2))
    }

    func testAGapIsFetchedFromHistoryWhileLaterPublicationsWait() throws {
        let h = hub()
        h.applyRemote(remote(1, bid: 1))
        let s = subscriber(h)
        _ = lines(h, s)
        h.applyRemote(remote(4, bid: 4))
        h.applyRemote(remote(5, bid: 5))
        let request = try XCTUnwrap(history.requests.first)
        XCTAssertEqual([request.after, request.through], [1, 3])
        XCTAssertEqual(request.epoch, "e1")
        XCTAssertEqual(h.channel(named: "ticker.v.A")?.ring.lastOffset, 1, "nothing out of order")
        request.reply([stored(2, bid: 2), stored(3, bid: 3)])
        XCTAssertEqual(
            lines(h, s).map { $0.contains(#""off":"#) ? String($0.split(separator: ",")[1]) : $0 }, [#""off":2"#, #""off":3"#, #""off":4"#, #""off":5"#])
        XCTAssertEqual(h.counters.remoteFilled, 2)
        XCTAssertEqual(h.counters.remoteApplied, 5)
    }

    func testAGapHistoryCannotFillIsSkippedAndStateSubscribersJumpToTheNewest() throws {
        let h = hub()
        h.applyRemote(remote(1, bid: 1))
        let s = subscriber(h)
        _ = lines(h, s)
        h.applyRemote(remote(9, bid: 9))
        history.requests[0].reply(nil)
        XCTAssertEqual(h.channel(named: "ticker.v.A")?.ring.lastOffset, 9)
        XCTAssertEqual(h.counters.remoteSkipped, 1)
        XCTAssertEqual(lines(h, s), [#"{"ch":"ticker.v.A","off":9,"ts":5,"rt":6,"data":{"bid":9}}"#])
    }

    func testANewEpochRestartsTheChannelAndSubscribersFollowIt() throws {
        let h = hub()
        h.applyRemote(remote(7, bid: 1))
        let s = subscriber(h)
        _ = lines(h, s)
        h.applyRemote(remote(1, bid: 2, epoch: "e2"))
        let c = try XCTUnwrap(h.channel(named: "ticker.v.A"))
        XCTAssertEqual(c.epoch, "e2")
        XCTAssertEqual(c.ring.lastOffset, 1)
        XCTAssertEqual(h.counters.remoteEpochChanges, 1)
        XCTAssertEqual(
            lines(h, s),
            [
                #"{"type":"channel","ch":"ticker.v.A","epoch":"e2","sub":"ticker.v.A"}"#,
                #"{"ch":"ticker.v.A","off":1,"ts":5,"rt":6,"data":{"bid":2}}"#,
            ])
    }

    func testUnreadablePublicationsAreRefusedAndBadValuesSkipped() {
        let h = hub()
        h.applyRemote(remote(1, bid: 1, channel: "not a channel"))
        h.applyRemote(remote(1, bid: 1, epoch: "bad epoch!"))
        h.applyRemote(remote(0, bid: 1))
        XCTAssertEqual(h.counters.remoteRejected, 3)
        XCTAssertEqual(h.channelCount, 0)
        h.applyRemote(
            RemotePublication(
                channel: "ticker.v.A", epoch: "e1", offset: 1, exchangeTime: 5, receiveTime: 6,
                fields: [StoredField(name: "bid", json: Array("-3".utf8)), StoredField(name: "price", json: Array("2".utf8))]))
        XCTAssertEqual(h.counters.rejectedStoredValues, 1, "bid breaks its min rule")
        XCTAssertEqual(h.channel(named: "ticker.v.A")?.state?.fields.count, 1)
    }

    func testAdoptingContinuesTheStoredOffsetsWithoutFetching() throws {
        let h = hub()
        h.applyRemote(remote(1, bid: 1))
        h.adopt([remote(30, bid: 30)])
        XCTAssertTrue(history.requests.isEmpty)
        let leases = TestLeases()
        leases.tokens["v"] = "n/1"
        h.leases = leases
        var t = Tick(source: "v", instrument: "A", stream: .ticker, exchangeTime: 7, receiveTime: 8)
        t.set(registry.id("price")!, .number(5))
        XCTAssertEqual(h.producing("v") { h.publish(t) }, 31)
        let c = try XCTUnwrap(h.channel(named: "ticker.v.A"))
        XCTAssertEqual(c.state?.value(registry.id("bid")!), .number(30), "merged into the adopted state")
        XCTAssertEqual(history.recorded.last?.offset, 31)
        XCTAssertEqual(history.recorded.last?.fence, Fence(lease: "v", token: "n/1"))
    }

    func testAdoptingAppendsTheStoredEntriesThisNodeHadNotReceivedYet() throws {
        let h = hub()
        h.applyRemote(remote(3, bid: 3))
        let s = subscriber(h)
        _ = lines(h, s)
        h.adopt((2...6).map { remote(UInt64($0), bid: Double($0)) })
        XCTAssertEqual(lines(h, s).count, 3, "4, 5 and 6, none skipped")
        XCTAssertEqual(h.counters.remoteRewinds, 0)
        XCTAssertEqual(h.counters.remoteSkipped, 0)
        XCTAssertEqual(h.counters.remoteDuplicates, 2)
    }

    func testAdoptingSeveralEntriesPutsPublicationsWaitingForAGapAfterThem() throws {
        let h = hub()
        h.applyRemote(remote(1, bid: 1))
        h.applyRemote(remote(10, bid: 10))  // waits for 2…9 from history
        h.applyRemote(remote(11, bid: 11))
        h.adopt((5...12).map { remote(UInt64($0), bid: Double($0)) })
        let c = try XCTUnwrap(h.channel(named: "ticker.v.A"))
        XCTAssertEqual(c.ring.lastOffset, 12)
        XCTAssertEqual((5...12).map { c.ring.tick(at: UInt64($0))?.value(registry.id("bid")!) }, (5...12).map { .number(Double($0)) })
        XCTAssertEqual(h.counters.remoteSkipped, 1, "only 2…4, before the stored entries")
    }

    func testAdoptingDropsAWaitingGapFetchAndKeepsWhatCameAfter() throws {
        let h = hub()
        h.applyRemote(remote(1, bid: 1))
        h.applyRemote(remote(5, bid: 5))
        h.applyRemote(remote(6, bid: 6))
        h.adopt([remote(5, bid: 5)])
        XCTAssertEqual(h.channel(named: "ticker.v.A")?.ring.lastOffset, 6)
        history.requests[0].reply([stored(2, bid: 2), stored(3, bid: 3), stored(4, bid: 4)])
        XCTAssertEqual(h.channel(named: "ticker.v.A")?.ring.lastOffset, 6, "the late answer is ignored")
    }

    func testTakingOverRewindsWhatTheClusterNeverAccepted() throws {
        let h = hub()
        h.applyRemote(remote(1, bid: 1))
        for i in 2...4 { h.applyRemote(remote(UInt64(i), bid: Double(i))) }
        let s = subscriber(h)
        _ = lines(h, s)
        h.adopt([remote(1, bid: 1), remote(2, bid: 2)])  // the cluster stopped at 2: 3 and 4 were refused by Redis
        let c = try XCTUnwrap(h.channel(named: "ticker.v.A"))
        XCTAssertEqual(c.ring.lastOffset, 2)
        XCTAssertEqual(h.counters.remoteRewinds, 1)
        XCTAssertEqual(
            lines(h, s),
            [
                #"{"type":"channel","ch":"ticker.v.A","epoch":"e1","sub":"ticker.v.A"}"#,
                #"{"ch":"ticker.v.A","off":2,"ts":5,"rt":6,"data":{"bid":2}}"#,
            ])
    }

    func testAfterALeaseIsLostTheNextOwnersPublicationsReplaceWhatThisNodeMade() throws {
        let h = hub()
        let leases = TestLeases()
        leases.tokens["v"] = "n/1"
        h.leases = leases
        var t = Tick(source: "v", instrument: "A", stream: .ticker, exchangeTime: 7, receiveTime: 8)
        for i in 1...3 {
            t.set(registry.id("bid")!, .number(Double(i)))
            h.producing("v") { _ = h.publish(t) }
        }
        // The lease went to another node; Redis had taken offsets 1 and 2 only.
        leases.tokens["v"] = nil
        h.leaseLost("v")
        h.applyRemote(remote(3, bid: 30, epoch: "local"))
        h.applyRemote(remote(4, bid: 40, epoch: "local"))
        let c = try XCTUnwrap(h.channel(named: "ticker.v.A"))
        XCTAssertEqual(c.ring.lastOffset, 4)
        XCTAssertEqual(c.ring.tick(at: 3)?.value(registry.id("bid")!), .number(30), "the cluster's offset 3, not this node's")
        XCTAssertEqual(h.counters.remoteRewinds, 1)
        XCTAssertEqual(h.counters.remoteDuplicates, 0)
    }

    func testPublicationsNeedAHeldLeaseAndCarryItsToken() {
        let h = hub()
        let leases = TestLeases()
        h.leases = leases
        var t = Tick(source: "v", instrument: "A", stream: .ticker, exchangeTime: 7, receiveTime: 8)
        t.set(registry.id("bid")!, .number(1))
        XCTAssertEqual(h.producing("v") { h.publish(t) }, 0)
        XCTAssertFalse(h.holds("v"))
        XCTAssertEqual(h.counters.unownedPublications, 1)
        XCTAssertEqual(h.channelCount, 0)
        leases.tokens["v"] = "n/3"
        XCTAssertTrue(h.holds("v"))
        XCTAssertEqual(h.producing("v") { h.publish(t) }, 1)
        XCTAssertEqual(history.recorded.map(\.fence), [Fence(lease: "v", token: "n/3")])
        h.leases = nil
        XCTAssertTrue(h.holds("anything"), "a single node holds everything")
    }
}
