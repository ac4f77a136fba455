/// What a feed adapter asks its connection to do.
public enum FeedAction: Equatable, Sendable {
    /// Send this text frame to the venue.
    case send(String)
    /// Drop the connection and reconnect after backoff (stale feed, protocol violation).
    case reconnect(reason: String)
    /// GET this URL (a REST snapshot); the answer comes back through `fetched(tag:…)`.
    case fetch(url: String, tag: String)
}

/// The answer to a `.fetch`.
public enum FetchResult: Sendable, Equatable {
    case response(status: Int, body: [UInt8])
    case failed(String)
}

/// A venue's session rules and decoding, driven by its connection on the loop thread.
/// Implementations are pure state machines: time comes in as arguments.
public protocol FeedAdapter: AnyObject {
    /// The venue id used in channel names (`deribit`).
    var source: String { get }
    var status: FeedStatus { get }
    /// The socket opened: the first requests (heartbeat, auth, subscriptions).
    func connected(now: UInt64) -> [FeedAction]
    /// One complete text frame. Decoded events go to `emit` (the rest of the pipeline).
    func received(_ frame: UnsafeRawBufferPointer, now: UInt64, wallMicros: Int64, emit: (RawEvent) -> Void) -> [FeedAction]
    /// The socket closed or failed to open.
    func disconnected(now: UInt64, reason: String)
    /// Called periodically (about once a second): staleness and heartbeat checks.
    func timer(now: UInt64) -> [FeedAction]
    /// The answer to a `.fetch` this adapter asked for (adapters that fetch nothing keep the default).
    func fetched(tag: String, _ result: FetchResult, now: UInt64, wallMicros: Int64, emit: (RawEvent) -> Void) -> [FeedAction]
    /// Headers for the WebSocket handshake (a signed login), made fresh for each connection.
    func handshakeHeaders(wallMillis: Int64) throws -> [(String, String)]
}

extension FeedAdapter {
    public func handshakeHeaders(wallMillis: Int64) throws -> [(String, String)] { [] }

    public func fetched(tag: String, _ result: FetchResult, now: UInt64, wallMicros: Int64, emit: (RawEvent) -> Void) -> [FeedAction] { [] }
}
