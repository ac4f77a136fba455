import CWebSockets

#if canImport(Glibc)
import Glibc
#endif

/// A `ws://` or `wss://` URL split the way `lws_client_connect_info` wants it.
public struct WebSocketURL: Equatable, Sendable {
    public let secure: Bool
    public let host: String
    public let port: Int
    /// Path and query, starting with `/`.
    public let path: String

    /// Errors show the URL without credentials or query (`wss://***@host/path?…`).
    public init(parsing text: String) throws(LoopError) {
        let shown = Self.redacted(text)
        let secure: Bool
        var rest: Substring
        if text.hasPrefix("wss://") {
            secure = true
            rest = text.dropFirst(6)
        } else if text.hasPrefix("ws://") {
            secure = false
            rest = text.dropFirst(5)
        } else {
            throw .invalidURL("\(shown) (expected ws:// or wss://)")
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<slash]
        path = slash == rest.endIndex ? "/" : String(rest[slash...])
        rest = authority
        guard !rest.isEmpty else { throw .invalidURL("\(shown) (no host)") }
        if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                throw .invalidURL("\(shown) (bad port)")
            }
            host = String(rest[..<colon])
            port = p
        } else {
            host = String(rest)
            port = secure ? 443 : 80
        }
        guard !host.isEmpty else { throw .invalidURL("\(shown) (no host)") }
        self.secure = secure
    }

    /// `text` with any credentials (`user:pass@`) and query (tokens travel there) blanked.
    public static func redacted(_ text: String) -> String {
        var t = Substring(text)
        var query = ""
        if let q = t.firstIndex(of: "?") {
            t = t[..<q]
            query = "?…"
        }
        if let scheme = t.range(of: "://"), let at = t[scheme.upperBound...].firstIndex(of: "@") {
            t = t[..<scheme.upperBound] + "***" + t[at...]
        }
        return String(t) + query
    }
}

extension EventLoop {
    /// Opens a client WebSocket to `url`. The handler gets `webSocketOpened`, or
    /// `webSocketClosed(error:)` when the connection fails. Call on the loop thread.
    @discardableResult
    public func connect(to url: WebSocketURL, headers: [(String, String)] = [], handler: WebSocketHandler) -> WebSocketConnection {
        let c = WebSocketConnection(loop: self, handler: handler, isClient: true)
        c.extraHeaders = headers
        clients[ObjectIdentifier(c)] = c
        guard let ctx = context else {
            finishClient(c, error: "loop is not running")
            return c
        }
        var ci = lws_client_connect_info()
        ci.context = ctx
        ci.address = UnsafePointer(c.keep(url.host))
        ci.port = Int32(url.port)
        ci.path = UnsafePointer(c.keep(url.path))
        ci.host = ci.address
        ci.origin = ci.address
        ci.local_protocol_name = UnsafePointer(c.keep("streamhub-client"))
        ci.ietf_version_or_minus_one = -1
        if url.secure { ci.ssl_connection = Int32(LCCSCF_USE_SSL.rawValue) }
        ci.opaque_user_data = Unmanaged.passUnretained(c).toOpaque()
        c.remoteAddress = "\(url.host):\(url.port)"
        if lws_client_connect_via_info(&ci) == nil {
            finishClient(c, error: "cannot connect to \(url.host):\(url.port)")
        }
        return c
    }
}

extension WebSocketConnection {
    func keep(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        connectStrings.append(p)
        return p
    }

    func releaseConnectStrings() {
        for p in connectStrings { free(p) }
        connectStrings.removeAll()
    }

    /// Adds `extraHeaders` to the client handshake (`in` points at lws' write cursor).
    func appendHeaders(_ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer, _ len: Int) -> Int32 {
        let pp = input.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
        guard let start = pp.pointee else { return -1 }
        let end = start + len
        for (name, value) in extraHeaders {
            let n = name.lowercased() + ":"
            if lws_add_http_header_by_name(wsi, n, value, Int32(value.utf8.count), pp, end) != 0 { return -1 }
        }
        return 0
    }

    /// The peer's close frame: a big-endian code and an optional reason.
    func peerClose(_ input: UnsafeMutableRawPointer?, _ len: Int) {
        closing = true
        guard let input, len >= 2 else { return }
        let b = input.assumingMemoryBound(to: UInt8.self)
        peerCloseCode = UInt16(b[0]) << 8 | UInt16(b[1])
        peerCloseReason = String(decoding: UnsafeBufferPointer(start: b + 2, count: len - 2), as: UTF8.self)
    }
}
