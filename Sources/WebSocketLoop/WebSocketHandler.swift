/// Receives a WebSocket connection's events on the loop thread.
public protocol WebSocketHandler: AnyObject {
    /// The handshake completed.
    func webSocketOpened(_ connection: WebSocketConnection)
    /// A complete message (fragments already joined), or notice that one was too large.
    func webSocketReceived(_ connection: WebSocketConnection, _ message: IncomingMessage)
    /// The socket can take one frame: append its payload to `frame` and say what to do.
    func webSocketWritable(_ connection: WebSocketConnection, frame: inout FrameBuffer) -> WritableResult
    /// The connection is gone (or never opened, for clients: `error` says why).
    func webSocketClosed(_ connection: WebSocketConnection, error: String?)
}

/// A message from the peer. The bytes are borrowed for the duration of the call.
public enum IncomingMessage {
    case text(UnsafeRawBufferPointer)
    case binary(UnsafeRawBufferPointer)
    /// The message exceeded `LoopConfiguration.maxMessageBytes` (its size so far).
    case tooBig(Int)
}

/// The answer to a writable callback (libwebsockets allows one write per callback).
public enum WritableResult: Equatable, Sendable {
    /// Nothing written.
    case idle
    /// `frame` holds one text frame; `more` asks for another writable callback.
    case text(more: Bool)
    /// `frame` holds one binary frame.
    case binary(more: Bool)
    /// Send a close frame with this code and reason, then drop the connection.
    case close(code: UInt16, reason: String)
}

/// One reusable frame buffer with libwebsockets' headroom (`LWS_PRE`) in front of the payload.
public struct FrameBuffer {
    public internal(set) var bytes: [UInt8]
    let headroom: Int

    init(headroom: Int, capacity: Int) {
        self.headroom = headroom
        bytes = [UInt8](repeating: 0, count: headroom)
        bytes.reserveCapacity(headroom + capacity)
    }

    public var payloadCount: Int { bytes.count - headroom }
    public mutating func append(_ b: some Sequence<UInt8>) { bytes.append(contentsOf: b) }
    public mutating func append(string s: String) { bytes.append(contentsOf: s.utf8) }

    /// Appends through direct access to the byte array (serialisers that write in place).
    public mutating func appending<R>(_ body: (inout [UInt8]) -> R) -> R { body(&bytes) }

    mutating func reset() { bytes.removeSubrange(headroom...) }
}
