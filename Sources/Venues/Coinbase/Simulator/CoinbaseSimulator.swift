import DequeModule
import Foundation
import HubCore
import Synchronization
import WebSocketLoop

/// How the Coinbase simulator listens and behaves.
public struct CoinbaseSimulatorConfig: Sendable, Equatable {
    public var host = "127.0.0.1"
    /// 0 lets the OS choose a free port.
    public var port = 0
    /// Products and their starting prices.
    public var products: [String: Double] = ["BTC-USD": 65_000, "ETH-USD": 3_200]
    public var stepMilliseconds = 100
    /// Now and then a product jumps away from the other venues and back (0: never).
    public var dislocationEverySeconds = 0.0
    public var levels = 50
    public var seed: UInt64 = 11
    public var maxQueuedFrames = 50_000
    public init() {}
}

/// A Coinbase Advanced Trade market-data simulator on loopback: `subscribe`/`unsubscribe` for
/// `heartbeats` (every second), `ticker`, `market_trades` and `level2` (`l2_data` snapshot, then
/// updates), a `subscriptions` reply to each request, and `sequence_num` counting every message
/// of a connection — shaped like the venue's messages (EXAMPLES.md §4b).
///
/// Threading: runs its own event loop thread; `inject`, `stop` and the stats are thread-safe.
public final class CoinbaseSimulator: WebSocketHandler, VenueSimulator, @unchecked Sendable {
    public let config: CoinbaseSimulatorConfig
    private var loop: EventLoop!
    private var books: [String: SimulatedBook] = [:]
    private var rng: SplitMix64
    private var skipSequence = false
    private var silence = SilenceWindow()
    private var tradeID: UInt64 = 500_000
    private let clients = SimulatorConnections<Client, Stats>()
    private var lastHeartbeat: Int64 = 0
    private var heartbeatCounter: UInt64 = 0
    private var dislocation: DislocationSchedule

    public struct Stats: SimulatorStats, Equatable {
        public var connections = 0
        public var accepted = 0
        public var framesSent: UInt64 = 0
        public var subscribes = 0
        public var gapsInjected = 0
    }

    final class Client: SimulatorClient {
        var sequence: UInt64 = 0
        /// channel → products (heartbeats: empty set).
        var channels: [String: Set<String>] = [:]
    }

    /// Where the simulator reads time (a manual clock in tests).
    public let clock: HubClock

    /// - Parameter clock: message timestamps, the market's time and fault deadlines (silence).
    public init(config: CoinbaseSimulatorConfig = CoinbaseSimulatorConfig(), clock: HubClock = SystemClock()) throws {
        self.config = config
        self.clock = clock
        dislocation = DislocationSchedule(everySeconds: config.dislocationEverySeconds, startMillis: clock.wallMilliseconds())
        rng = SplitMix64(seed: config.seed)
        var lc = LoopConfiguration(listen: .init(host: config.host, port: config.port))
        lc.webSocketPath = "/"
        lc.maxMessageBytes = 1 << 20
        lc.clientTLS = false
        loop = try EventLoop(configuration: lc, webSocketHandler: self)
        for (p, mid) in config.products { books[p] = SimulatedBook(mid: mid, levels: config.levels, rng: &rng) }
    }

    public var port: Int { loop.port }
    public var url: String { "ws://\(config.host):\(port)/" }
    public var currentStats: Stats { clients.stats.withLock { $0 } }

    public func start() {
        loop.start(name: "coinbase-sim")
        loop.execute { [self] in
            loop.every(Double(config.stepMilliseconds) / 1000) { [weak self] in self?.step() }
        }
    }

    public func stop() { loop.stop() }

    /// Moves a product's market to `price` (tests drive cross-venue arbitrage): from the next
    /// step the book and best prices sit around it, levels left on the wrong side removed.
    public func move(_ product: String, to price: Double) {
        loop.execute { [self] in books[product]?.mid = price }
    }

    public func inject(_ fault: SimulatorFault) {
        loop.execute { [self] in apply(fault) }
    }

    private func apply(_ fault: SimulatorFault) {
        switch fault {
        case .gap: skipSequence = true
        case .dropConnections: for c in clients.values { c.connection.kill() }
        case .malformedFrame: for c in clients.values { enqueue(Array(#"{"channel":"l2_data","events":[{"#.utf8), to: c) }
        case .silence(let seconds): silence.begin(seconds: seconds, clock: clock)
        case .oversizedFrame(let bytes):
            var frame = Array(#"{"channel":"padding","events":[],"x":""#.utf8)
            frame.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: max(0, bytes - frame.count - 2)))
            frame.append(contentsOf: #""}"#.utf8)
            for c in clients.values { enqueue(frame, to: c) }
        case .outOfRange(let product):
            let t =
                #"{"type":"update","tickers":[{"type":"ticker","product_id":"\#(product)","price":"1","best_bid":"-5","best_bid_quantity":"1","best_ask":"1","best_ask_quantity":"1"}]}"#
            for c in clients.values where c.channels["ticker"]?.contains(product) == true { send("ticker", [t], to: c) }
        }
    }

    static func text(_ v: Double) -> String { String(format: "%.8f", v) }

    static func timestamp(_ ms: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }

    /// One message of `channel` with `events` (JSON texts) and the client's next sequence number.
    private func send(_ channel: String, _ events: [String], to c: Client) {
        if skipSequence {
            skipSequence = false
            c.sequence += 1  // a lost message
            clients.stats.withLock { $0.gapsInjected += 1 }
        }
        let msg =
            #"{"channel":"\#(channel)","client_id":"","timestamp":"\#(Self.timestamp(clock.wallMilliseconds()))","sequence_num":\#(c.sequence),"events":[\#(events.joined(separator: ","))]}"#
        c.sequence += 1
        enqueue(Array(msg.utf8), to: c)
    }

    private func enqueue(_ frame: [UInt8], to c: Client) {
        c.send(frame, limit: config.maxQueuedFrames)
    }

    private func levels(_ product: String, _ changes: (bids: [(Double, Double)], asks: [(Double, Double)])) -> String {
        let now = Self.timestamp(clock.wallMilliseconds())
        let items = changes.bids.map { (side: "bid", p: $0.0, q: $0.1) } + changes.asks.map { (side: "offer", p: $0.0, q: $0.1) }
        return items.map { #"{"side":"\#($0.side)","event_time":"\#(now)","price_level":"\#(Self.text($0.p))","new_quantity":"\#(Self.text($0.q))"}"# }
            .joined(separator: ",")
    }

    private func ticker(_ product: String, _ b: SimulatedBook, type: String) -> String {
        let bid = b.top(bids: 1).first ?? (b.bestBid, 1), ask = b.top(asks: 1).first ?? (b.bestAsk, 1)
        return
            #"{"type":"\#(type)","tickers":[{"type":"ticker","product_id":"\#(product)","price":"\#(Self.text(b.mid))","volume_24_h":"1523.5","low_24_h":"\#(Self.text(b.mid * 0.97))","high_24_h":"\#(Self.text(b.mid * 1.03))","low_52_w":"1","high_52_w":"\#(Self.text(b.mid * 2))","price_percent_chg_24_h":"-1.25","best_bid":"\#(Self.text(bid.0))","best_bid_quantity":"\#(Self.text(bid.1))","best_ask":"\#(Self.text(ask.0))","best_ask_quantity":"\#(Self.text(ask.1))"}]}"#
    }

    private func step() {
        let now = clock.wallMilliseconds()
        // A silent venue is frozen: its sequence numbers and books resume where they stopped.
        guard !silence.isOn(atMillis: now) else { return }
        if case .move(let product, let factor)? = dislocation.step(nowMillis: now, products: books.keys.sorted()) {
            books[product]?.mid *= factor
        }
        var changes: [String: (bids: [(Double, Double)], asks: [(Double, Double)])] = [:]
        for p in books.keys.sorted() { changes[p] = books[p]!.step(&rng) }
        guard !clients.isEmpty else { return }
        let beat = now - lastHeartbeat >= 1000
        if beat {
            lastHeartbeat = now
            heartbeatCounter += 1
        }
        var trades: [String: String] = [:]
        for p in books.keys.sorted() where rng.next() % 3 == 0 {
            tradeID += 1
            let b = books[p]!
            let buy = rng.next() % 2 == 0
            trades[p] =
                #"{"trade_id":"\#(tradeID)","product_id":"\#(p)","price":"\#(Self.text(buy ? b.bestAsk : b.bestBid))","size":"\#(Self.text(Double(1 + rng.next() % 30) / 100))","side":"\#(buy ? "BUY" : "SELL")","time":"\#(Self.timestamp(now))"}"#
        }
        for c in clients.values {
            if beat && c.channels["heartbeats"] != nil {
                send("heartbeats", [#"{"current_time":"\#(Self.timestamp(now))","heartbeat_counter":"\#(heartbeatCounter)"}"#], to: c)
            }
            for p in (c.channels["level2"] ?? []).sorted() {
                guard let ch = changes[p] else { continue }
                send("l2_data", [#"{"type":"update","product_id":"\#(p)","updates":[\#(levels(p, ch))]}"#], to: c)
            }
            for p in (c.channels["ticker"] ?? []).sorted() { if let b = books[p] { send("ticker", [ticker(p, b, type: "update")], to: c) } }
            let tr = (c.channels["market_trades"] ?? []).sorted().compactMap { trades[$0] }
            if !tr.isEmpty { send("market_trades", [#"{"type":"update","trades":[\#(tr.joined(separator: ","))]}"#], to: c) }
        }
    }

    // MARK: WebSocketHandler

    public func webSocketOpened(_ connection: WebSocketConnection) {
        let c = Client(connection)
        clients.opened(c)
    }

    public func webSocketClosed(_ connection: WebSocketConnection, error: String?) {
        clients.closed(connection)
    }

    public func webSocketWritable(_ connection: WebSocketConnection, frame: inout FrameBuffer) -> WritableResult {
        clients.write(connection, into: &frame)
    }

    public func webSocketReceived(_ connection: WebSocketConnection, _ message: IncomingMessage) {
        // A silent venue answers nothing either (the `silence` fault is a venue gone quiet).
        guard !silence.isOn(clock) else { return }
        guard let c = connection.context as? Client, case .text(let bytes) = message else { return }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], let type = obj["type"] as? String,
            let channel = obj["channel"] as? String
        else {
            return enqueue(Array(#"{"type":"error","message":"failure to parse message"}"#.utf8), to: c)
        }
        let products = Set((obj["product_ids"] as? [String]) ?? [])
        let known = ["heartbeats", "ticker", "ticker_batch", "market_trades", "level2", "status", "candles"]
        guard known.contains(channel) else { return enqueue(Array(#"{"type":"error","message":"Failed to subscribe: unknown channel"}"#.utf8), to: c) }
        switch type {
        case "subscribe":
            clients.stats.withLock { $0.subscribes += 1 }
            c.channels[channel, default: []].formUnion(products)
            let subs = c.channels.map { "\"\($0.key)\":[\($0.value.sorted().map { "\"\($0)\"" }.joined(separator: ","))]" }.sorted().joined(separator: ",")
            send("subscriptions", [#"{"subscriptions":{\#(subs)}}"#], to: c)
            for p in products.sorted() {
                guard let b = books[p] else { continue }
                switch channel {
                case "level2":
                    send(
                        "l2_data",
                        [#"{"type":"snapshot","product_id":"\#(p)","updates":[\#(levels(p, (b.top(bids: config.levels), b.top(asks: config.levels))))]}"#],
                        to: c)
                case "ticker": send("ticker", [ticker(p, b, type: "snapshot")], to: c)
                case "market_trades":
                    send(
                        "market_trades",
                        [
                            #"{"type":"snapshot","trades":[{"trade_id":"1","product_id":"\#(p)","price":"\#(Self.text(b.mid))","size":"0.01","side":"BUY","time":"\#(Self.timestamp(clock.wallMilliseconds() - 60_000))"}]}"#
                        ], to: c)
                default: break
                }
            }
        case "unsubscribe":
            c.channels[channel]?.subtract(products)
            if products.isEmpty || c.channels[channel]?.isEmpty == true { c.channels[channel] = nil }
            let subs = c.channels.map { "\"\($0.key)\":[\($0.value.sorted().map { "\"\($0)\"" }.joined(separator: ","))]" }.sorted().joined(separator: ",")
            send("subscriptions", [#"{"subscriptions":{\#(subs)}}"#], to: c)
        default:
            enqueue(Array(#"{"type":"error","message":"unknown message type"}"#.utf8), to: c)
        }
    }
}
