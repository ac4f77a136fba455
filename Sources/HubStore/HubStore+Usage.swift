import GRDB
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
    public func recordUsage(_ rows: [UsageRow], at: Int64, retention: UsageRetention = UsageRetention()) throws(StoreError) {
        try writing { db in
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO usage (granularity, bucket, dimension, key, user, roles, messages, bytes, subscriptions, sessions,
                        connectSeconds, calls2xx, calls3xx, calls4xx, calls5xx, latencySumNs, latencyMaxNs, lastSeen)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (granularity, dimension, key, user, roles, bucket) DO UPDATE SET
                        messages = messages + excluded.messages, bytes = bytes + excluded.bytes,
                        subscriptions = subscriptions + excluded.subscriptions, sessions = sessions + excluded.sessions,
                        connectSeconds = connectSeconds + excluded.connectSeconds,
                        calls2xx = calls2xx + excluded.calls2xx, calls3xx = calls3xx + excluded.calls3xx,
                        calls4xx = calls4xx + excluded.calls4xx, calls5xx = calls5xx + excluded.calls5xx,
                        latencySumNs = latencySumNs + excluded.latencySumNs, latencyMaxNs = max(latencyMaxNs, excluded.latencyMaxNs),
                        lastSeen = max(lastSeen, excluded.lastSeen)
                    """)
            for g in UsageGranularity.allCases {
                let bucket = g.bucket(at)
                for r in rows {
                    let c = r.counters
                    try insert.execute(arguments: [
                        g.rawValue, bucket, r.key.dimension.rawValue, r.key.key, r.key.user, r.key.roles, Int64(clamping: c.messages),
                        Int64(clamping: c.bytes), Int64(clamping: c.subscriptions), Int64(clamping: c.sessions), c.connectSeconds,
                        Int64(clamping: c.calls2xx), Int64(clamping: c.calls3xx), Int64(clamping: c.calls4xx), Int64(clamping: c.calls5xx),
                        Int64(clamping: c.latencySumNanoseconds), Int64(clamping: c.latencyMaxNanoseconds), c.lastSeen,
                    ])
                }
            }
            let keep: [(UsageGranularity, Double)] = [
                (.minute, retention.minuteHours * 3600), (.hour, retention.hourDays * 86_400), (.day, retention.dayDays * 86_400),
            ]
            for (g, seconds) in keep {
                try db.execute(sql: "DELETE FROM usage WHERE granularity = ? AND bucket < ?", arguments: [g.rawValue, at - Int64(seconds) - g.seconds])
            }
        }
    }

    /// Totals, top keys and trend for `q`.
    public func usage(_ q: UsageQuery) throws(StoreError) -> UsageAnswer {
        var filter = "granularity = ? AND dimension = ? AND bucket >= ? AND bucket < ?"
        var args: [any DatabaseValueConvertible] = [q.granularity.rawValue, q.dimension.rawValue, q.from, q.to]
        if let role = q.role {
            // Exact, case-sensitive: `,role,` inside `,a,b,` (LIKE would ignore case).
            filter += " AND instr(roles, ?) > 0"
            args.append("," + role + ",")
        }
        if let users = q.users {
            filter += " AND user IN (\(users.map { _ in "?" }.joined(separator: ",")))"
            args.append(contentsOf: users)
        }
        let sums = """
            SUM(messages), SUM(bytes), SUM(subscriptions), SUM(sessions), SUM(connectSeconds), SUM(calls2xx), SUM(calls3xx),
            SUM(calls4xx), SUM(calls5xx), SUM(latencySumNs), MAX(latencyMaxNs), MAX(lastSeen)
            """
        let rank = q.dimension == .route ? "SUM(calls2xx + calls3xx + calls4xx + calls5xx)" : "SUM(messages)"
        let secondary = q.dimension == .route ? "SUM(latencySumNs)" : "SUM(bytes)"
        return try reading { db in
            var answer = UsageAnswer()
            let arguments = StatementArguments(args.map { $0.databaseValue })
            if let row = try Row.fetchOne(db, sql: "SELECT COUNT(DISTINCT key), \(sums) FROM usage WHERE \(filter)", arguments: arguments) {
                answer.keys = row[0]
                answer.totals = Self.counters(row, from: 1)
            }
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT key, COUNT(DISTINCT user), \(sums) FROM usage WHERE \(filter)
                    GROUP BY key ORDER BY \(rank) DESC, \(secondary) DESC, key LIMIT ?
                    """, arguments: arguments + [q.top])
            {
                answer.top.append((row[0], Self.counters(row, from: 2), row[1]))
            }
            for row in try Row.fetchAll(db, sql: "SELECT bucket, \(sums) FROM usage WHERE \(filter) GROUP BY bucket ORDER BY bucket", arguments: arguments) {
                answer.trend.append((row[0], Self.counters(row, from: 1)))
            }
            return answer
        }
    }

    private static func counters(_ row: Row, from i: Int) -> UsageCounters {
        var c = UsageCounters()
        func u(_ k: Int) -> UInt64 { UInt64(max(0, (row[i + k] as Int64?) ?? 0)) }
        c.messages = u(0)
        c.bytes = u(1)
        c.subscriptions = u(2)
        c.sessions = u(3)
        c.connectSeconds = (row[i + 4] as Double?) ?? 0
        c.calls2xx = u(5)
        c.calls3xx = u(6)
        c.calls4xx = u(7)
        c.calls5xx = u(8)
        c.latencySumNanoseconds = u(9)
        c.latencyMaxNanoseconds = u(10)
        c.lastSeen = (row[i + 11] as Int64?) ?? 0
        return c
    }
}
