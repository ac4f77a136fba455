import CWebSockets
import Foundation

/// The answer to an HTTP request made with `EventLoop.fetch`.
public struct HTTPClientResponse: Sendable {
    public let status: Int
    public let body: [UInt8]
}

/// One outgoing HTTP request on the loop (a REST snapshot a feed needs, such as Binance's
/// order-book depth), read into memory up to a size limit.
///
/// Threading: loop-confined.
final class HTTPClientRequest {
    let completion: (Result<HTTPClientResponse, LoopError>) -> Void
    let maxBytes: Int
    let headers: [(String, String)]
    /// The request body (POST, PUT), sent in one write once lws may write.
    let requestBody: [UInt8]?
    var bodySent = false
    var status = 0
    var body: [UInt8] = []
    var finished = false
    var wsi: OpaquePointer?
    var strings: [UnsafeMutablePointer<CChar>] = []
    var deadline: LoopTimer?

    init(headers: [(String, String)], body: [UInt8]?, maxBytes: Int, completion: @escaping (Result<HTTPClientResponse, LoopError>) -> Void) {
        self.headers = headers
        self.requestBody = body
        self.maxBytes = maxBytes
        self.completion = completion
    }

    func keep(_ s: String) -> UnsafeMutablePointer<CChar> {
        let p = strdup(s)!
        strings.append(p)
        return p
    }

    /// Completes once (later calls are ignored) and lets lws drop the connection.
    func finish(_ result: Result<HTTPClientResponse, LoopError>) {
        guard !finished else { return }
        finished = true
        deadline?.cancel()
        deadline = nil
        if case .failure = result, let wsi { lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC) }
        completion(result)
    }

    deinit {
        for p in strings { free(p) }
    }
}

extension EventLoop {
    /// Requests `url` (`http://` or `https://`; GET, or `method` with `body`) and calls
    /// `completion` on the loop thread with the status and body, or an error (connection
    /// failure, body over `maxBytes`, no answer within `timeout` seconds). Call on the loop thread.
    public func fetch(
        _ url: String, method: String = "GET", headers: [(String, String)] = [], body: [UInt8]? = nil, timeout: Double = 10,
        maxBytes: Int = 32 << 20, completion: @escaping (Result<HTTPClientResponse, LoopError>) -> Void
    ) {
        let parsed: WebSocketURL
        // Errors name the URL without credentials or query (tokens travel there).
        let shown = WebSocketURL.redacted(url)
        do {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw LoopError.invalidURL(shown) }
            parsed = try WebSocketURL(parsing: url.replacingOccurrences(of: "http", with: "ws", options: .anchored))
        } catch {
            return completion(.failure(.invalidURL(shown)))
        }
        let r = HTTPClientRequest(headers: headers, body: body, maxBytes: maxBytes, completion: completion)
        guard let ctx = context else { return completion(.failure(.invalidURL("loop is not running"))) }
        httpClients[ObjectIdentifier(r)] = r
        var ci = lws_client_connect_info()
        ci.context = ctx
        ci.address = UnsafePointer(r.keep(parsed.host))
        ci.port = Int32(parsed.port)
        ci.path = UnsafePointer(r.keep(parsed.path))
        ci.host = ci.address
        ci.origin = ci.address
        ci.method = UnsafePointer(r.keep(method))
        ci.local_protocol_name = UnsafePointer(r.keep("streamhub-client"))
        if parsed.secure { ci.ssl_connection = Int32(LCCSCF_USE_SSL.rawValue) }
        ci.opaque_user_data = Unmanaged.passUnretained(r).toOpaque()
        r.deadline = schedule(after: timeout) { [weak self, weak r] in
            guard let r else { return }
            r.finish(.failure(.requestFailed("\(shown): no answer within \(timeout) s")))
            self?.release(r)
        }
        r.wsi = lws_client_connect_via_info(&ci)
        if r.wsi == nil {
            release(r)
            r.finish(.failure(.requestFailed("cannot connect to \(parsed.host):\(parsed.port)")))
        }
    }

    /// Forgets a request: lws' connection no longer points at it.
    func release(_ r: HTTPClientRequest) {
        if let wsi = r.wsi { lws_set_opaque_user_data(wsi, nil) }
        r.wsi = nil
        httpClients[ObjectIdentifier(r)] = nil
    }

    /// lws' client HTTP callbacks for a request made by `fetch`.
    func httpClientEvent(_ r: HTTPClientRequest, _ reason: lws_callback_reasons, _ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
        switch reason {
        case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
            guard let input else { return 0 }
            let pp = input.assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self)
            guard let start = pp.pointee else { return -1 }
            let end = start + len
            for (name, value) in r.headers where lws_add_http_header_by_name(wsi, name.lowercased() + ":", value, Int32(value.utf8.count), pp, end) != 0 {
                return -1
            }
            // After a redirect to GET (303) lws sends the headers again: no body then.
            if let body = r.requestBody, lws_http_is_redirected_to_get(wsi) == 0 {
                if lws_add_http_header_content_length(wsi, lws_filepos_t(body.count), pp, end) != 0 { return -1 }
                // The body goes out from CLIENT_HTTP_WRITEABLE once the headers are sent.
                lws_client_http_body_pending(wsi, 1)
                lws_callback_on_writable(wsi)
            }
        case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
            guard let body = r.requestBody, !r.bodySent, lws_http_is_redirected_to_get(wsi) == 0 else { return 0 }
            r.bodySent = true
            var buffer = [UInt8](repeating: 0, count: Int(shim_lws_pre) + body.count)
            buffer.replaceSubrange(Int(shim_lws_pre)..., with: body)
            let written = buffer.withUnsafeMutableBufferPointer { b in
                lws_write(wsi, b.baseAddress! + Int(shim_lws_pre), body.count, LWS_WRITE_HTTP_FINAL)
            }
            lws_client_http_body_pending(wsi, 0)
            return written < 0 ? -1 : 0
        case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
            r.status = Int(lws_http_client_http_response(wsi))
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP:
            // lws hands the body over in RECEIVE_CLIENT_HTTP_READ from inside this read.
            var buffer = [CChar](repeating: 0, count: 4096 + Int(shim_lws_pre))
            return buffer.withUnsafeMutableBufferPointer { b -> Int32 in
                var p: UnsafeMutablePointer<CChar>? = b.baseAddress! + Int(shim_lws_pre)
                var n = Int32(4096)
                return lws_http_client_read(wsi, &p, &n) < 0 ? -1 : 0
            }
        case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
            guard !r.finished, let input else { return 0 }
            if r.body.count + len > r.maxBytes {
                r.finish(.failure(.requestFailed("response body exceeds \(r.maxBytes) bytes")))
                return -1
            }
            r.body.append(contentsOf: UnsafeRawBufferPointer(start: input, count: len))
        case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
            r.finish(.success(HTTPClientResponse(status: r.status, body: r.body)))
            // Done with this connection: have lws close it (CLOSED_CLIENT_HTTP releases it).
            lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC)
        case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
            let why = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "connection error"
            r.finish(.failure(.requestFailed(why)))
            release(r)
        case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
            r.finish(.failure(.requestFailed("connection closed before the response was complete")))
            release(r)
        default:
            break
        }
        return 0
    }
}
