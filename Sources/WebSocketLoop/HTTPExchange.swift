import CWebSockets

/// The lws side of one HTTP connection: collects a request (headers, then body), hands it to
/// the `HTTPHandler`, and writes the response — headers in one writable callback, the body in
/// the following ones — then completes the transaction so keep-alive continues.
///
/// Threading: loop-confined.
final class HTTPExchange {
    unowned let loop: EventLoop
    var wsi: OpaquePointer?
    var request = HTTPRequest(method: "GET", path: "/")
    var expectingBody = false
    var bodyTooLarge = false
    var response: HTTPResponse?
    var headersSent = false
    var bodyOffset = 0
    var responder: HTTPResponder?

    init(loop: EventLoop, wsi: OpaquePointer) {
        self.loop = loop
        self.wsi = wsi
    }

    /// A new request on this connection (LWS_CALLBACK_HTTP).
    func begin() {
        guard let wsi else { return }
        response = nil
        headersSent = false
        bodyOffset = 0
        bodyTooLarge = false
        responder = HTTPResponder(exchange: self)
        // The full path without the query, whatever the mount (`in` is relative for some methods).
        var uri: UnsafeMutablePointer<CChar>?
        var uriLength: Int32 = 0
        let methodIndex = lws_http_get_uri_and_method(wsi, &uri, &uriLength)
        let names = ["GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE", "CONNECT", "HEAD"]
        let method = methodIndex >= 0 && Int(methodIndex) < names.count ? names[Int(methodIndex)] : "UNKNOWN"
        let path = uri.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: Int(max(0, uriLength))), as: UTF8.self) } ?? "/"
        var headers: [String: String] = [:]
        for (token, name) in [
            (WSI_TOKEN_HTTP_AUTHORIZATION, "authorization"), (WSI_TOKEN_HTTP_CONTENT_TYPE, "content-type"),
            (WSI_TOKEN_HTTP_CONTENT_LENGTH, "content-length"), (WSI_TOKEN_HTTP_ACCEPT, "accept"),
            (WSI_TOKEN_HOST, "host"), (WSI_TOKEN_HTTP_USER_AGENT, "user-agent"), (WSI_TOKEN_X_FORWARDED_FOR, "x-forwarded-for"),
        ] {
            if let v = header(token) { headers[name] = v }
        }
        let arguments = queryArguments()
        request = HTTPRequest(
            method: method, path: path, query: arguments.joined(separator: "&"), headers: headers, body: [],
            remoteAddress: peerAddress(wsi))
        for a in arguments {
            let kv = a.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            request.queryItems[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        // Whatever the method, a request with a body is answered once the body is read: an
        // answer before it leaves libwebsockets reading a body of a finished transaction (it
        // then calls BODY_COMPLETION for ever on that connection).
        expectingBody = length > 0
        if length > loop.configuration.maxBodyBytes {
            bodyTooLarge = true
        }
        if !expectingBody { dispatch() }
    }

    func appendBody(_ chunk: UnsafeRawBufferPointer) {
        guard !bodyTooLarge else { return }
        if request.body.count + chunk.count > loop.configuration.maxBodyBytes {
            bodyTooLarge = true
            request.body = []
            return
        }
        request.body.append(contentsOf: chunk)
    }

    func bodyComplete() {
        guard expectingBody else { return }
        expectingBody = false
        dispatch()
    }

    private func dispatch() {
        if bodyTooLarge {
            respond(
                HTTPResponse(
                    status: 413,
                    body: Array(
                        "{\"error\":{\"code\":\"payload_too_large\",\"message\":\"request body exceeds \(loop.configuration.maxBodyBytes) bytes\"}}".utf8)))
            return
        }
        guard let handler = loop.httpHandler, let responder else {
            respond(HTTPResponse(status: 503, body: Array("{\"error\":{\"code\":\"unavailable\",\"message\":\"no handler\"}}".utf8)))
            return
        }
        handler.handle(request, respond: responder)
    }

    func respond(_ r: HTTPResponse) {
        guard response == nil, let wsi else { return }
        response = r
        lws_callback_on_writable(wsi)
    }

    /// Returns -1 to close the connection, 0 to keep it.
    func writable() -> Int32 {
        guard let wsi, let r = response else { return 0 }
        if !headersSent {
            headersSent = true
            var buf = [UInt8](repeating: 0, count: Int(shim_lws_pre) + 4096)
            return buf.withUnsafeMutableBufferPointer { b -> Int32 in
                let start = b.baseAddress! + Int(shim_lws_pre)
                var p: UnsafeMutablePointer<UInt8>? = start
                let end = b.baseAddress! + b.count - 1
                let type = r.contentType
                if lws_add_http_common_headers(wsi, UInt32(r.status), type, lws_filepos_t(r.body.count), &p, end) != 0 {
                    return -1
                }
                for (name, value) in r.headers + [("cache-control", "no-store")] {
                    let n = name.lowercased() + ":"
                    if lws_add_http_header_by_name(wsi, n, value, Int32(value.utf8.count), &p, end) != 0 { return -1 }
                }
                if lws_finalize_write_http_header(wsi, start, &p, end) != 0 { return -1 }
                if r.body.isEmpty || request.method == "HEAD" { return complete() }
                lws_callback_on_writable(wsi)
                return 0
            }
        }
        let chunk = min(r.body.count - bodyOffset, 32 * 1024)
        let last = bodyOffset + chunk >= r.body.count
        loop.frame.reset()
        loop.frame.append(r.body[bodyOffset..<(bodyOffset + chunk)])
        let headroom = loop.frame.headroom
        let n = loop.frame.bytes.withUnsafeMutableBufferPointer { b in
            lws_write(wsi, b.baseAddress! + headroom, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP)
        }
        if n < chunk { return -1 }
        bodyOffset += chunk
        if last { return complete() }
        lws_callback_on_writable(wsi)
        return 0
    }

    private func complete() -> Int32 {
        guard let wsi else { return -1 }
        response = nil
        return lws_http_transaction_completed(wsi) != 0 ? -1 : 0
    }

    private func header(_ token: lws_token_indexes) -> String? {
        guard let wsi else { return nil }
        let len = Int(lws_hdr_total_length(wsi, token))
        guard len > 0 else { return nil }
        var buf = [CChar](repeating: 0, count: len + 1)
        guard lws_hdr_copy(wsi, &buf, Int32(len + 1), token) >= 0 else { return nil }
        return string(fromC: buf)
    }

    /// lws keeps each query argument as a decoded fragment (`name=value`).
    private func queryArguments() -> [String] {
        guard let wsi else { return [] }
        var parts: [String] = []
        var buf = [CChar](repeating: 0, count: 4096)
        var idx: Int32 = 0
        while lws_hdr_copy_fragment(wsi, &buf, Int32(buf.count), WSI_TOKEN_HTTP_URI_ARGS, idx) > 0 {
            parts.append(string(fromC: buf))
            idx += 1
        }
        return parts
    }
}

func peerAddress(_ wsi: OpaquePointer) -> String {
    var buf = [CChar](repeating: 0, count: 128)
    guard lws_get_peer_simple(wsi, &buf, buf.count) != nil else { return "" }
    return string(fromC: buf)
}
