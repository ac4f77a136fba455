import DequeModule
import HubCore
import SimdJSON
import Synchronization
import WebSocketLoop

/// A Deribit WebSocket API v2 simulator: JSON-RPC 2.0 over WebSocket on loopback, speaking the
/// same protocol as wss://www.deribit.com/ws/api/v2 for the parts the adapter uses —
/// public/subscribe and unsubscribe (ticker, book, trades), public/set_heartbeat with
/// test_request heartbeats (a client that does not answer is disconnected), public/test,
/// public/get_instruments, public/auth — with a simulated market behind it.
///
/// Threading: runs its own event loop thread; `inject`, `stop` and the stats are thread-safe.
public final class DeribitSimulator: WebSocketHandler, VenueSimulator, @unchecked Sendable {
    public let config: DeribitSimulatorConfig
    private var loop: EventLoop!
    private let market: DeribitMarket
    private let parser = JSONParser(maxDocumentBytes: 1 << 20)
    private var pendingGaps: Set<String> = []
    private var silence = SilenceWindow()
    private let clients = SimulatorConnections<Client, Stats>()

    public struct Stats: SimulatorStats, Equatable {
        public var connections = 0
        public var accepted = 0
        public var framesSent: UInt64 = 0
        public var requests: UInt64 = 0
        public var gapsInjected = 0
    }

    final class Client: SimulatorClient {
        /// instrument → (stream, channel name as subscribed)
        var channels: [String: [(stream: Substring, channel: String)]] = [:]
        var authorized = false
        var heartbeat: LoopTimer?
        var awaitingTest = false

        func isSubscribed(_ channel: String) -> Bool {
            channels.values.contains { $0.contains { $0.channel == channel } }
        }
    }

    /// Where the simulator reads time (a manual clock in tests).
    public let clock: HubClock

    /// - Parameter clock: message timestamps, the market's time and fault deadlines (silence).
    public init(config: DeribitSimulatorConfig = DeribitSimulatorConfig(), clock: HubClock = SystemClock()) throws {
        self.config = config
        self.clock = clock
        market = DeribitMarket(seed: config.seed, start: clock.wallMilliseconds())
        var lc = LoopConfiguration(listen: .init(host: config.host, port: config.port))
        lc.webSocketPath = config.path
        lc.maxMessageBytes = 1 << 20
        lc.clientTLS = false
        loop = try EventLoop(configuration: lc, webSocketHandler: self)
    }

    /// The listening port.
    public var port: Int { loop.port }
    /// `ws://host:port/ws/api/v2`
    public var url: String { "ws://\(config.host):\(port)\(config.path)" }
    public var currentStats: Stats { clients.stats.withLock { $0 } }
    /// Instruments the simulated market lists.
    public var instrumentNames: [String] { market.names }

    /// Starts the loop thread and the market clock.
    public func start() {
        loop.start(name: "deribit-sim")
        loop.execute { [self] in
            loop.every(Double(config.stepMilliseconds) / 1000) { [weak self] in self?.step() }
        }
    }

    public func stop() { loop.stop() }
    /// Blocks until its loop has ended (after `stop`).
    public func waitUntilStopped() { loop.waitUntilFinished() }

    /// Injects a fault (thread-safe); it takes effect on the simulator's loop.
    public func inject(_ fault: SimulatorFault) {
        loop.execute { [self] in apply(fault) }
    }

    private func apply(_ fault: SimulatorFault) {
        switch fault {
        case .gap(let instrument):
            pendingGaps.insert(instrument)
        case .dropConnections:
            for c in clients.values { c.connection.kill() }
        case .malformedFrame:
            broadcast(Array("{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":".utf8))
        case .silence(let seconds):
            silence.begin(seconds: seconds, clock: clock)
        case .oversizedFrame(let bytes):
            var frame = Array("{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"padding\",\"data\":\"".utf8)
            frame.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: max(0, bytes - frame.count - 4)))
            frame.append(contentsOf: "\"}}".utf8)
            broadcast(frame)
        case .outOfRange(let instrument):
            guard let inst = market.instruments[instrument] else { return }
            var data = DeribitFrames.tickerData(inst, market: market)
            // Rewrite two values in place of the real ones: still well-formed Deribit JSON.
            data = Self.replacing(data, key: "best_bid_price", with: "-1")
            data = Self.replacing(data, key: "mark_iv", with: "20000")
            fanout(instrument, "ticker", data)
        }
    }

    /// `data` with the number after `"key":` replaced by `value`.
    static func replacing(_ data: [UInt8], key: String, with value: String) -> [UInt8] {
        let needle = Array("\"\(key)\":".utf8)
        guard let start = data.indices.first(where: { data[$0...].starts(with: needle) }) else { return data }
        let from = start + needle.count
        var to = from
        while to < data.count, data[to] != UInt8(ascii: ","), data[to] != UInt8(ascii: "}") { to += 1 }
        return Array(data[..<from]) + Array(value.utf8) + Array(data[to...])
    }

    private var isSilent: Bool { silence.isOn(clock) }

    private func broadcast(_ frame: [UInt8]) {
        for c in clients.values { send(frame, to: c) }
    }

    // MARK: Market

    private func step() {
        let update = market.step(to: clock.wallMilliseconds())
        guard !isSilent, !clients.isEmpty else { return }
        var gapped = 0
        for change in update.books {
            if pendingGaps.remove(change.instrument) != nil {
                gapped += 1
                continue  // the lost message: the next change's prev_change_id points at it
            }
            let data = DeribitFrames.bookData(change: change)
            fanout(change.instrument, "book", data)
        }
        for name in update.tickers {
            guard let inst = market.instruments[name] else { continue }
            fanout(name, "ticker", DeribitFrames.tickerData(inst, market: market))
        }
        for (name, trades) in update.trades {
            fanout(name, "trades", DeribitFrames.tradesData(trades))
        }
        if gapped > 0 { clients.stats.withLock { $0.gapsInjected += gapped } }
    }

    private func fanout(_ instrument: String, _ stream: String, _ data: [UInt8]) {
        var cache: [String: [UInt8]] = [:]
        for c in clients.values {
            guard let subs = c.channels[instrument] else { continue }
            for s in subs where s.stream == stream {
                let frame = cache[s.channel] ?? DeribitFrames.notification(channel: s.channel, data: data)
                cache[s.channel] = frame
                send(frame, to: c)
            }
        }
    }

    private func send(_ frame: [UInt8], to c: Client) {
        c.send(frame, limit: config.maxQueuedFrames)
    }

    // MARK: WebSocketHandler

    public func webSocketOpened(_ connection: WebSocketConnection) {
        let c = Client(connection)
        clients.opened(c)
    }

    public func webSocketClosed(_ connection: WebSocketConnection, error: String?) {
        clients.closed(connection)?.heartbeat?.cancel()
    }

    public func webSocketWritable(_ connection: WebSocketConnection, frame: inout FrameBuffer) -> WritableResult {
        clients.write(connection, into: &frame)
    }

    public func webSocketReceived(_ connection: WebSocketConnection, _ message: IncomingMessage) {
        // A silent venue answers nothing either (the `silence` fault is a venue gone quiet).
        guard let c = connection.context as? Client, !isSilent else { return }
        let usIn = clock.wallMicroseconds()
        clients.stats.withLock { $0.requests += 1 }
        guard case .text(let bytes) = message else {
            send(DeribitFrames.error(id: nil, code: -32700, message: "Parse error", usIn: usIn, usOut: clock.wallMicroseconds()), to: c)
            return
        }
        var reply: [UInt8] = []
        var after: [[UInt8]] = []
        do {
            try parser.parse(bytes) { root in
                reply = handle(root, c, usIn, &after)
            }
        } catch {
            reply = DeribitFrames.error(id: nil, code: -32700, message: "Parse error", usIn: usIn, usOut: clock.wallMicroseconds())
        }
        send(reply, to: c)
        for f in after { send(f, to: c) }
    }

    /// Answers one JSON-RPC request; frames to send after the reply go to `after`.
    private func handle(_ root: JSONElement, _ c: Client, _ usIn: Int64, _ after: inout [[UInt8]]) -> [UInt8] {
        let id = root["id"]?.int64
        func ok(_ result: [UInt8]) -> [UInt8] {
            DeribitFrames.result(id: id ?? 0, result: result, usIn: usIn, usOut: clock.wallMicroseconds())
        }
        func fail(_ code: Int64, _ message: String) -> [UInt8] {
            DeribitFrames.error(id: id, code: code, message: message, usIn: usIn, usOut: clock.wallMicroseconds())
        }
        guard root.kind == .object, root["jsonrpc"]?.stringEquals("2.0") == true, let method = root["method"]?.string else {
            return fail(-32600, "Invalid Request")
        }
        let params = root["params"]
        switch method {
        case "public/subscribe", "private/subscribe", "public/unsubscribe", "private/unsubscribe":
            guard let list = params?["channels"]?.array else { return fail(-32602, "Invalid params") }
            var names: [String] = []
            for item in list {
                guard let s = item.string else { return fail(-32602, "Invalid params") }
                names.append(s)
            }
            if method.hasSuffix("unsubscribe") {
                return ok(strings(unsubscribe(names, c)))
            }
            if method.hasPrefix("private") && !c.authorized { return fail(13009, "unauthorized") }
            let accepted = subscribe(names, c)
            for channel in accepted where channel.hasPrefix("book.") {
                let instrument = channel.split(separator: ".")[1]
                if let inst = market.instruments[String(instrument)] {
                    after.append(DeribitFrames.notification(channel: channel, data: DeribitFrames.bookData(snapshotOf: inst, timestamp: market.now)))
                }
            }
            return ok(strings(accepted))
        case "public/set_heartbeat":
            guard let interval = params?["interval"]?.int64 else { return fail(-32602, "Invalid params") }
            guard interval >= config.minHeartbeatSeconds else { return fail(11050, "bad_request: interval must be at least \(config.minHeartbeatSeconds)") }
            startHeartbeat(c, seconds: Double(interval))
            return ok(Array("\"ok\"".utf8))
        case "public/disable_heartbeat":
            c.heartbeat?.cancel()
            c.heartbeat = nil
            return ok(Array("\"ok\"".utf8))
        case "public/test":
            c.awaitingTest = false
            return ok(Array("{\"version\":\"1.2.26\"}".utf8))
        case "public/get_time":
            return ok(Array(String(market.now).utf8))
        case "public/get_instruments":
            guard let currency = params?["currency"]?.string else { return fail(-32602, "Invalid params") }
            let kind = params?["kind"]?.string
            let list = market.names.compactMap { market.instruments[$0] }.filter {
                ($0.currency == currency || currency == "any")
                    && (kind == nil || kind == ($0.kind == .option ? "option" : "future"))
            }
            return ok(DeribitFrames.instrumentsResult(list))
        case "public/auth":
            guard params?["grant_type"]?.stringEquals("client_credentials") == true,
                params?["client_id"]?.string == config.clientID, params?["client_secret"]?.string == config.clientSecret
            else { return fail(13004, "invalid_credentials") }
            c.authorized = true
            return ok(
                Array(
                    "{\"token_type\":\"bearer\",\"scope\":\"connection mainaccount\",\"refresh_token\":\"sim-refresh\",\"expires_in\":31536000,\"access_token\":\"sim-access\"}"
                        .utf8))
        default:
            return fail(-32601, "Method not found")
        }
    }

    private func subscribe(_ names: [String], _ c: Client) -> [String] {
        var accepted: [String] = []
        for name in names {
            let parts = name.split(separator: ".")
            guard parts.count == 3, ["ticker", "book", "trades"].contains(parts[0]),
                market.instruments[String(parts[1])] != nil, ["raw", "100ms", "agg2"].contains(parts[2])
            else { continue }
            if parts[2] == "raw" && !c.authorized { continue }  // raw data needs an authorized connection
            if !c.isSubscribed(name) {
                c.channels[String(parts[1]), default: []].append((parts[0], name))
            }
            accepted.append(name)
        }
        return accepted
    }

    private func unsubscribe(_ names: [String], _ c: Client) -> [String] {
        var removed: [String] = []
        for name in names {
            let parts = name.split(separator: ".")
            guard parts.count == 3 else { continue }
            let instrument = String(parts[1])
            let before = c.channels[instrument]?.count ?? 0
            c.channels[instrument]?.removeAll { $0.channel == name }
            if (c.channels[instrument]?.count ?? 0) < before { removed.append(name) }
        }
        return removed
    }

    private func startHeartbeat(_ c: Client, seconds: Double) {
        c.heartbeat?.cancel()
        c.awaitingTest = false
        c.heartbeat = loop.every(seconds) { [weak self, weak c] in
            guard let self, let c, !self.isSilent else { return }
            if c.awaitingTest {
                c.connection.kill()  // Deribit closes connections that ignore test_request
                return
            }
            c.awaitingTest = true
            self.send(DeribitFrames.heartbeat(testRequest: true), to: c)
        }
    }

    private func strings(_ items: [String]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (i, s) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.appendString(s, to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
