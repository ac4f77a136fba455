import Foundation
import WebSocketLoop

/// A real WebSocket client (libwebsockets, its own loop thread) for integration tests, with
/// blocking waits bounded by timeouts — never sleeps as synchronisation.
public final class TestClient: WebSocketHandler, @unchecked Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case timeout(String)
        case closed(code: UInt16?, reason: String?)
        case connectFailed(String)
        public var description: String {
            switch self {
            case .timeout(let what): return "timed out waiting for \(what)"
            case .closed(let code, let reason): return "connection closed (\(code.map(String.init) ?? "no code")) \(reason ?? "")"
            case .connectFailed(let why): return "connect failed: \(why)"
            }
        }
    }

    private let loop: EventLoop
    private let cond = NSCondition()
    // Guarded by `cond`:
    private var messages: [String] = []
    private var opened = false
    private var closed = false
    private var closeError: String?
    private var closeCode: UInt16?
    private var closeReason: String?
    private var framesReceived = 0
    // Loop thread only:
    private var connection: WebSocketConnection?
    private var outbox: [(bytes: [UInt8], binary: Bool)] = []

    /// Connects and waits for the handshake. `wss://` URLs need `caFile`, the CA that signed the
    /// server's certificate.
    public static func connect(
        _ url: String, headers: [(String, String)] = [], deflate: Bool = false, caFile: String? = nil, timeout: Double = 5
    ) throws -> TestClient {
        let client = try TestClient(deflate: deflate, caFile: caFile)
        let parsed = try WebSocketURL(parsing: url)
        client.loop.execute { [client] in
            client.connection = client.loop.connect(to: parsed, headers: headers, handler: client)
        }
        try client.waitOpen(timeout: timeout)
        return client
    }

    private init(deflate: Bool, caFile: String?) throws {
        var config = LoopConfiguration()
        config.permessageDeflate = deflate
        config.clientTLS = caFile != nil
        config.clientCAFile = caFile
        config.maxConnections = 64
        loop = try EventLoop(configuration: config)
        loop.start(name: "test-client")
    }

    deinit { loop.stop() }

    private func waitOpen(timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        cond.lock()
        defer { cond.unlock() }
        while !opened && !closed {
            if !cond.wait(until: deadline) { throw Failure.timeout("the WebSocket handshake") }
        }
        if !opened { throw Failure.connectFailed(closeError ?? "closed during handshake") }
    }

    public func send(_ text: String) { enqueue(Array(text.utf8), binary: false) }
    public func sendBinary(_ bytes: [UInt8]) { enqueue(bytes, binary: true) }

    private func enqueue(_ bytes: [UInt8], binary: Bool) {
        loop.execute { [self] in
            outbox.append((bytes, binary))
            connection?.requestWritable()
        }
    }

    /// Stops reading from the socket (the kernel buffers fill; the server sees a slow consumer).
    public func pauseReading() { loop.execute { [self] in connection?.setReceiving(false) } }
    public func resumeReading() { loop.execute { [self] in connection?.setReceiving(true) } }

    /// Closes with 1000.
    public func close() {
        loop.execute { [self] in connection?.close(code: 1000, reason: "bye") }
    }

    /// The next message (frames split on `\n`).
    public func next(timeout: Double = 5) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        cond.lock()
        defer { cond.unlock() }
        while messages.isEmpty {
            if closed { throw Failure.closed(code: closeCode, reason: closeReason) }
            if !cond.wait(until: deadline) { throw Failure.timeout("a message") }
        }
        return messages.removeFirst()
    }

    /// The next message as a JSON object.
    public func nextJSON(timeout: Double = 5) throws -> [String: Any] {
        let text = try next(timeout: timeout)
        guard let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw Failure.timeout("a JSON object, got \(text)")
        }
        return obj
    }

    /// Skips messages until one satisfies `predicate`; returns it and what was skipped.
    @discardableResult
    public func waitFor(timeout: Double = 5, _ what: String = "a matching message", where predicate: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { throw Failure.timeout(what) }
            do {
                let m = try nextJSON(timeout: left)
                if predicate(m) { return m }
            } catch Failure.timeout {
                throw Failure.timeout(what)
            }
        }
    }

    /// Messages already received and not yet taken.
    public func drain() -> [String] {
        cond.lock()
        defer { cond.unlock() }
        let m = messages
        messages.removeAll()
        return m
    }

    public var frameCount: Int {
        cond.lock()
        defer { cond.unlock() }
        return framesReceived
    }

    /// Waits for the connection to end; returns the server's close code and reason.
    public func waitClosed(timeout: Double = 5) throws -> (code: UInt16?, reason: String?) {
        let deadline = Date().addingTimeInterval(timeout)
        cond.lock()
        defer { cond.unlock() }
        while !closed {
            if !cond.wait(until: deadline) { throw Failure.timeout("the connection to close") }
        }
        return (closeCode, closeReason)
    }

    public var isClosed: Bool {
        cond.lock()
        defer { cond.unlock() }
        return closed
    }

    // MARK: WebSocketHandler (loop thread)

    public func webSocketOpened(_ connection: WebSocketConnection) {
        cond.lock()
        opened = true
        cond.broadcast()
        cond.unlock()
        if !outbox.isEmpty { connection.requestWritable() }
    }

    public func webSocketReceived(_ connection: WebSocketConnection, _ message: IncomingMessage) {
        guard case .text(let bytes) = message else { return }
        let lines = bytes.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
        cond.lock()
        framesReceived += 1
        messages.append(contentsOf: lines)
        cond.broadcast()
        cond.unlock()
    }

    public func webSocketWritable(_ connection: WebSocketConnection, frame: inout FrameBuffer) -> WritableResult {
        guard !outbox.isEmpty else { return .idle }
        let next = outbox.removeFirst()
        frame.append(next.bytes)
        return next.binary ? .binary(more: !outbox.isEmpty) : .text(more: !outbox.isEmpty)
    }

    public func webSocketClosed(_ connection: WebSocketConnection, error: String?) {
        cond.lock()
        closed = true
        closeError = error
        closeCode = connection.peerCloseCode
        closeReason = connection.peerCloseReason
        cond.broadcast()
        cond.unlock()
    }
}
