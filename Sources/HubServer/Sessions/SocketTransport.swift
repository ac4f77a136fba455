import HubCore
import WebSocketLoop

/// A hub session's socket: the lws connection behind `SessionTransport`.
/// Held by the session; the connection holds the session (weak back-reference, no cycle).
final class SocketTransport: SessionTransport {
    weak var connection: WebSocketConnection?

    init(_ connection: WebSocketConnection) {
        self.connection = connection
    }

    func requestWritable() { connection?.requestWritable() }

    func requestClose(_ reason: CloseReason) {
        connection?.setCloseDeadline()
        connection?.requestWritable()
    }
}
