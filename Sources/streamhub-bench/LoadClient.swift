import Foundation
import Histogram
import Synchronization
import WebSocketLoop

/// N WebSocket connections on one libwebsockets loop (its own thread), each subscribing to one
/// channel, counting messages (frames split on `\n`) and measuring latency from the `"rt"` field
/// (hub receive time, µs since the epoch) to arrival.
final class LoadClient: WebSocketHandler, @unchecked Sendable {
    struct Result {
        var connected = 0
        var closed = 0
        var messages: UInt64 = 0
        var bytes: UInt64 = 0
        var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }

    private let loop: EventLoop
    private let url: WebSocketURL
    private let subscribe: (Int) -> String?
    private var urlFor: ((Int) -> WebSocketURL)?
    private var pending: [ObjectIdentifier: String] = [:]
    private var connections: [WebSocketConnection] = []
    private var measuring = false
    private var result = Result()
    private let shared = Mutex((connected: 0, closed: 0))

    /// `query`: a query string for connection i (a token), appended to the URL's path.
    /// `deflate`: offer permessage-deflate (what browsers do).
    init(url: String, query: ((Int) -> String)? = nil, deflate: Bool = false, subscribe: @escaping (Int) -> String?) throws {
        var c = LoopConfiguration()
        c.permessageDeflate = deflate
        c.clientTLS = false
        c.maxConnections = 70_000
        loop = try EventLoop(configuration: c)
        self.url = try WebSocketURL(parsing: url)
        self.subscribe = subscribe
        if let query {
            let base = url, fallback = self.url
            urlFor = { i in (try? WebSocketURL(parsing: base + (base.contains("?") ? "&" : "?") + query(i))) ?? fallback }
        }
        loop.start(name: "load-client")
    }

    /// Opens `count` connections in bursts of 200 per 10 ms (the server's accept queue keeps up)
    /// and waits until they are open or `timeout` passes.
    func open(_ count: Int, timeout: Double = 60) -> Int {
        loop.execute { [self] in
            var opened = 0
            var burst: LoopTimer?
            burst = loop.every(0.01) { [self] in
                for _ in 0..<200 where opened < count {
                    let c = loop.connect(to: urlFor?(opened) ?? url, handler: self)
                    if let s = subscribe(opened) { pending[ObjectIdentifier(c)] = s }
                    connections.append(c)
                    opened += 1
                }
                if opened >= count { burst?.cancel() }
            }
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let s = shared.withLock { $0 }
            if s.connected + s.closed >= count { break }
            usleep(20_000)
        }
        return shared.withLock { $0.connected }
    }

    /// Counts for `seconds` after a warm-up; returns what arrived while measuring. Connections
    /// for which `stall` is true stop reading when the warm-up begins (a client that hangs with
    /// its socket open): the others are measured while the hub copes with them.
    func measure(warmup: Double, seconds: Double, stall: @escaping @Sendable (Int) -> Bool = { _ in false }) -> Result {
        loop.execute { [self] in
            for (i, c) in connections.enumerated() where stall(i) { c.setReceiving(false) }
        }
        Thread.sleep(forTimeInterval: warmup)
        loop.execute { [self] in
            result = Result()
            measuring = true
        }
        Thread.sleep(forTimeInterval: seconds)
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox()
        loop.execute { [self] in
            measuring = false
            box.value = result
            box.value.connected = shared.withLock { $0.connected }
            box.value.closed = shared.withLock { $0.closed }
            done.signal()
        }
        done.wait()
        return box.value
    }

    func stop() {
        loop.stop()
        loop.waitUntilFinished()
    }

    // MARK: WebSocketHandler

    func webSocketOpened(_ c: WebSocketConnection) {
        shared.withLock { $0.connected += 1 }
        if pending[ObjectIdentifier(c)] != nil { c.requestWritable() }
    }

    func webSocketReceived(_ c: WebSocketConnection, _ message: IncomingMessage) {
        guard measuring, case .text(let bytes) = message else { return }
        let now = Self.micros()
        var start = 0
        let n = bytes.count
        for i in 0...n where i == n || bytes[i] == 0x0A {
            if i > start {
                result.messages += 1
                result.bytes += UInt64(i - start)
                if let rt = Self.field(bytes, start, i), now > rt { _ = result.latency.record(UInt64(now - rt)) }
            }
            start = i + 1
        }
    }

    func webSocketWritable(_ c: WebSocketConnection, frame: inout FrameBuffer) -> WritableResult {
        guard let s = pending.removeValue(forKey: ObjectIdentifier(c)) else { return .idle }
        frame.append(string: s)
        return .text(more: false)
    }

    func webSocketClosed(_ c: WebSocketConnection, error: String?) {
        shared.withLock { $0.closed += 1 }
    }

    /// The integer after `"rt":` in bytes[from..<to].
    private static func field(_ b: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Int64? {
        let key: [UInt8] = Array("\"rt\":".utf8)
        var i = from
        while i + key.count < to {
            if b[i] == key[0] && b[i + 1] == key[1] && b[i + 2] == key[2] && b[i + 3] == key[3] && b[i + 4] == key[4] {
                var j = i + key.count
                var v: Int64 = 0
                while j < to, b[j] >= 0x30, b[j] <= 0x39 {
                    v = v * 10 + Int64(b[j] - 0x30)
                    j += 1
                }
                return v
            }
            i += 1
        }
        return nil
    }

    static func micros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}

private final class ResultBox: @unchecked Sendable { var value = LoadClient.Result() }
