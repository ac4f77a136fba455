/// A source's health as operators see it (`/healthz`, later `/api/streams`).
public struct FeedStatus: Sendable, Equatable {
    public enum State: String, Sendable {
        /// Opening the socket or waiting for subscriptions to be acknowledged.
        case connecting
        /// Subscribed and receiving.
        case live
        /// Connected but some data is being resynchronised (after a gap) or is stale.
        case degraded
        /// Not connected; a reconnect is scheduled.
        case down
    }

    public var state: State = .down
    public var messages: UInt64 = 0
    public var events: UInt64 = 0
    public var reconnects: UInt64 = 0
    public var gaps: UInt64 = 0
    public var resyncs: UInt64 = 0
    public var decodeErrors: UInt64 = 0
    public var heartbeats: UInt64 = 0
    /// Monotonic nanoseconds of the last frame received (0: never).
    public var lastMessageAt: UInt64 = 0
    public var lastError: String?

    public init() {}
}
