import Foundation
import HubCache
import HubCore
import HubServer
import HubTesting
import StreamHubClient
import Venues
import XCTest

/// The Swift client against live hubs: typed publications, errors, a hub restart crossed with
/// no gap and no duplicate, the `expiring` push answered, filters and the `publish` op.
final class StreamHubClientTests: XCTestCase {
    struct Quote: Decodable {
        let bid: Double
    }

    func ticks(_ range: ClosedRange<Int>) -> [RawEvent] {
        range.map { i in
            RawEvent(
                source: "deribit", instrument: "X", stream: .ticker, exchangeTime: 1_700_000_000_000, receiveTime: WallClock.microseconds(),
                fields: [
                    RawField(DeribitField.bestBidPrice.rawValue, .number(Double(i))), RawField(DeribitField.bestAskPrice.rawValue, .number(Double(i) + 0.5)),
                ])
        }
    }

    /// The next `count` publications of `channel`.
    func take(_ client: StreamHubClient, _ count: Int, _ channel: String, timeout: Double = 10) async throws -> [Publication] {
        try await withTimeout(timeout) {
            var out: [Publication] = []
            for await p in client.publications where p.channel == channel {
                out.append(p)
                if out.count >= count { break }
            }
            return out
        }
    }

    func nextEvent(_ client: StreamHubClient, timeout: Double = 10, where match: @escaping @Sendable (StreamHubClient.Event) -> Bool) async throws
        -> StreamHubClient.Event
    {
        try await withTimeout(timeout) {
            for await e in client.events where match(e) { return e }
            throw StreamHubError.notConnected
        }
    }

    func testTypedPublicationsErrorsAndARestartCrossedWithoutGapOrDuplicate() async throws {
        let redis = try TestRedis()
        defer { redis.shutdown() }
        let port = try TestRedis.freePort()
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("client-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        func hub() throws -> TestHub {
            try TestHub(dataDirectory: data) {
                $0.server.port = port
                $0.redis.url = redis.url
                $0.auth.anonymous = true
            }
        }
        var first: TestHub? = try hub()
        let client = try StreamHubClient(url: "ws://127.0.0.1:\(port)/ws", backoff: .init(initial: 0.05, maximum: 0.2))
        try await client.start()
        first!.inject(ticks(1...3))
        try await client.subscribe("ticker.deribit.X", fields: ["bid"])
        do {
            try await client.subscribe("ticker..X")
            XCTFail("an invalid channel is refused")
        } catch let e as StreamHubError {
            XCTAssertEqual(e.code, 1002)
        }
        first!.inject(ticks(4...5))
        let before = try await take(client, 3, "ticker.deribit.X")
        XCTAssertEqual(before.map(\.offset), [3, 4, 5], "the snapshot (3), then live")
        XCTAssertEqual(try before.last!.decode(Quote.self).bid, 5)

        // The hub goes away and comes back on the same port with the same Redis.
        let store = try XCTUnwrap(first!.server.history as? RedisHistoryStore)
        XCTAssertTrue(store.waitUntilFlushed(timeout: 10))
        first!.stop()
        first = nil
        let second = try hub()
        defer { second.stop() }
        second.inject(ticks(6...8))
        let recovered = try await nextEvent(client) { if case .recovered = $0 { return true } else { return false } }
        XCTAssertEqual(recovered, .recovered(channel: "ticker.deribit.X", recovered: true))
        second.inject(ticks(9...10))
        let after = try await take(client, 5, "ticker.deribit.X")
        XCTAssertEqual(after.map(\.offset), [6, 7, 8, 9, 10], "contiguous: no gap, no duplicate")
        XCTAssertEqual(Set((before + after).map(\.epoch)).count, 1, "one epoch across the restart")
        XCTAssertEqual(after.last?.number("bid"), 10)
        client.close()
    }

    func testRefreshFiltersAndPublish() async throws {
        let clock = ManualClock(running: true)
        let hub = try TestHub(clock: clock) { $0.auth.expiryWarningSeconds = 899 }
        defer { hub.stop() }
        let admin = try XCTUnwrap(try hub.server.store.user(named: "admin"))
        let client = try StreamHubClient(url: "ws://127.0.0.1:\(hub.port)/ws", tokens: { try hub.token(subject: "\(admin.id)") })
        try await client.start()
        try await client.subscribe("announcements.desk.*", filter: ["property": "severity", "op": "=", "value": "critical"])
        for severity in ["info", "critical"] {
            let reply = try await client.publish("announcements.desk.swift", data: ["headline": "a \(severity) note", "severity": severity])
            XCTAssertNotNil(reply.object["offset"])
        }
        let got = try await take(client, 1, "announcements.desk.swift")
        XCTAssertEqual(got.first?.string("severity"), "critical")
        XCTAssertEqual(got.first?.offset, 2, "the info note is filtered out")
        // 899 s of warning on a 900 s token: the next sweep pushes `expiring`; the client refreshes.
        clock.advance(by: 2)
        let refreshed = try await nextEvent(client) { $0 == .refreshed }
        XCTAssertEqual(refreshed, .refreshed)
        client.close()
    }
}

/// Runs `body`, failing after `seconds`.
func withTimeout<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            throw StreamHubError.connectFailed("timed out after \(seconds) s")
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}
