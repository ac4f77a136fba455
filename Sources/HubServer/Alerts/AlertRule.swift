import Foundation
import HubCore

/// One alert rule: what is watched, the threshold, and how long it must hold before the alert
/// fires (`pending` until then). Rules come from `alerts.rules` and
/// `PUT /api/monitoring/alert-rules`.
public struct AlertRule: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A pipeline stage's p99 over the last minute above `threshold` seconds.
        case stageLatency
        /// A REST route's p99 (or every route's, without `route`) over the last minute above
        /// `threshold` seconds.
        case routeLatency
        /// The share of REST calls answered 5xx over the last minute above `threshold` (0–1).
        case errorRate
        /// Resident memory growing faster than `threshold` bytes per hour (over the last 5 minutes).
        case rssGrowth
        /// A source (or any, without `source`) not `live` — connecting, stale, degraded, down.
        case sourceNotLive
        /// The Redis history store down.
        case redisDown
        /// Slow-consumer closes in the last minute above `threshold`.
        case slowConsumers
    }

    public var name: String
    public var kind: Kind
    public var threshold: Double = 0
    /// How long the condition must hold before the alert fires.
    public var forSeconds: Double = 0
    public var stage: String?
    public var route: String?
    public var source: String?
    public var severity: String = "warning"
    public var description: String?

    public init(name: String, kind: Kind, threshold: Double = 0, forSeconds: Double = 0) {
        self.name = name
        self.kind = kind
        self.threshold = threshold
        self.forSeconds = forSeconds
    }

    enum Keys: String, CodingKey, CaseIterable { case name, kind, threshold, forSeconds, stage, route, source, severity, description }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(Kind.self, forKey: .kind)
        threshold = try c.value(.threshold, threshold)
        forSeconds = try c.value(.forSeconds, forSeconds)
        stage = try c.decodeIfPresent(String.self, forKey: .stage)
        route = try c.decodeIfPresent(String.self, forKey: .route)
        source = try c.decodeIfPresent(String.self, forKey: .source)
        severity = try c.value(.severity, severity)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        if let problem = check() { throw DecodingError.dataCorruptedError(forKey: problem.key, in: c, debugDescription: problem.message) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(threshold, forKey: .threshold)
        try c.encode(forSeconds, forKey: .forSeconds)
        try c.encodeIfPresent(stage, forKey: .stage)
        try c.encodeIfPresent(route, forKey: .route)
        try c.encodeIfPresent(source, forKey: .source)
        try c.encode(severity, forKey: .severity)
        try c.encodeIfPresent(description, forKey: .description)
    }

    /// A name two of `rules` share (a rule set needs unique names: each is a channel).
    static func repeatedName(in rules: [AlertRule]) -> String? {
        var seen: Set<String> = []
        return rules.first { !seen.insert($0.name).inserted }?.name
    }

    /// The first thing wrong with the rule, naming its key.
    func check() -> (key: Keys, message: String)? {
        // The name is the instrument of `alerts.hub.<name>`: channel-safe and short.
        if name.isEmpty || name.utf8.count > 64 || !name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }) {
            return (.name, "must be 1 to 64 characters of a-z, 0-9, '-' and '_'")
        }
        if !threshold.isFinite || threshold < 0 { return (.threshold, "must be a finite number, 0 or more") }
        if !forSeconds.isFinite || forSeconds < 0 || forSeconds > 86_400 { return (.forSeconds, "must be between 0 and 86400") }
        if kind == .errorRate && threshold > 1 { return (.threshold, "an error rate is between 0 and 1") }
        if kind == .stageLatency {
            guard let stage, StageLatency.Stage(rawValue: stage) != nil else {
                return (.stage, "must be one of \(StageLatency.Stage.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        } else if stage != nil {
            return (.stage, "only stageLatency rules name a stage")
        }
        if route != nil && kind != .routeLatency { return (.route, "only routeLatency rules name a route") }
        if source != nil && kind != .sourceNotLive { return (.source, "only sourceNotLive rules name a source") }
        if !["info", "warning", "critical"].contains(severity) { return (.severity, "must be info, warning or critical") }
        return nil
    }
}

extension HubConfig {
    /// `alerts:` — rules, how often they are evaluated, where transitions are POSTed.
    public struct Alerts: Sendable, Equatable {
        public var evaluateSeconds = 5.0
        public var rules: [AlertRule] = []
        public var webhooks: [Webhook] = []
        public init() {}

        /// A URL that receives every alert transition as a JSON POST.
        public struct Webhook: Sendable, Equatable {
            public var url = ""
            /// Extra request headers (an `Authorization` for the receiver, say).
            public var headers: [String: String] = [:]
            public var timeoutSeconds = 5.0
            /// Attempts per transition (exponential backoff with jitter between them).
            public var maxAttempts = 5
            public init() {}
        }
    }
}

extension HubConfig.Alerts: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case evaluateSeconds, rules, webhooks }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        evaluateSeconds = try c.value(.evaluateSeconds, evaluateSeconds)
        rules = try c.value(.rules, rules)
        webhooks = try c.value(.webhooks, webhooks)
        guard evaluateSeconds >= 0.1 && evaluateSeconds <= 3600 else {
            throw DecodingError.dataCorruptedError(forKey: .evaluateSeconds, in: c, debugDescription: "must be between 0.1 and 3600")
        }
        if let dup = AlertRule.repeatedName(in: rules) {
            throw DecodingError.dataCorruptedError(forKey: .rules, in: c, debugDescription: "two rules are named '\(dup)'")
        }
    }
}

extension HubConfig.Alerts.Webhook: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case url, headers, timeoutSeconds, maxAttempts }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        url = try c.decode(String.self, forKey: .url)
        headers = try c.value(.headers, headers)
        timeoutSeconds = try c.value(.timeoutSeconds, timeoutSeconds)
        maxAttempts = try c.value(.maxAttempts, maxAttempts)
        guard url.hasPrefix("http://") || url.hasPrefix("https://"), let parts = URLComponents(string: url), parts.host?.isEmpty == false else {
            throw DecodingError.dataCorruptedError(forKey: .url, in: c, debugDescription: "must be an http:// or https:// URL")
        }
        guard parts.user == nil && parts.password == nil else {
            throw DecodingError.dataCorruptedError(forKey: .url, in: c, debugDescription: "must not carry credentials: put them in headers (Authorization)")
        }
        guard maxAttempts >= 1 && maxAttempts <= 20 else {
            throw DecodingError.dataCorruptedError(forKey: .maxAttempts, in: c, debugDescription: "must be between 1 and 20")
        }
        guard timeoutSeconds > 0 && timeoutSeconds <= 60 else {
            throw DecodingError.dataCorruptedError(forKey: .timeoutSeconds, in: c, debugDescription: "must be between 0 and 60")
        }
    }
}
