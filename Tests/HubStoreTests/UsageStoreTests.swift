import Foundation
import HubCore
import XCTest

@testable import HubStore

/// Usage buckets on each backend (`StoreContractCase`): roll-ups add up per minute, hour and day; queries
/// answer totals, top keys and trends with role and user filters; retention drops old buckets.
final class UsageStoreTests: StoreContractCase {

    func row(_ d: UsageDimension, _ key: String, user: String, roles: [String], _ body: (inout UsageCounters) -> Void) -> UsageRow {
        var c = UsageCounters()
        body(&c)
        return UsageRow(key: UsageKey(d, key, user: user, roles: UsageKey.roles(roles)), counters: c)
    }

    let t0: Int64 = 1_796_000_400  // on an hour boundary

    func testRollUpsAddUpAndQueriesRankFilterAndTrend() throws {
        try eachStore { _ in
            try store.recordUsage(
                [
                    row(.channel, "ticker.binance.BTC/USDT", user: "user:1", roles: ["premium"]) {
                        $0.messages = 100
                        $0.bytes = 10_000
                        $0.subscriptions = 1
                    },
                    row(.channel, "ticker.deribit.BTC-PERPETUAL", user: "anonymous", roles: ["anonymous"]) {
                        $0.messages = 40
                        $0.bytes = 3_000
                    },
                ], at: t0 + 30)
            try store.recordUsage(
                [
                    row(.channel, "ticker.binance.BTC/USDT", user: "user:1", roles: ["premium"]) { $0.messages = 50 },
                    row(.channel, "ticker.deribit.BTC-PERPETUAL", user: "user:2", roles: ["analyst", "premium"]) { $0.messages = 200 },
                ], at: t0 + 90)

            let all = try store.usage(UsageQuery(dimension: .channel, granularity: .minute, from: t0, to: t0 + 3600, top: 10))
            XCTAssertEqual(all.totals.messages, 390)
            XCTAssertEqual(all.keys, 2)
            XCTAssertEqual(all.top.map(\.key), ["ticker.deribit.BTC-PERPETUAL", "ticker.binance.BTC/USDT"], "ranked by messages")
            XCTAssertEqual(all.top.map(\.counters.messages), [240, 150])
            XCTAssertEqual(all.top.first?.users, 2)
            XCTAssertEqual(all.trend.map(\.bucket), [t0, t0 + 60], "one point per minute bucket")
            XCTAssertEqual(all.trend.map(\.counters.messages), [140, 250])

            let hourly = try store.usage(UsageQuery(dimension: .channel, granularity: .hour, from: t0, to: t0 + 86_400, top: 1))
            XCTAssertEqual(hourly.trend.map(\.bucket), [t0])
            XCTAssertEqual(hourly.top.count, 1, "top=1")
            XCTAssertEqual(try store.usage(UsageQuery(dimension: .channel, granularity: .day, from: t0 - 86_400, to: t0 + 86_400, top: 5)).totals.messages, 390)

            let premium = try store.usage(UsageQuery(dimension: .channel, granularity: .minute, from: t0, to: t0 + 3600, top: 10, role: "premium"))
            XCTAssertEqual(premium.totals.messages, 350, "rows of callers holding premium, among other roles too")
            let analyst = try store.usage(UsageQuery(dimension: .channel, granularity: .minute, from: t0, to: t0 + 3600, top: 10, role: "analyst"))
            XCTAssertEqual(analyst.top.map(\.key), ["ticker.deribit.BTC-PERPETUAL"])
            XCTAssertEqual(
                try store.usage(UsageQuery(dimension: .channel, granularity: .minute, from: t0, to: t0 + 3600, top: 10, role: "prem")).totals.messages, 0,
                "whole role names only")
            XCTAssertEqual(
                try store.usage(UsageQuery(dimension: .channel, granularity: .minute, from: t0, to: t0 + 3600, top: 10, role: "%")).totals.messages, 0,
                "no wildcards")
            XCTAssertEqual(
                try store.usage(UsageQuery(dimension: .channel, granularity: .minute, from: t0, to: t0 + 3600, top: 10, role: "PREMIUM")).totals.messages, 0,
                "role names are case-sensitive")
            let one = try store.usage(UsageQuery(dimension: .channel, granularity: .minute, from: t0, to: t0 + 3600, top: 10, users: ["user:1"]))
            XCTAssertEqual(one.totals.messages, 150)
            XCTAssertEqual(try store.usage(UsageQuery(dimension: .route, granularity: .minute, from: t0, to: t0 + 3600, top: 10)).keys, 0, "another dimension")
        }
    }

    func testRoutesRankByCallsAndKeepLatencyAndLastSeen() throws {
        try eachStore { _ in
            var a = UsageCounters()
            a.call(status: 200, nanoseconds: 1_000_000)
            a.call(status: 404, nanoseconds: 3_000_000)
            a.call(status: 503, nanoseconds: 9_000_000)
            var b = UsageCounters()
            b.call(status: 302, nanoseconds: 500_000)
            var u = UsageCounters()
            u.lastSeen = t0 + 5
            try store.recordUsage(
                [
                    UsageRow(key: UsageKey(.route, "GET /api/users", user: "user:1", roles: ",admin,"), counters: a),
                    UsageRow(key: UsageKey(.route, "GET /healthz", user: "unauthenticated", roles: ","), counters: b),
                    UsageRow(key: UsageKey(.user, "user:1", user: "user:1", roles: ",admin,"), counters: u),
                ], at: t0 + 10)
            let r = try store.usage(UsageQuery(dimension: .route, granularity: .hour, from: t0, to: t0 + 3600, top: 10))
            XCTAssertEqual(r.top.map(\.key), ["GET /api/users", "GET /healthz"])
            let users = r.top[0].counters
            XCTAssertEqual([users.calls2xx, users.calls3xx, users.calls4xx, users.calls5xx], [1, 0, 1, 1])
            XCTAssertEqual(users.latencySumNanoseconds, 13_000_000)
            XCTAssertEqual(users.latencyMaxNanoseconds, 9_000_000)
            XCTAssertEqual(r.top[1].counters.calls3xx, 1)
            let seen = try store.usage(UsageQuery(dimension: .user, granularity: .day, from: t0 - 86_400, to: t0 + 86_400, top: 10))
            XCTAssertEqual(seen.top.first?.counters.lastSeen, t0 + 5)
        }
    }

    func testRetentionDropsBucketsOlderThanConfigured() throws {
        try eachStore { _ in
            var retention = UsageRetention()
            retention.minuteHours = 1
            try store.recordUsage([row(.user, "anonymous", user: "anonymous", roles: ["anonymous"]) { $0.sessions = 1 }], at: t0, retention: retention)
            try store.recordUsage(
                [row(.user, "anonymous", user: "anonymous", roles: ["anonymous"]) { $0.sessions = 2 }], at: t0 + 3 * 3600, retention: retention)
            let minutes = try store.usage(UsageQuery(dimension: .user, granularity: .minute, from: 0, to: t0 + 86_400, top: 10))
            XCTAssertEqual(minutes.totals.sessions, 2, "the minute bucket three hours back is gone")
            let hours = try store.usage(UsageQuery(dimension: .user, granularity: .hour, from: 0, to: t0 + 86_400, top: 10))
            XCTAssertEqual(hours.totals.sessions, 3, "hour buckets are kept longer")
            XCTAssertEqual(hours.trend.count, 2)
        }
    }

    func testGranularityBucketsAlignToTheirBoundaries() {
        XCTAssertEqual(UsageGranularity.minute.bucket(t0 + 61), t0 + 60)
        XCTAssertEqual(UsageGranularity.hour.bucket(t0 + 3599), t0)
        XCTAssertEqual(UsageGranularity.day.bucket(86_400 * 3 + 5), 86_400 * 3)
        XCTAssertEqual(UsageGranularity.minute.bucket(-1), -60, "before the epoch rounds down")
    }
}
