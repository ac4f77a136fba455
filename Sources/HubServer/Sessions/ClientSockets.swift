import HubCore
import WebSocketLoop

/// Bridges subscriber WebSockets (`/ws`) to the hub's sessions.
///
/// Threading: loop-confined.
final class ClientSockets: WebSocketHandler {
    let hub: Hub
    /// Open connections per client address (for `server.maxConnectionsPerAddress`).
    private(set) var connectionsByAddress: [String: Int] = [:]

    init(hub: Hub) {
        self.hub = hub
    }

    func webSocketOpened(_ connection: WebSocketConnection) {
        connectionsByAddress[connection.remoteAddress, default: 0] += 1
        connection.context = hub.open(transport: SocketTransport(connection), remoteAddress: connection.remoteAddress, token: Self.token(connection))
    }

    /// The handshake's token: `Authorization: Bearer …`, else the `access_token` query argument
    /// (browsers cannot set headers on WebSockets). Without one the session is anonymous or
    /// must send `auth`.
    static func token(_ c: WebSocketConnection) -> String? {
        if let header = c.authorization, let t = BearerAuthorizer.bearerToken(header) { return t }
        for arg in c.query.split(separator: "&") where arg.hasPrefix("access_token=") {
            let t = arg.dropFirst("access_token=".count)
            return t.isEmpty ? nil : String(t)
        }
        return nil
    }

    func webSocketReceived(_ connection: WebSocketConnection, _ message: IncomingMessage) {
        guard let session = connection.context as? Session else { return }
        switch message {
        case .text(let bytes): hub.receive(session, message: bytes)
        case .binary: hub.receiveBinary(session)
        case .tooBig: hub.close(session, .messageTooBig)
        }
    }

    func webSocketWritable(_ connection: WebSocketConnection, frame: inout FrameBuffer) -> WritableResult {
        guard let session = connection.context as? Session else { return .idle }
        let outcome = frame.appending { hub.fillFrame(session, into: &$0) }
        switch outcome {
        case .idle: return .idle
        case .frame(let more): return .text(more: more)
        case .close(let reason): return .close(code: reason.code, reason: reason.message)
        }
    }

    func webSocketClosed(_ connection: WebSocketConnection, error: String?) {
        let address = connection.remoteAddress
        if let n = connectionsByAddress[address] { connectionsByAddress[address] = n > 1 ? n - 1 : nil }
        guard let session = connection.context as? Session else { return }
        hub.disconnect(session)
        (session.transport as? SocketTransport)?.connection = nil
        connection.context = nil
    }
}
