import CWebSockets

/// One WebSocket connection (accepted by the server or opened as a client).
///
/// Threading: loop-confined; every method must be called on the loop thread.
public final class WebSocketConnection: @unchecked Sendable {
    public let isClient: Bool
    /// What the owner keeps per connection (a hub session, a feed).
    public var context: AnyObject?
    public internal(set) var remoteAddress = ""
    /// The request path and query of the handshake (server side).
    public internal(set) var path = ""
    public internal(set) var query = ""
    /// The `Authorization` header of the handshake (server side), if any.
    public internal(set) var authorization: String?
    /// The handshake's headers named in `LoopConfiguration.captureHeaders` (lower-case names).
    public internal(set) var headers: [String: String] = [:]

    unowned let loop: EventLoop
    let handler: WebSocketHandler
    var wsi: OpaquePointer?
    var assembly: [UInt8] = []
    var assemblyOverflow = false
    var pendingClose: (code: UInt16, reason: String)?
    var finished = false
    var extraHeaders: [(String, String)] = []
    /// permessage-deflate is active: frames are written from `ownFrame` (see `EventLoop.writable`).
    var usesDeflate = false
    /// The compressor's bound was applied (before its first write).
    var deflateBounded = false
    /// The client asked for `server_no_context_takeover`: a new compressor per message, each bounded.
    var deflateResetsEachMessage = false
    /// `server_max_window_bits` the client's offer asked for.
    var offeredServerWindowBits: Int?
    var ownFrame: FrameBuffer?
    /// Waiting in the loop's write queue (`EventLoop.flushWrites`).
    var writeQueued = false
    /// A close is under way that lws sequences itself (the peer's close frame, ours sent from a
    /// writable callback, a kill): nothing more is written outside a writable callback.
    var closing = false
    /// An HTTP/2 stream: its bytes go through the network connection's buffer and flow control,
    /// which only lws' own writable pass respects.
    var isStream = false
    var connectStrings: [UnsafeMutablePointer<CChar>] = []
    /// The close code and reason the peer sent, if it closed first.
    public internal(set) var peerCloseCode: UInt16?
    public internal(set) var peerCloseReason: String?

    init(loop: EventLoop, handler: WebSocketHandler, isClient: Bool) {
        self.loop = loop
        self.handler = handler
        self.isClient = isClient
    }

    public var isOpen: Bool { wsi != nil && !finished }

    /// Ask to write: the handler's `webSocketWritable` runs before the loop next waits (written
    /// at once, see `EventLoop.flushWrites`), or from a writable callback where lws must
    /// sequence the write itself.
    public func requestWritable() {
        guard let wsi, !finished else { return }
        if writesDirectly {
            if !writeQueued {
                writeQueued = true
                loop.queueWrite(self)
            }
        } else {
            lws_callback_on_writable(wsi)
        }
    }

    /// Whether a frame may go to the socket outside a writable callback. On an HTTP/1 connection
    /// lws 4.1.6 writes (and buffers what the socket does not take) the same way from anywhere on
    /// the loop thread; it needs its writable pass for a compressed frame it is still draining
    /// (permessage-deflate), a client handshake in progress, HTTP/2 streams and the closes this
    /// object knows of.
    var writesDirectly: Bool { !isClient && !usesDeflate && !isStream && pendingClose == nil && !closing }

    /// Close with `code` at the next writable callback; drop the socket if the peer does not
    /// take the close frame within the configured timeout.
    public func close(code: UInt16, reason: String) {
        guard let wsi, !finished, pendingClose == nil else { return }
        pendingClose = (code, reason)
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, loop.configuration.closeTimeoutSeconds)
        lws_callback_on_writable(wsi)
    }

    /// The owner will close through `WritableResult.close`; drop the socket if that has not
    /// happened within the configured timeout (a peer that does not read).
    public func setCloseDeadline() {
        guard let wsi, !finished else { return }
        lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, loop.configuration.closeTimeoutSeconds)
    }

    /// Drop the connection without a close frame.
    public func kill() {
        guard let wsi, !finished else { return }
        closing = true
        _ = shim_kill_async(wsi)
        // lws acts on the kill from its timer list, which libuv re-arms only after an lws event:
        // this is one (the kill may come from outside any lws callback, e.g. `flushWrites`).
        if let ctx = loop.context { lws_cancel_service(ctx) }
    }

    /// Stop (or resume) reading from the socket: backpressure towards the peer.
    public func setReceiving(_ on: Bool) {
        guard let wsi, !finished else { return }
        lws_rx_flow_control(wsi, on ? 1 : 0)
    }
}
