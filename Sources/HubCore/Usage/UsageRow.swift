/// What usage is counted by: a property, a channel, a REST route or a user.
public enum UsageDimension: String, Sendable, CaseIterable, Codable {
    case property, channel, route, user
}

/// The counters of one usage row over one interval. Which ones a row uses depends on its
/// dimension: properties count deliveries (`messages`), channels subscriptions, messages and
/// bytes, routes calls by status class and latency, users sessions, connect time,
/// subscriptions, messages, bytes and when they were last seen.
public struct UsageCounters: Sendable, Equatable {
    public var messages: UInt64 = 0
    public var bytes: UInt64 = 0
    public var subscriptions: UInt64 = 0
    public var sessions: UInt64 = 0
    public var connectSeconds: Double = 0
    /// REST calls answered 2xx, 3xx, 4xx and 5xx.
    public var calls2xx: UInt64 = 0
    public var calls3xx: UInt64 = 0
    public var calls4xx: UInt64 = 0
    public var calls5xx: UInt64 = 0
    public var latencySumNanoseconds: UInt64 = 0
    public var latencyMaxNanoseconds: UInt64 = 0
    /// Wall clock, seconds since the epoch (0: not seen in the interval).
    public var lastSeen: Int64 = 0

    public init() {}

    public var calls: UInt64 { calls2xx + calls3xx + calls4xx + calls5xx }

    public mutating func add(_ o: UsageCounters) {
        messages &+= o.messages
        bytes &+= o.bytes
        subscriptions &+= o.subscriptions
        sessions &+= o.sessions
        connectSeconds += o.connectSeconds
        calls2xx &+= o.calls2xx
        calls3xx &+= o.calls3xx
        calls4xx &+= o.calls4xx
        calls5xx &+= o.calls5xx
        latencySumNanoseconds &+= o.latencySumNanoseconds
        latencyMaxNanoseconds = max(latencyMaxNanoseconds, o.latencyMaxNanoseconds)
        lastSeen = max(lastSeen, o.lastSeen)
    }

    /// One REST call answered with `status` after `nanoseconds`.
    public mutating func call(status: Int, nanoseconds: UInt64) {
        switch status {
        case ..<300: calls2xx &+= 1
        case 300..<400: calls3xx &+= 1
        case 400..<500: calls4xx &+= 1
        default: calls5xx &+= 1
        }
        latencySumNanoseconds &+= nanoseconds
        latencyMaxNanoseconds = max(latencyMaxNanoseconds, nanoseconds)
    }
}

/// Who and what a row counts: `key` is the property, channel, route (`GET /api/users/:id`) or
/// user; `user` the caller (`user:<id>`, `<issuer>:<subject>`, `anonymous`; empty for property
/// rows, which count by role only); `roles` the caller's roles as `,a,b,` (so one role matches
/// as a substring).
public struct UsageKey: Hashable, Sendable {
    public let dimension: UsageDimension
    public let key: String
    public let user: String
    public let roles: String

    public init(_ dimension: UsageDimension, _ key: String, user: String, roles: String) {
        self.dimension = dimension
        self.key = key
        self.user = user
        self.roles = roles
    }

    /// `,a,b,` from role names (sorted).
    public static func roles(_ names: [String]) -> String {
        names.isEmpty ? "," : "," + names.sorted().joined(separator: ",") + ","
    }
}

/// One row handed to the store at a roll-up.
public struct UsageRow: Sendable, Equatable {
    public let key: UsageKey
    public var counters: UsageCounters

    public init(key: UsageKey, counters: UsageCounters) {
        self.key = key
        self.counters = counters
    }
}
