import CWebSockets

/// The one C callback of every protocol: finds the Swift objects behind the wsi and dispatches.
/// Returning -1 closes the connection (lws convention).
func lwsCallback(
    _ wsi: OpaquePointer?, _ reason: lws_callback_reasons, _ user: UnsafeMutableRawPointer?,
    _ input: UnsafeMutableRawPointer?, _ len: Int
) -> Int32 {
    guard let wsi, let ctx = lws_get_context(wsi), let loopPtr = lws_context_user(ctx) else {
        return 0
    }
    let loop = Unmanaged<EventLoop>.fromOpaque(loopPtr).takeUnretainedValue()
    // Per-session storage of the server protocol holds one retained object pointer.
    let slot = user?.assumingMemoryBound(to: UnsafeMutableRawPointer?.self)

    switch reason {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        loop.drainQueue()

    // MARK: Server WebSocket
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return loop.acceptsUpgrade(wsi) ? 0 : 1
    case LWS_CALLBACK_ESTABLISHED:
        guard let slot, let handler = loop.webSocketHandler else { return -1 }
        if let old = slot.pointee { Unmanaged<AnyObject>.fromOpaque(old).release() }
        let c = WebSocketConnection(loop: loop, handler: handler, isClient: false)
        c.wsi = wsi
        c.remoteAddress = peerAddress(wsi)
        loop.readHandshake(wsi, into: c)
        let offer = loop.deflateOffer(wsi)
        c.usesDeflate = loop.configuration.permessageDeflate && offer != nil
        c.isStream = lws_get_network_wsi(wsi) != wsi
        c.offeredServerWindowBits = offer.flatMap(offeredServerWindowBits)
        if c.usesDeflate, let offer {
            c.deflateResetsEachMessage = offersServerNoContextTakeover(offer)
            applyContextTakeover(wsi, serverResets: c.deflateResetsEachMessage)
        }
        slot.pointee = Unmanaged.passRetained(c as AnyObject).toOpaque()
        handler.webSocketOpened(c)
    case LWS_CALLBACK_RECEIVE:
        guard let c = connection(slot) else { return -1 }
        return loop.receive(c, wsi, input, len)
    case LWS_CALLBACK_SERVER_WRITEABLE:
        guard let c = connection(slot) else { return 0 }
        return loop.writable(c, wsi)
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if let c = connection(slot) ?? clientConnection(wsi) { c.peerClose(input, len) }
    case LWS_CALLBACK_CLOSED:
        guard let slot, let p = slot.pointee else { return 0 }
        slot.pointee = nil
        let obj = Unmanaged<AnyObject>.fromOpaque(p).takeRetainedValue()
        if let c = obj as? WebSocketConnection, !c.finished {
            c.finished = true
            c.wsi = nil
            c.handler.webSocketClosed(c, error: nil)
        }

    // MARK: HTTP
    case LWS_CALLBACK_HTTP:
        guard let slot else { return -1 }
        let exchange: HTTPExchange
        if let p = slot.pointee, let e = Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as? HTTPExchange {
            exchange = e
        } else {
            exchange = HTTPExchange(loop: loop, wsi: wsi)
            slot.pointee = Unmanaged.passRetained(exchange as AnyObject).toOpaque()
        }
        exchange.begin()
    case LWS_CALLBACK_HTTP_BODY:
        if let e = exchange(slot), let input { e.appendBody(UnsafeRawBufferPointer(start: input, count: len)) }
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        exchange(slot)?.bodyComplete()
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return exchange(slot)?.writable() ?? 0
    case LWS_CALLBACK_CLOSED_HTTP:
        guard let slot, let p = slot.pointee else { return 0 }
        let obj = Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue()
        if let e = obj as? HTTPExchange {
            e.wsi = nil
            slot.pointee = nil
            Unmanaged<AnyObject>.fromOpaque(p).release()
        }

    // MARK: Client WebSocket (and client HTTP: `fetch`)
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP, LWS_CALLBACK_RECEIVE_CLIENT_HTTP, LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ,
        LWS_CALLBACK_COMPLETED_CLIENT_HTTP, LWS_CALLBACK_CLOSED_CLIENT_HTTP, LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
        guard let r = httpRequest(wsi) else { return reason == LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ ? -1 : 0 }
        return loop.httpClientEvent(r, reason, wsi, input, len)
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        if let r = httpRequest(wsi) { return loop.httpClientEvent(r, reason, wsi, input, len) }
        guard let c = clientConnection(wsi), let input else { return 0 }
        return c.appendHeaders(wsi, input, len)
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        guard let c = clientConnection(wsi) else { return -1 }
        c.wsi = wsi
        c.usesDeflate = loop.configuration.permessageDeflate
        c.handler.webSocketOpened(c)
    case LWS_CALLBACK_CLIENT_RECEIVE:
        guard let c = clientConnection(wsi) else { return -1 }
        return loop.receive(c, wsi, input, len)
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        guard let c = clientConnection(wsi) else { return 0 }
        return loop.writable(c, wsi)
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if let r = httpRequest(wsi) { return loop.httpClientEvent(r, reason, wsi, input, len) }
        guard let c = clientConnection(wsi) else { return 0 }
        let why = input.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "connection error"
        loop.finishClient(c, error: why)
    case LWS_CALLBACK_CLIENT_CLOSED:
        guard let c = clientConnection(wsi) else { return 0 }
        loop.finishClient(c, error: nil)

    default:
        // lws' own HTTP housekeeping for this protocol (static-file completion, keep-alive).
        return lws_callback_http_dummy(wsi, reason, user, input, len)
    }
    return 0
}

@inline(__always)
private func connection(_ slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> WebSocketConnection? {
    guard let p = slot?.pointee else { return nil }
    return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as? WebSocketConnection
}

@inline(__always)
private func exchange(_ slot: UnsafeMutablePointer<UnsafeMutableRawPointer?>?) -> HTTPExchange? {
    guard let p = slot?.pointee else { return nil }
    return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as? HTTPExchange
}

@inline(__always)
private func clientConnection(_ wsi: OpaquePointer) -> WebSocketConnection? {
    guard let p = lws_get_opaque_user_data(wsi) else { return nil }
    return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as? WebSocketConnection
}

@inline(__always)
private func httpRequest(_ wsi: OpaquePointer) -> HTTPClientRequest? {
    guard let p = lws_get_opaque_user_data(wsi) else { return nil }
    return Unmanaged<AnyObject>.fromOpaque(p).takeUnretainedValue() as? HTTPClientRequest
}

extension EventLoop {
    /// WebSocket upgrades are accepted on `webSocketPath` only.
    func acceptsUpgrade(_ wsi: OpaquePointer) -> Bool {
        let len = Int(lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI))
        guard len > 0 else { return false }
        var buf = [CChar](repeating: 0, count: len + 1)
        guard lws_hdr_copy(wsi, &buf, Int32(len + 1), WSI_TOKEN_GET_URI) >= 0 else { return false }
        guard string(fromC: buf) == configuration.webSocketPath else { return false }
        guard let upgradeFilter else { return true }
        switch upgradeFilter(UpgradeRequest(headers: capturedHeaders(wsi), authorization: authorization(wsi), remoteAddress: peerAddress(wsi))) {
        case .accept: return true
        case .refuse(let status, let message):
            // The answer is written now; refusing the upgrade then closes the connection.
            lws_return_http_status(wsi, UInt32(status), message)
            return false
        }
    }

    /// The `Authorization` header, sized to its length (a long token is never cut).
    func authorization(_ wsi: OpaquePointer) -> String? {
        let length = Int(lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_AUTHORIZATION))
        guard length > 0 else { return nil }
        var auth = [CChar](repeating: 0, count: length + 1)
        return lws_hdr_copy(wsi, &auth, Int32(auth.count), WSI_TOKEN_HTTP_AUTHORIZATION) > 0 ? string(fromC: auth) : nil
    }

    /// The handshake headers named in `captureHeaders` that are present.
    func capturedHeaders(_ wsi: OpaquePointer) -> [String: String] {
        var headers: [String: String] = [:]
        for name in configuration.captureHeaders.map({ $0.lowercased() }) {
            let key = name + ":"
            let length = Int(lws_hdr_custom_length(wsi, key, Int32(key.utf8.count)))
            guard length >= 0 else { continue }
            var value = [CChar](repeating: 0, count: length + 1)
            if lws_hdr_custom_copy(wsi, &value, Int32(value.count), key, Int32(key.utf8.count)) >= 0 { headers[name] = string(fromC: value) }
        }
        return headers
    }

    func readHandshake(_ wsi: OpaquePointer, into c: WebSocketConnection) {
        var buf = [CChar](repeating: 0, count: 4096)
        if lws_hdr_copy(wsi, &buf, Int32(buf.count), WSI_TOKEN_GET_URI) > 0 { c.path = string(fromC: buf) }
        c.authorization = authorization(wsi)
        var parts: [String] = []
        var idx: Int32 = 0
        while lws_hdr_copy_fragment(wsi, &buf, Int32(buf.count), WSI_TOKEN_HTTP_URI_ARGS, idx) > 0 {
            parts.append(string(fromC: buf))
            idx += 1
        }
        c.query = parts.joined(separator: "&")
        if !configuration.captureHeaders.isEmpty { c.headers = capturedHeaders(wsi) }
    }

    /// Joins fragments into whole messages (bounded by `maxMessageBytes`) and hands them over.
    func receive(_ c: WebSocketConnection, _ wsi: OpaquePointer, _ input: UnsafeMutableRawPointer?, _ len: Int) -> Int32 {
        guard !c.finished else { return 0 }
        let final = lws_is_final_fragment(wsi) != 0
        let binary = lws_frame_is_binary(wsi) != 0
        let chunk = UnsafeRawBufferPointer(start: input, count: input == nil ? 0 : len)
        let limit = c.isClient ? configuration.maxClientMessageBytes : configuration.maxMessageBytes
        if c.assemblyOverflow {
            if final { c.assemblyOverflow = false }
            return 0
        }
        if c.assembly.count + chunk.count > limit {
            let size = c.assembly.count + chunk.count
            c.assembly.removeAll(keepingCapacity: false)
            c.assemblyOverflow = !final
            c.handler.webSocketReceived(c, .tooBig(size))
            return 0
        }
        if final && c.assembly.isEmpty {
            c.handler.webSocketReceived(c, binary ? .binary(chunk) : .text(chunk))
            return 0
        }
        c.assembly.append(contentsOf: chunk)
        if final {
            c.assembly.withUnsafeBytes { c.handler.webSocketReceived(c, binary ? .binary($0) : .text($0)) }
            c.assembly.removeAll(keepingCapacity: c.assembly.capacity <= 1 << 20)
        }
        return 0
    }

    /// One frame per writable callback, from the shared frame buffer.
    func writable(_ c: WebSocketConnection, _ wsi: OpaquePointer) -> Int32 {
        if let close = c.pendingClose {
            c.closing = true
            sendClose(wsi, close.code, close.reason)
            return -1
        }
        // Without compression lws copies whatever the socket does not take, so one shared buffer
        // serves every connection. With permessage-deflate zlib keeps reading the caller's buffer
        // until the frame is out, so such a connection writes from its own buffer, untouched until
        // its next writable callback.
        var own = c.usesDeflate ? (c.ownFrame ?? FrameBuffer(headroom: frame.headroom, capacity: 4096)) : nil
        c.ownFrame = nil
        var result = WritableResult.idle
        if own != nil {
            own!.reset()
            result = c.handler.webSocketWritable(c, frame: &own!)
        } else {
            frame.reset()
            result = c.handler.webSocketWritable(c, frame: &frame)
        }
        defer { if own != nil { c.ownFrame = own } }
        switch result {
        case .idle:
            return 0
        case .text(let more), .binary(let more):
            let kind = result == .text(more: more) ? LWS_WRITE_TEXT : LWS_WRITE_BINARY
            let n = own != nil ? Self.write(wsi, &own!, kind) : Self.write(wsi, &frame, kind)
            if n < 0 { return -1 }
            framesWrittenOnCallback &+= 1
            if more { lws_callback_on_writable(wsi) }
            return 0
        case .close(let code, let reason):
            c.closing = true
            sendClose(wsi, code, reason)
            return -1
        }
    }

    static func write(_ wsi: OpaquePointer, _ f: inout FrameBuffer, _ kind: lws_write_protocol) -> Int32 {
        let count = f.payloadCount
        let headroom = f.headroom
        let n = f.bytes.withUnsafeMutableBufferPointer { b in lws_write(wsi, b.baseAddress! + headroom, count, kind) }
        return n < count ? -1 : n
    }

    /// The client's permessage-deflate offer, if it made one (we accept whenever offered and enabled).
    /// The header is read whole, however long: an offer missed here would leave a compressed
    /// connection writing from the shared frame buffer, which zlib reads after the callback.
    func deflateOffer(_ wsi: OpaquePointer) -> String? {
        let length = Int(lws_hdr_total_length(wsi, WSI_TOKEN_EXTENSIONS))
        guard length > 0 else { return nil }
        var buf = [CChar](repeating: 0, count: length + 1)
        // Unreadable after all: assume an offer (its own buffer is the safe side).
        guard lws_hdr_copy(wsi, &buf, Int32(buf.count), WSI_TOKEN_EXTENSIONS) > 0 else { return "permessage-deflate" }
        let header = string(fromC: buf)
        return header.split(separator: ",").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("permessage-deflate") }.map(String.init)
    }

    /// The close frame (code, reason); the caller then returns -1. On poll lws sends it and
    /// waits for the peer's close (`lws_close_reason`, then a writable pass of its own). On
    /// libuv it is written here at once and lws drops the socket after it: lws 4.1.6 on libuv
    /// kills a connection that receives data while it waits for that pass, and the peer would
    /// never see the code.
    private func sendClose(_ wsi: OpaquePointer, _ code: UInt16, _ reason: String) {
        var bytes = Array(reason.utf8.prefix(120))
        guard eventLibrary == .libuv else {
            lws_close_reason(wsi, lws_close_status(rawValue: UInt32(code)), &bytes, bytes.count)
            return
        }
        frame.reset()
        frame.append([UInt8(code >> 8), UInt8(code & 0xff)])
        frame.append(bytes)
        _ = Self.write(wsi, &frame, shim_write_close)
    }

    func finishClient(_ c: WebSocketConnection, error: String?) {
        guard !c.finished else { return }
        c.finished = true
        c.wsi = nil
        clients[ObjectIdentifier(c)] = nil
        c.handler.webSocketClosed(c, error: error)
        c.releaseConnectStrings()
    }
}
