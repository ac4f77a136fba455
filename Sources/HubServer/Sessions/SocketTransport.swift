import HubCore
import WebSocketLoop

/// A hub session's socket: the lws connection behind `SessionTransport`.
/// Held by the session, which the connection holds: a cycle that `ClientSockets.webSocketClosed`
/// breaks by clearing `connection`. Not a weak reference: an object that is referenced weakly
/// moves its reference counts to a side table, and every retain and release of the connection
/// (several per frame written) then takes the slow path.
final class SocketTransport: SessionTransport {
    var connection: WebSocketConnection?

    init(_ connection: WebSocketConnection) {
        self.connection = connection
    }

    func requestWritable() { connection?.requestWritable() }

    func requestClose(_ reason: CloseReason) {
        connection?.setCloseDeadline()
        connection?.requestWritable()
    }
}
