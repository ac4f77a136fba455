import HubCore
import HubStore

extension HubConfig {
    /// `metrics:` — who may scrape `GET /metrics` and which labels it carries.
    public struct Metrics: Sendable, Equatable {
        /// A bearer token scrapers may send instead of a user token (`${STREAMHUB_METRICS_TOKEN}`);
        /// empty: only callers with the `monitoring:read` scope.
        public var token = ""
        /// Answer scrapes from loopback addresses without a token.
        public var loopbackOpen = false
        /// Per-channel series (`streamhub_channel_…{channel}`): off by default (unbounded names).
        public var channelLabels = false
        /// With `channelLabels`, the most channels named; the rest are summed as `channel="other"`.
        public var maxChannelLabels = 200
        public init() {}
    }

    /// `usage:` — usage analytics (`GET /api/analytics/usage`).
    public struct Usage: Sendable, Equatable {
        public var enabled = true
        /// Seconds between roll-ups into the store.
        public var flushSeconds = 60.0
        public var retention = UsageRetention()
        public init() {}
    }
}

extension HubConfig.Metrics: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case token, loopbackOpen, channelLabels, maxChannelLabels }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        token = try c.value(.token, token)
        loopbackOpen = try c.value(.loopbackOpen, loopbackOpen)
        channelLabels = try c.value(.channelLabels, channelLabels)
        maxChannelLabels = try c.value(.maxChannelLabels, maxChannelLabels)
        guard maxChannelLabels >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: .maxChannelLabels, in: c, debugDescription: "must be 0 or more")
        }
        guard token.isEmpty || token.utf8.count >= 16 else {
            throw DecodingError.dataCorruptedError(forKey: .token, in: c, debugDescription: "a metrics token needs at least 16 characters")
        }
    }
}

extension HubConfig.Usage: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case enabled, flushSeconds, retention }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        enabled = try c.value(.enabled, enabled)
        flushSeconds = try c.value(.flushSeconds, flushSeconds)
        retention = try c.value(.retention, retention)
        guard flushSeconds >= 1 && flushSeconds <= 3600 else {
            throw DecodingError.dataCorruptedError(forKey: .flushSeconds, in: c, debugDescription: "must be between 1 and 3600")
        }
    }
}

extension UsageRetention: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case minuteHours, hourDays, dayDays }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        minuteHours = try c.value(.minuteHours, minuteHours)
        hourDays = try c.value(.hourDays, hourDays)
        dayDays = try c.value(.dayDays, dayDays)
        // Each window reads one granularity: 1h from minutes, 7d from hours, 30d from days.
        if minuteHours < 1 { throw DecodingError.dataCorruptedError(forKey: .minuteHours, in: c, debugDescription: "must be at least 1 (the 1h window)") }
        if hourDays < 7 { throw DecodingError.dataCorruptedError(forKey: .hourDays, in: c, debugDescription: "must be at least 7 (the 7d window)") }
        if dayDays < 30 { throw DecodingError.dataCorruptedError(forKey: .dayDays, in: c, debugDescription: "must be at least 30 (the 30d window)") }
    }
}
