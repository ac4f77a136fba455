import Foundation
import HubCore
import HubStore
import WebSocketLoop

/// `GET /api/analytics/usage?by=property|channel|route|user&window=1h|24h|7d|30d&top=N[&role=R][&user=U]`:
/// totals, the top N keys and a trend series per bucket, from the usage buckets (what the loop
/// counted so far is rolled up first, so the answer includes the last seconds).
///
/// Threading: handlers on the loop; the roll-up write and the query on the store queue.
final class AnalyticsAPI {
    private let recorder: UsageRecorder
    private let gateway: StoreGateway
    private let clock: HubClock

    init(recorder: UsageRecorder, gateway: StoreGateway, clock: HubClock) {
        self.recorder = recorder
        self.gateway = gateway
        self.clock = clock
    }

    /// A window and the buckets it is read from.
    enum Window: String, CaseIterable {
        case hour = "1h"
        case day = "24h"
        case week = "7d"
        case month = "30d"

        var seconds: Int64 {
            switch self {
            case .hour: return 3600
            case .day: return 86_400
            case .week: return 7 * 86_400
            case .month: return 30 * 86_400
            }
        }

        var granularity: UsageGranularity {
            switch self {
            case .hour: return .minute
            case .day, .week: return .hour
            case .month: return .day
            }
        }
    }

    struct Counters: Encodable {
        var messages: UInt64?
        var bytes: UInt64?
        var subscriptions: UInt64?
        var sessions: UInt64?
        var connectSeconds: Double?
        var calls: UInt64?
        var callsByStatus: [String: UInt64]?
        var meanLatencyMs: Double?
        var maxLatencyMs: Double?
        var lastSeen: Date?

        /// The counters that mean something for `dimension`.
        init(_ c: UsageCounters, _ dimension: UsageDimension) {
            switch dimension {
            case .property:
                messages = c.messages
            case .channel:
                messages = c.messages
                bytes = c.bytes
                subscriptions = c.subscriptions
            case .route:
                calls = c.calls
                callsByStatus = ["2xx": c.calls2xx, "3xx": c.calls3xx, "4xx": c.calls4xx, "5xx": c.calls5xx]
                meanLatencyMs = c.calls == 0 ? 0 : Double(c.latencySumNanoseconds) / Double(c.calls) / 1e6
                maxLatencyMs = Double(c.latencyMaxNanoseconds) / 1e6
            case .user:
                messages = c.messages
                bytes = c.bytes
                subscriptions = c.subscriptions
                sessions = c.sessions
                connectSeconds = (c.connectSeconds * 1000).rounded() / 1000
                calls = c.calls
                lastSeen = c.lastSeen > 0 ? Date(timeIntervalSince1970: Double(c.lastSeen)) : nil
            }
        }
    }

    struct Entry: Encodable {
        let key: String
        /// The username of a local user (`user:<id>` keys).
        let username: String?
        /// Distinct callers behind the key (channel and route rows).
        let users: Int?
        let counters: Counters
    }

    struct Point: Encodable {
        let bucket: Date
        let counters: Counters
    }

    struct Answer: Encodable {
        let by: String
        let window: String
        let bucket: String
        let from: Date
        let to: Date
        let role: String?
        let user: String?
        /// Distinct keys in the window.
        let keys: Int
        let totals: Counters
        let top: [Entry]
        let trend: [Point]
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/analytics/usage", .scope("analytics:read"), doc: .usage) { [unowned self] req, _, respond in
            let q: (dimension: UsageDimension, window: Window, top: Int, role: String?, user: String?)
            do throws(HTTPError) {
                q = try Self.parse(req)
            } catch {
                return respond(error.response)
            }
            let to = clock.wallMilliseconds() / 1000
            let g = q.window.granularity
            // Whole buckets: the window's start bucket through the current one.
            let end = g.bucket(to) + g.seconds
            let query = UsageQuery(dimension: q.dimension, granularity: g, from: end - q.window.seconds, to: end, top: q.top, role: q.role)
            recorder.flush { [gateway] in
                gateway.run(respond) { store -> Answer in
                    var query = query
                    if let user = q.user { query.users = [try Self.usageName(user, store)] }
                    let a = try store.usage(query)
                    let names = q.dimension == .user ? try Self.usernames(a.top.map(\.key), store) : [:]
                    return Answer(
                        by: q.dimension.rawValue, window: q.window.rawValue, bucket: g.rawValue, from: Date(timeIntervalSince1970: Double(query.from)),
                        to: Date(timeIntervalSince1970: Double(query.to)), role: q.role, user: q.user, keys: a.keys,
                        totals: Counters(a.totals, q.dimension),
                        top: a.top.map {
                            Entry(
                                key: $0.key, username: q.dimension == .user ? names[$0.key] : nil,
                                users: q.dimension == .channel || q.dimension == .route ? $0.users : nil, counters: Counters($0.counters, q.dimension))
                        },
                        trend: a.trend.map { Point(bucket: Date(timeIntervalSince1970: Double($0.bucket)), counters: Counters($0.counters, q.dimension)) })
                } then: {
                    .json($0)
                }
            }
        }
    }

    static func parse(_ req: HTTPRequest) throws(HTTPError) -> (dimension: UsageDimension, window: Window, top: Int, role: String?, user: String?) {
        guard let by = req.queryItems["by"] else {
            throw HTTPError(400, "invalid_query", "by is required: one of property, channel, route, user", field: "by")
        }
        guard let dimension = UsageDimension(rawValue: by) else {
            throw HTTPError(400, "invalid_query", "by must be one of property, channel, route, user", field: "by")
        }
        guard let window = Window(rawValue: req.queryItems["window"] ?? "24h") else {
            throw HTTPError(400, "invalid_query", "window must be one of 1h, 24h, 7d, 30d", field: "window")
        }
        let top = try UsersAPI.intQuery(req, "top", default: 10, range: 1...1000)
        let role = req.queryItems["role"]
        if let role, role.isEmpty || role.utf8.count > 64 || role.contains(",") {
            throw HTTPError(400, "invalid_query", "role must be a role name", field: "role")
        }
        let user = req.queryItems["user"]
        if let user, user.isEmpty || user.utf8.count > 256 {
            throw HTTPError(400, "invalid_query", "user must be a username or a usage name (user:<id>, <issuer>:<subject>, anonymous)", field: "user")
        }
        if dimension == .property && user != nil {
            throw HTTPError(400, "invalid_query", "property usage is counted by role, not by user", field: "user")
        }
        return (dimension, window, top, role, user)
    }

    /// A username becomes `user:<id>`; usage names (`anonymous`, `user:7`, `issuer:subject`) stay.
    static func usageName(_ user: String, _ store: HubStore) throws -> String {
        if user == "anonymous" || user == "unauthenticated" || user.contains(":") { return user }
        guard let account = try store.user(named: user) else { throw HTTPError(404, "not_found", "no user '\(user.prefix(64))'", field: "user") }
        return "user:\(account.id)"
    }

    /// Usernames of the `user:<id>` keys among `keys`.
    static func usernames(_ keys: [String], _ store: HubStore) throws -> [String: String] {
        var out: [String: String] = [:]
        for key in keys where key.hasPrefix("user:") {
            if let id = Int64(key.dropFirst(5)), let account = try store.user(id: id) { out[key] = account.username }
        }
        return out
    }
}
