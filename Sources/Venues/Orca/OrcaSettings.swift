import HubCore

/// `feeds.orca`: the ORCA odds stream (`orca.v1`, docs/feeds/orca.md).
public struct OrcaSettings: VenueSettings {
    public var enabled = false
    public var simulate = false
    public var url = "wss://stream.orca.example/orca/v1/stream"
    public var feed = OrcaFeedConfig()
    public var simulatorStepMilliseconds = 100
    public var simulatorHeartbeatMs = 5000
    public init() {}

    enum Keys: String, CodingKey, CaseIterable { case enabled, simulate, url, streams, simulatorStepMilliseconds, simulatorHeartbeatMs }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        enabled = try c.value(.enabled, enabled)
        simulate = try c.value(.simulate, simulate)
        url = try c.value(.url, url)
        feed.streams = try c.value(.streams, feed.streams)
        simulatorStepMilliseconds = try c.value(.simulatorStepMilliseconds, simulatorStepMilliseconds)
        simulatorHeartbeatMs = try c.value(.simulatorHeartbeatMs, simulatorHeartbeatMs)
    }

    public func validate(_ check: ConfigCheck) throws(ConfigError) {
        if !simulate { try check.webSocketURL(url) }
        try check.require(!feed.streams.isEmpty, "streams", "list at least one stream")
        for (i, s) in feed.streams.enumerated() {
            try check.require(
                !s.isEmpty && s.count <= 32 && s.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }, "streams[\(i)]",
                "'\(s)' is not a stream name (letters, digits, _ and -)")
        }
        try check.simulatorStep(simulatorStepMilliseconds)
        try check.require((100...60_000).contains(simulatorHeartbeatMs), "simulatorHeartbeatMs", "must be between 100 and 60000")
    }
}
