/// Limits of the serving stage. Defaults are sized for thousands of connections on one core.
public struct ServeConfig: Sendable, Equatable {
    /// Publications kept per state channel (ticker, book…): recent history for recovery.
    public var stateRingSize = 64
    /// Publications kept per event channel (trades…): a subscriber further behind is closed.
    public var eventRingSize = 1024
    /// Most bytes one WebSocket frame carries when a client has a backlog (messages joined by \n).
    /// Past saturation a larger budget means fewer sends (docs/performance.md, "fan-out at
    /// saturation"); 64 KiB bounds what a partly written frame leaves lws to buffer per connection.
    public var frameBytes = 64 * 1024
    /// A subscriber whose backlog on an event channel exceeds this is closed as a slow consumer.
    public var maxPendingBytes = 4 * 1024 * 1024
    /// A state-channel cursor further behind than this jumps to the newest publication.
    public var conflateBytes = 256 * 1024
    /// Replies and pushes waiting for a client that does not read; beyond it, slow consumer.
    public var maxControlBytes = 1024 * 1024
    /// Largest client message accepted; larger ones close the connection with 4009.
    public var maxMessageBytes = 64 * 1024
    /// Subscriptions per connection.
    public var maxSubscriptions = 1024
    /// Subscriptions across every connection of one client address (0: no limit).
    public var maxSubscriptionsPerAddress = 10_000
    /// Bad requests answered on one connection before it is closed with 4000.
    public var maxProtocolErrors = 100
    /// Recovery (`since`) reaches back at most this far in time (seconds; 0: no limit).
    public var historyMaxAgeSeconds: Double = 3600
    /// Recovery delivers at most this many missed publications; beyond, a fresh snapshot.
    public var maxRecoverMessages = 10_000
    /// Recoveries from the history store in flight at once, per session and across the hub;
    /// beyond either, `recovered: false` with a snapshot (a flood of `since` requests cannot
    /// keep the store busy for everyone).
    public var maxRecoveriesPerSession = 8
    public var maxRecoveries = 256
    /// Publications kept per channel in memory beyond the ring, for recovery, when Redis is
    /// not configured (0: the rings only — the embedded default).
    public var memoryHistoryLength = 0

    public init() {}
}
