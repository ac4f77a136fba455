/// How an `EventLoop`'s libwebsockets context is set up.
public struct LoopConfiguration: Sendable {
    /// Listening socket; nil for a client-only context (venue feeds, load generators).
    public var listen: Listen?
    /// Directory served at `/` (static files); nil serves none.
    public var staticRoot: String?
    /// More directories served under their own prefixes (`/vendor/chart.js` → a Debian package's
    /// files): mounted before `/`.
    public var staticMounts: [(prefix: String, directory: String)] = []
    /// Path prefixes answered by the `HTTPHandler` (`/healthz`, `/api`).
    public var dynamicPrefixes: [String] = []
    /// The only path on which WebSocket upgrades are accepted.
    public var webSocketPath = "/ws"
    /// Largest WebSocket message received from a peer; larger ones are reported as `.tooBig`.
    public var maxMessageBytes = 64 * 1024
    /// Largest WebSocket message received by a client connection (a venue feed); larger ones
    /// are reported as `.tooBig`.
    public var maxClientMessageBytes = 64 << 20
    /// Largest HTTP request body; larger ones are answered 413.
    public var maxBodyBytes = 1 << 20
    /// Offer permessage-deflate (RFC 7692) to clients that ask for it.
    public var permessageDeflate = true
    /// The server's compressor per connection: window 2^bits (8–15) and zlib memory level (1–9);
    /// it takes about 2^(bits+2) + 2^(level+9) bytes (see `BoundedDeflate`).
    public var deflateWindowBits = 15
    public var deflateMemoryLevel = 8
    /// Seconds a closing connection may take to read its close frame before it is dropped.
    public var closeTimeoutSeconds: Int32 = 5
    /// File descriptors the context may use (connections + listeners + pipes).
    public var maxConnections: UInt32 = 70_000
    /// Verify TLS certificates of client connections against the system's CA store.
    public var clientTLS = true
    /// PEM CAs client connections trust besides the system's (a private server).
    public var clientCAFile: String?
    /// Serve TLS on the listening socket (`https://`, `wss://`); nil: plain.
    public var serverTLS: ServerTLS?
    /// The event library under the context: lws' own poll() loop, or libuv (epoll, through the
    /// Debian package's libwebsockets-evlib-uv plugin), which falls back to poll when the plugin
    /// cannot be loaded (`EventLoop.eventLibrary` says which one runs). poll by default here,
    /// for clients and tools; the hub's own default (`server.eventLoop`) is libuv. On libuv every
    /// write that waits for a writable callback costs two or three `epoll_ctl` calls (lws turns
    /// write interest on and off), which is why frames are written before the loop waits
    /// (`flushWrites`) wherever lws allows it (docs/performance.md).
    public var eventLibrary = EventLibrary.poll
    /// Non-standard handshake headers (lower case, e.g. `kalshi-access-key`) kept in
    /// `WebSocketConnection.headers` for the handler (a venue simulator checking a login).
    public var captureHeaders: [String] = []

    /// The listener's certificate and key (PEM files), and optionally the CAs whose client
    /// certificates are required (mutual TLS).
    public struct ServerTLS: Sendable, Equatable {
        public var certFile: String
        public var keyFile: String
        public var clientCAFile: String?
        public init(certFile: String, keyFile: String, clientCAFile: String? = nil) {
            self.certFile = certFile
            self.keyFile = keyFile
            self.clientCAFile = clientCAFile
        }
    }

    /// How the loop waits for its sockets.
    public enum EventLibrary: String, Sendable, CaseIterable {
        /// epoll through libuv: each iteration costs what is ready, not every descriptor.
        case libuv
        /// poll(): a pass over every descriptor on each iteration.
        case poll
    }

    public struct Listen: Sendable {
        public var host: String
        /// 0 lets the OS choose; `EventLoop.port` tells which.
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public init(listen: Listen? = nil) {
        self.listen = listen
    }
}
