/// A source's health as operators see it (`/healthz`, later `/api/streams`).
public struct FeedStatus: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable {
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
    /// Instruments not yet synchronised (a book waiting for its snapshot), by channel name.
    public var waiting: [String] = []

    public init() {}

    /// Counts a frame received at `now` and decodes it: the message, or nil with the failure
    /// counted in `decodeErrors` and kept in `lastError` (a bad frame is skipped, never fatal).
    public mutating func decode<Message>(frameAt now: UInt64, _ decode: () throws -> Message) -> Message? {
        messages += 1
        lastMessageAt = now
        do {
            return try decode()
        } catch {
            decodeErrors += 1
            lastError = "decode: \(error)"
            return nil
        }
    }
}
