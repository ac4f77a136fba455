import DequeModule
import WebSocketLoop

/// One client connection of a venue simulator. Frames queue here until the socket can take them
/// (libwebsockets allows one write per writable callback); a client that lets `limit` frames
/// pile up is dropped without a close frame, as venues drop consumers that do not keep up.
/// Each simulator subclasses it with what it tracks per client (subscriptions, sequences).
///
/// Threading: the simulator's loop thread.
class SimulatorClient {
    let connection: WebSocketConnection
    private var outbox: Deque<[UInt8]> = []

    init(_ connection: WebSocketConnection) {
        self.connection = connection
    }

    /// Queues one text frame.
    func send(_ frame: [UInt8], limit: Int) {
        guard connection.isOpen else { return }
        if outbox.count >= limit {
            connection.kill()
            return
        }
        outbox.append(frame)
        connection.requestWritable()
    }

    /// The writable callback: the next queued frame into `frame`, asking for another callback
    /// while more wait.
    func write(into frame: inout FrameBuffer) -> WritableResult {
        guard let next = outbox.popFirst() else { return .idle }
        frame.append(next)
        return .text(more: !outbox.isEmpty)
    }
}
