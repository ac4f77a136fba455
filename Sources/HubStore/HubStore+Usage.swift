import Foundation
import HubCore

/// How long usage buckets are kept (`usage.retention`): each window reads the finest
/// granularity that covers it (1h from minutes, 24h and 7d from hours, 30d from days).
public struct UsageRetention: Sendable, Equatable {
    public var minuteHours = 48.0
    public var hourDays = 35.0
    public var dayDays = 400.0
    public init() {}
}

/// Bucket sizes of the usage table.
public enum UsageGranularity: String, Sendable, CaseIterable {
    case minute, hour, day

    public var seconds: Int64 {
        switch self {
        case .minute: return 60
        case .hour: return 3600
        case .day: return 86_400
        }
    }

    public func bucket(_ t: Int64) -> Int64 { t - ((t % seconds) + seconds) % seconds }
}

/// A question to the usage table: one dimension, `[from, to)` at one granularity, optional
/// role and user filters, the `top` keys by `rank`.
public struct UsageQuery: Sendable {
    public var dimension: UsageDimension
    public var granularity: UsageGranularity
    public var from: Int64
    public var to: Int64
    public var top: Int
    public var role: String?
    public var users: [String]?

    public init(dimension: UsageDimension, granularity: UsageGranularity, from: Int64, to: Int64, top: Int, role: String? = nil, users: [String]? = nil) {
        self.dimension = dimension
        self.granularity = granularity
        self.from = from
        self.to = to
        self.top = top
        self.role = role
        self.users = users
    }
}

/// What the usage table answers: totals, the top keys and the series per bucket.
public struct UsageAnswer: Sendable {
    public var totals = UsageCounters()
    /// Distinct keys in the window.
    public var keys = 0
    public var top: [(key: String, counters: UsageCounters, users: Int)] = []
    public var trend: [(bucket: Int64, counters: UsageCounters)] = []
}

extension HubStore {
    /// Adds rows counted up to `at` (seconds since the epoch) to their minute, hour and day
    /// buckets in one transaction, then drops buckets older than `retention`.
    /// Every node of a cluster adds to the same buckets: the upserts add, so they need no
    /// serialisable isolation (`adding`).
    public func recordUsage(_ rows: [UsageRow], at: Int64, retention: UsageRetention = UsageRetention()) throws(StoreError) {
        try adding { db in
            let insert = """
                INSERT INTO usage (granularity, bucket, dimension, key, "user", roles, messages, bytes, subscriptions, sessions,
                    connectSeconds, calls2xx, calls3xx, calls4xx, calls5xx, latencySumNs, latencyMaxNs, lastSeen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (granularity, dimension, key, "user", roles, bucket) DO UPDATE SET
                    messages = usage.messages + excluded.messages, bytes = usage.bytes + excluded.bytes,
                    subscriptions = usage.subscriptions + excluded.subscriptions, sessions = usage.sessions + excluded.sessions,
                    connectSeconds = usage.connectSeconds + excluded.connectSeconds,
                    calls2xx = usage.calls2xx + excluded.calls2xx, calls3xx = usage.calls3xx + excluded.calls3xx,
                    calls4xx = usage.calls4xx + excluded.calls4xx, calls5xx = usage.calls5xx + excluded.calls5xx,
                    latencySumNs = usage.latencySumNs + excluded.latencySumNs,
                    latencyMaxNs = \(db.dialect.greatest("usage.latencyMaxNs", "excluded.latencyMaxNs")),
                    lastSeen = \(db.dialect.greatest("usage.lastSeen", "excluded.lastSeen"))
                """
            // One order on every node: nodes adding to the same buckets lock them in the same
            // order and never deadlock.
            let sorted = rows.sorted {
                ($0.key.dimension.rawValue, $0.key.key, $0.key.user, $0.key.roles) < ($1.key.dimension.rawValue, $1.key.key, $1.key.user, $1.key.roles)
            }
            for g in UsageGranularity.allCases {
                let bucket = g.bucket(at)
                for r in sorted {
                    let c = r.counters
                    try db.execute(
                        insert, g.rawValue, bucket, r.key.dimension.rawValue, r.key.key, r.key.user, r.key.roles, Int64(clamping: c.messages),
                        Int64(clamping: c.bytes), Int64(clamping: c.subscriptions), Int64(clamping: c.sessions), c.connectSeconds,
                        Int64(clamping: c.calls2xx), Int64(clamping: c.calls3xx), Int64(clamping: c.calls4xx), Int64(clamping: c.calls5xx),
                        Int64(clamping: c.latencySumNanoseconds), Int64(clamping: c.latencyMaxNanoseconds), c.lastSeen)
                }
            }
            let keep: [(UsageGranularity, Double)] = [
                (.minute, retention.minuteHours * 3600), (.hour, retention.hourDays * 86_400), (.day, retention.dayDays * 86_400),
            ]
            for (g, seconds) in keep {
                try db.execute("DELETE FROM usage WHERE granularity = ? AND bucket < ?", g.rawValue, at - Int64(seconds) - g.seconds)
            }
        }
    }

    /// Totals, top keys and trend for `q`.
    public func usage(_ q: UsageQuery) throws(StoreError) -> UsageAnswer {
        try reading { db in
            var filter = "granularity = ? AND dimension = ? AND bucket >= ? AND bucket < ?"
            var args: [SQLValue] = [.text(q.granularity.rawValue), .text(q.dimension.rawValue), .integer(q.from), .integer(q.to)]
            if let role = q.role {
                // Exact, case-sensitive: `,role,` inside `,a,b,` (LIKE would ignore case).
                filter += " AND \(db.dialect.position(of: "?", in: "roles")) > 0"
                args.append(.text("," + role + ","))
            }
            if let users = q.users {
                // No users: no rows (`IN ()` is not SQL).
                filter += users.isEmpty ? " AND 1 = 0" : #" AND "user" IN (\#(users.map { _ in "?" }.joined(separator: ",")))"#
                args += users.map { .text($0) }
            }
            // Sums as BIGINT: PostgreSQL's SUM over BIGINT is NUMERIC.
            let sums = """
                CAST(SUM(messages) AS BIGINT), CAST(SUM(bytes) AS BIGINT), CAST(SUM(subscriptions) AS BIGINT), CAST(SUM(sessions) AS BIGINT),
                SUM(connectSeconds), CAST(SUM(calls2xx) AS BIGINT), CAST(SUM(calls3xx) AS BIGINT), CAST(SUM(calls4xx) AS BIGINT),
                CAST(SUM(calls5xx) AS BIGINT), CAST(SUM(latencySumNs) AS BIGINT), MAX(latencyMaxNs), MAX(lastSeen)
                """
            let rank = q.dimension == .route ? "SUM(calls2xx + calls3xx + calls4xx + calls5xx)" : "SUM(messages)"
            let secondary = q.dimension == .route ? "SUM(latencySumNs)" : "SUM(bytes)"
            var answer = UsageAnswer()
            if let row = try db.query("SELECT COUNT(DISTINCT key), \(sums) FROM usage WHERE \(filter)", args).first {
                answer.keys = Int(try row.int(0))
                answer.totals = try Self.counters(row, from: 1)
            }
            for row in try db.query(
                """
                SELECT key, COUNT(DISTINCT "user"), \(sums) FROM usage WHERE \(filter)
                GROUP BY key ORDER BY \(rank) DESC, \(secondary) DESC, key\(db.dialect.bytewise) LIMIT ?
                """, args + [.integer(Int64(q.top))])
            {
                answer.top.append((try row.text(0), try Self.counters(row, from: 2), Int(try row.int(1))))
            }
            for row in try db.query("SELECT bucket, \(sums) FROM usage WHERE \(filter) GROUP BY bucket ORDER BY bucket", args) {
                answer.trend.append((try row.int(0), try Self.counters(row, from: 1)))
            }
            return answer
        }
    }

    private static func counters(_ row: SQLRow, from i: Int) throws -> UsageCounters {
        var c = UsageCounters()
        func u(_ k: Int) throws -> UInt64 { UInt64(max(0, try row.optionalInt(i + k) ?? 0)) }
        c.messages = try u(0)
        c.bytes = try u(1)
        c.subscriptions = try u(2)
        c.sessions = try u(3)
        c.connectSeconds = try row.optionalDouble(i + 4) ?? 0
        c.calls2xx = try u(5)
        c.calls3xx = try u(6)
        c.calls4xx = try u(7)
        c.calls5xx = try u(8)
        c.latencySumNanoseconds = try u(9)
        c.latencyMaxNanoseconds = try u(10)
        c.lastSeen = try row.optionalInt(i + 11) ?? 0
        return c
    }
}
