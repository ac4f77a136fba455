import Foundation
import HubCore
import XCTest

/// What every history store does, as one set of test bodies run against the memory store and
/// the Redis store (`MemoryHistoryStoreTests`, `RedisHistoryStoreTests`): record and fetch exact
/// ranges, start afresh with a new epoch, keep the newest `historyLength` entries, and give back
/// every channel's epoch, offset and latest state.
struct HistoryStoreContract {
    /// A store keeping `historyLength` entries per channel.
    let make: (_ historyLength: Int) throws -> HistoryStore
    /// Returns once everything recorded is stored.
    let settle: (HistoryStore) throws -> Void
    /// The store a restarted hub would open (the same instance for memory).
    let reopen: (HistoryStore) throws -> HistoryStore
    /// Releases a store.
    let close: (HistoryStore) -> Void

    /// A publication with the given properties, encoded as the hub does.
    static func publication(_ channel: String = "trades.deribit.T", epoch: String = "e1", offset: UInt64, price: Double) -> StoredPublication {
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

    private final class Box: @unchecked Sendable { var value: [StoredMessage]? }

    /// `.none` when no reply came; `.some(nil)` when the store has no such range.
    static func fetch(_ s: HistoryStore, _ channel: String, _ epoch: String, after: UInt64, through: UInt64) -> [StoredMessage]?? {
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        s.fetch(channel: channel, epoch: epoch, after: after, through: through) { m in
            box.value = m
            done.signal()
        }
        guard done.wait(timeout: .now() + 5) == .success else { return .none }
        return .some(box.value)
    }

    func fetchReturnsExactlyTheRangeOrNothing() throws {
        let s = try make(10_000)
        defer { close(s) }
        for off in 1...10 { s.record(Self.publication(offset: UInt64(off), price: Double(off))) }
        try settle(s)
        let got = try XCTUnwrap(Self.fetch(s, "trades.deribit.T", "e1", after: 3, through: 7) ?? nil)
        XCTAssertEqual(got.map(\.offset), [4, 5, 6, 7])
        XCTAssertEqual(got[0].exchangeTime, 1004)
        XCTAssertEqual(got[0].receiveTime, 2004)
        XCTAssertEqual(got[0].fields.first { $0.name == "price" }?.json, Array("4".utf8))
        XCTAssertEqual(got[0].fields.first { $0.name == "bids" }?.json, Array("[[1.5,2]]".utf8))
        XCTAssertNil(Self.fetch(s, "trades.deribit.T", "e2", after: 3, through: 7) ?? nil, "another epoch")
        XCTAssertNil(Self.fetch(s, "trades.deribit.T", "e1", after: 8, through: 12) ?? nil, "beyond what exists")
        XCTAssertNil(Self.fetch(s, "trades.deribit.X", "e1", after: 0, through: 2) ?? nil, "unknown channel")
        XCTAssertEqual((Self.fetch(s, "trades.deribit.T", "e1", after: 5, through: 5) ?? nil)?.count, 0, "an empty range")
        XCTAssertEqual((Self.fetch(s, "trades.deribit.T", "e1", after: 0, through: 10) ?? nil)?.count, 10, "all of it")
    }

    func aNewEpochStartsAfreshAndTrimmingKeepsTheNewest() throws {
        let s = try make(10)
        defer { close(s) }
        for off in 1...5 { s.record(Self.publication(offset: UInt64(off), price: 1)) }
        for off in 1...3 { s.record(Self.publication(epoch: "e2", offset: UInt64(off), price: 2)) }
        try settle(s)
        XCTAssertEqual((Self.fetch(s, "trades.deribit.T", "e2", after: 0, through: 3) ?? nil)?.count, 3)
        XCTAssertNil(Self.fetch(s, "trades.deribit.T", "e1", after: 0, through: 3) ?? nil, "the old epoch is gone")
        for off in 4...500 { s.record(Self.publication(epoch: "e2", offset: UInt64(off), price: 2)) }
        try settle(s)
        XCTAssertNil(Self.fetch(s, "trades.deribit.T", "e2", after: 0, through: 10) ?? nil, "trimmed away")
        XCTAssertEqual((Self.fetch(s, "trades.deribit.T", "e2", after: 495, through: 500) ?? nil)?.map(\.offset), [496, 497, 498, 499, 500], "the newest stay")
    }

    func restoreReturnsEveryChannelWithEpochOffsetAndState() throws {
        let s = try make(10_000)
        for off in 1...4 { s.record(Self.publication(offset: UInt64(off), price: Double(off))) }
        s.record(Self.publication("ticker.deribit.A", epoch: "ea", offset: 9, price: 7))
        try settle(s)
        let again = try reopen(s)
        defer { close(again) }
        let restored = again.restore()
        XCTAssertEqual(restored.map(\.name), ["ticker.deribit.A", "trades.deribit.T"])
        XCTAssertEqual(restored[1].epoch, "e1")
        XCTAssertEqual(restored[1].offset, 4)
        XCTAssertEqual(restored[1].exchangeTime, 1004)
        XCTAssertEqual(restored[1].receiveTime, 2004)
        XCTAssertEqual(restored[1].fields.map(\.name), ["bids", "price", "side"])
        XCTAssertEqual(restored[1].fields.first { $0.name == "price" }?.json, Array("4".utf8), "the latest state")
        XCTAssertEqual(restored[0].fields.first { $0.name == "price" }?.json, Array("7".utf8))
    }

    func healthCountsWritesAndFetches() throws {
        let s = try make(100)
        defer { close(s) }
        for off in 1...3 { s.record(Self.publication(offset: UInt64(off), price: 1)) }
        try settle(s)
        _ = Self.fetch(s, "trades.deribit.T", "e1", after: 0, through: 2)
        let h = s.health
        XCTAssertEqual(h.state, .ok)
        XCTAssertEqual(h.pending, 0)
        XCTAssertGreaterThanOrEqual(h.writes, 3)
        XCTAssertGreaterThanOrEqual(h.fetches, 1)
    }
}
