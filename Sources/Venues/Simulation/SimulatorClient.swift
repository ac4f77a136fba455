import DequeModule
import HubCore
import Synchronization
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

/// What every simulator counts about its clients; each simulator's `Stats` adds its own.
protocol SimulatorStats: Sendable {
    var connections: Int { get set }
    var accepted: Int { get set }
    var framesSent: UInt64 { get set }
    init()
}

/// A simulator's clients by connection and its stats: opening, closing and the writable
/// callback, the same for every venue.
///
/// Threading: the client table on the simulator's loop thread; `stats` from any thread.
final class SimulatorConnections<Client: SimulatorClient, Stats: SimulatorStats>: @unchecked Sendable {
    let stats = Mutex(Stats())
    private var byConnection: [ObjectIdentifier: Client] = [:]

    var values: Dictionary<ObjectIdentifier, Client>.Values { byConnection.values }
    var isEmpty: Bool { byConnection.isEmpty }

    func opened(_ c: Client) {
        c.connection.context = c
        byConnection[ObjectIdentifier(c.connection)] = c
        let count = byConnection.count
        stats.withLock {
            $0.connections = count
            $0.accepted += 1
        }
    }

    /// Forgets the connection's client and returns it.
    @discardableResult
    func closed(_ connection: WebSocketConnection) -> Client? {
        let c = byConnection.removeValue(forKey: ObjectIdentifier(connection))
        connection.context = nil
        let count = byConnection.count
        stats.withLock { $0.connections = count }
        return c
    }

    func write(_ connection: WebSocketConnection, into frame: inout FrameBuffer) -> WritableResult {
        guard let c = connection.context as? Client else { return .idle }
        let result = c.write(into: &frame)
        if result != .idle { stats.withLock { $0.framesSent += 1 } }
        return result
    }
}
