import DequeModule
import Foundation
import HubCore
import Synchronization
import WebSocketLoop

/// A Binance simulator on loopback, spot or USDⓈ-M futures (`config.market`): combined streams at
/// `/stream?streams=…` (bookTicker, aggTrade/trade, depth@100ms; futures add markPrice@1s) with
/// frames shaped exactly like the venue's, and the REST depth snapshot (`GET /api/v3/depth`,
/// `/fapi/v1/depth`) on the same port, consistent with the stream's update ids — so the adapter's
/// snapshot synchronisation is exercised for real. Futures ids do not follow on from one event to
/// the next (each names the previous one's last id in `pu`), and a snapshot's `lastUpdateId` lies
/// inside the next event's range, as on the venue.
///
/// Threading: runs its own event loop thread; `inject`, `stop` and the stats are thread-safe.
public final class BinanceSimulator: WebSocketHandler, HTTPHandler, VenueSimulator, @unchecked Sendable {
    public let config: BinanceSimulatorConfig
    private var loop: EventLoop!
    private var books: [String: Book] = [:]
    private var rng: SplitMix64
    private var pendingGaps: Set<String> = []
    /// Symbols with no depth traffic whose snapshots are refused (429): a thin market met while
    /// the REST limit is spent.
    private var quietSymbols: Set<String> = []
    private var silence = SilenceWindow()
    private var aggregateID: UInt64 = 1_000_000
    private let clients = SimulatorConnections<Client, Stats>()

    public struct Stats: SimulatorStats, Equatable {
        public var connections = 0
        public var accepted = 0
        public var framesSent: UInt64 = 0
        public var snapshots = 0
        public var gapsInjected = 0
    }

    /// One symbol's book, the last update id sent and the first id of the next event.
    struct Book {
        var levels: SimulatedBook
        var updateId: UInt64
        var nextFirst: UInt64
    }
    /// When mark prices were last sent (futures send them every second).
    private var lastMarkAt: Int64 = 0
    private var futures: Bool { config.market.chainsByPrevious }

    final class Client: SimulatorClient {
        /// venue symbol → streams (`bookTicker`, `aggTrade`, `trade`, `depth@100ms`).
        var streams: [String: Set<String>] = [:]
    }

    /// Where the simulator reads time (a manual clock in tests).
    public let clock: HubClock

    /// - Parameter clock: message timestamps, the market's time and fault deadlines (silence).
    public init(config: BinanceSimulatorConfig = BinanceSimulatorConfig(), clock: HubClock = SystemClock()) throws {
        self.config = config
        self.clock = clock
        rng = SplitMix64(seed: config.seed)
        var lc = LoopConfiguration(listen: .init(host: config.host, port: config.port))
        lc.webSocketPath = "/stream"
        lc.dynamicPrefixes = ["/api"]
        lc.maxMessageBytes = 1 << 20
        lc.clientTLS = false
        loop = try EventLoop(configuration: lc, webSocketHandler: self, httpHandler: self)
        for (symbol, mid) in config.symbols {
            let id = UInt64(1_000_000 + rng.next() % 1_000_000)
            books[symbol] = Book(levels: SimulatedBook(mid: mid, levels: config.levels, rng: &rng), updateId: id, nextFirst: id + 1)
        }
    }

    public var port: Int { loop.port }
    /// The WebSocket base (`ws://127.0.0.1:PORT`); the adapter appends `/stream?streams=…`.
    public var url: String { "ws://\(config.host):\(port)" }
    /// The REST base for depth snapshots.
    public var restURL: String { "http://\(config.host):\(port)" }
    public var currentStats: Stats { clients.stats.withLock { $0 } }

    public func start() {
        loop.start(name: "\(config.market.id)-sim")
        loop.execute { [self] in
            loop.every(Double(config.stepMilliseconds) / 1000) { [weak self] in self?.step() }
        }
    }

    public func stop() { loop.stop() }

    /// Moves a symbol's market to `price` (tests drive cross-venue arbitrage): from the next
    /// step the book and best prices sit around it, levels left on the wrong side removed.
    public func move(_ symbol: String, to price: Double) {
        loop.execute { [self] in books[symbol]?.levels.mid = price }
    }

    /// Makes `symbol` (venue form) quiet from the next step: no depth events, snapshots refused.
    public func quiet(_ symbol: String) {
        loop.execute { [self] in quietSymbols.insert(symbol) }
    }

    public func inject(_ fault: SimulatorFault) {
        loop.execute { [self] in apply(fault) }
    }

    private func apply(_ fault: SimulatorFault) {
        switch fault {
        case .gap(let symbol): pendingGaps.insert(symbol)
        case .dropConnections: for c in clients.values { c.connection.kill() }
        case .malformedFrame: broadcast(Array(#"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","#.utf8))
        case .silence(let seconds): silence.begin(seconds: seconds, clock: clock)
        case .oversizedFrame(let bytes):
            var frame = Array(#"{"stream":"padding","data":{"e":"padding","x":""#.utf8)
            frame.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: max(0, bytes - frame.count - 3)))
            frame.append(contentsOf: #""}}"#.utf8)
            broadcast(frame)
        case .outOfRange(let symbol):
            // A bookTicker with a negative bid: well-formed, but not a price.
            send(symbol, "bookTicker", #"{"u":1,"s":"\#(symbol)","b":"-1.00000000","B":"1.00000000","a":"1.00000000","A":"1.00000000"}"#)
        }
    }

    // MARK: Market

    private func step() {
        let now = clock.wallMilliseconds()
        let marks = futures && now - lastMarkAt >= 1000
        if marks { lastMarkAt = now }
        for symbol in books.keys.sorted() {
            guard var b = books[symbol] else { continue }
            let (bidChanges, askChanges) = b.levels.step(&rng)
            let first = b.nextFirst, previous = b.updateId
            // Futures events also cover updates that netted out, and ids skip between events.
            b.updateId = first + UInt64(bidChanges.count + askChanges.count) - 1 + (futures ? rng.next() % 3 : 0)
            b.nextFirst = b.updateId + 1 + (futures ? rng.next() % 4 : 0)
            books[symbol] = b
            if marks && !silence.isOn(clock) { sendMarkPrice(symbol, b, now: now) }
            guard !silence.isOn(clock), !clients.isEmpty, !quietSymbols.contains(symbol) else { continue }
            if pendingGaps.remove(symbol) != nil || pendingGaps.remove(BinanceSymbols(settles: config.market.settles).unified(symbol)) != nil {
                clients.stats.withLock { $0.gapsInjected += 1 }
                continue  // lost: the next update's U will not follow on
            }
            send(
                symbol, "depth@100ms",
                Self.depthUpdate(
                    symbol, first: first, last: b.updateId, previous: futures ? previous : nil, bids: bidChanges, asks: askChanges, time: now))
            if let tb = b.levels.top(bids: 1).first, let ta = b.levels.top(asks: 1).first {
                let quote =
                    #""u":\#(b.updateId),"s":"\#(symbol)","b":"\#(Self.text(tb.0))","B":"\#(Self.text(tb.1))","a":"\#(Self.text(ta.0))","A":"\#(Self.text(ta.1))""#
                send(symbol, "bookTicker", futures ? #"{"e":"bookTicker",\#(quote),"T":\#(now),"E":\#(now)}"# : "{\(quote)}")
            }
            if rng.next() % 4 == 0 {
                aggregateID += 1
                let buyerMaker = rng.next() % 2 == 0
                let price = buyerMaker ? b.levels.bestBid : b.levels.bestAsk
                let q = Self.text(Double(1 + rng.next() % 30) / 100)
                send(
                    symbol, "aggTrade",
                    #"{"e":"aggTrade","E":\#(now),"s":"\#(symbol)","a":\#(aggregateID),"p":"\#(Self.text(price))","q":"\#(q)","f":\#(aggregateID * 3),"l":\#(aggregateID * 3),"T":\#(now),"m":\#(buyerMaker)\#(futures ? "" : #","M":true"#)}"#
                )
                if !futures {  // futures have no trade stream
                    send(
                        symbol, "trade",
                        #"{"e":"trade","E":\#(now),"s":"\#(symbol)","t":\#(aggregateID * 3),"p":"\#(Self.text(price))","q":"\#(q)","T":\#(now),"m":\#(buyerMaker),"M":true}"#
                    )
                }
            }
        }
    }

    /// `markPriceUpdate`: the mark at the mid, the index a little below, funding near 0.01 % per
    /// 8 hours, the next funding at the next 8-hour boundary. Delivery contracts (`BTCUSDT_250328`)
    /// have no funding: `"r":""`, `"T":0`, as the venue sends them.
    private func sendMarkPrice(_ symbol: String, _ b: Book, now: Int64) {
        let mark = b.levels.mid, premium = 0.0002 + Double(rng.next() % 100) / 1_000_000
        let index = mark * (1 - premium)
        let rate = symbol.contains("_") ? "" : Self.text(0.0001 + Double(Int(rng.next() % 21) - 10) / 1_000_000)
        let period: Int64 = 8 * 3_600_000
        let next = symbol.contains("_") ? 0 : (now / period + 1) * period
        send(
            symbol, "markPrice@1s",
            #"{"e":"markPriceUpdate","E":\#(now),"s":"\#(symbol)","p":"\#(Self.text(mark))","i":"\#(Self.text(index))","P":"\#(Self.text(index))","r":"\#(rate)","T":\#(next)}"#
        )
    }

    static func text(_ v: Double) -> String { String(format: "%.8f", v) }

    static func depthUpdate(
        _ symbol: String, first: UInt64, last: UInt64, previous: UInt64? = nil, bids: [(Double, Double)], asks: [(Double, Double)], time: Int64
    ) -> String {
        func levels(_ l: [(Double, Double)]) -> String { "[" + l.map { #"["\#(text($0.0))","\#(text($0.1))"]"# }.joined(separator: ",") + "]" }
        // Futures add the transaction time and the previous event's last id.
        let futures = previous.map { #","T":\#(time),"pu":\#($0)"# } ?? ""
        return #"{"e":"depthUpdate","E":\#(time)\#(futures),"s":"\#(symbol)","U":\#(first),"u":\#(last),"b":\#(levels(bids)),"a":\#(levels(asks))}"#
    }

    /// Sends `data` as a combined-stream frame to every client subscribed to `symbol@stream`.
    private func send(_ symbol: String, _ stream: String, _ data: String) {
        let name = "\(symbol.lowercased())@\(stream)"
        var frame: [UInt8]?
        for c in clients.values where c.streams[symbol]?.contains(stream) == true {
            frame = frame ?? Array(#"{"stream":"\#(name)","data":\#(data)}"#.utf8)
            enqueue(frame!, to: c)
        }
    }

    private func broadcast(_ frame: [UInt8]) {
        for c in clients.values { enqueue(frame, to: c) }
    }

    private func enqueue(_ frame: [UInt8], to c: Client) {
        c.send(frame, limit: config.maxQueuedFrames)
    }

    // MARK: REST

    public func handle(_ request: HTTPRequest, respond: HTTPResponder) {
        guard request.path == config.market.depthPath else {
            return respond(HTTPResponse(status: 404, body: Array(#"{"code":-1,"msg":"not found"}"#.utf8)))
        }
        guard let symbol = request.queryItems["symbol"], let b = books[symbol] else {
            return respond(HTTPResponse(status: 400, body: Array(#"{"code":-1121,"msg":"Invalid symbol."}"#.utf8)))
        }
        if quietSymbols.contains(symbol) {
            return respond(
                HTTPResponse(status: 429, body: Array(#"{"code":-1003,"msg":"Too many requests; current limit is 6000 request weight per 1 MINUTE."}"#.utf8)))
        }
        let limit = min(config.market.snapshotLimits.last ?? 1000, max(1, Int(request.queryItems["limit"] ?? "100") ?? 100))
        func levels(_ l: [(Double, Double)]) -> String { "[" + l.map { #"["\#(Self.text($0.0))","\#(Self.text($0.1))"]"# }.joined(separator: ",") + "]" }
        // Futures: the snapshot's id is the last event's `u`, the next event's `U`, or inside the
        // next event's range (its first six ids are always in it: a step changes at least three
        // levels a side) — whichever event covers it is applied whole, as on the venue. The
        // message and transaction times come with it.
        let now = clock.wallMilliseconds()
        let id = !futures ? b.updateId : [b.updateId, b.nextFirst, b.nextFirst + 1 + rng.next() % 5][Int(rng.next() % 3)]
        let head = futures ? #""lastUpdateId":\#(id),"E":\#(now),"T":\#(now)"# : #""lastUpdateId":\#(id)"#
        let body = #"{\#(head),"bids":\#(levels(b.levels.top(bids: limit))),"asks":\#(levels(b.levels.top(asks: limit)))}"#
        clients.stats.withLock { $0.snapshots += 1 }
        respond(HTTPResponse(status: 200, body: Array(body.utf8)))
    }

    // MARK: WebSocketHandler

    public func webSocketOpened(_ connection: WebSocketConnection) {
        let c = Client(connection)
        // `streams=btcusdt@aggTrade/btcusdt@bookTicker/btcusdt@depth@100ms/btcusdt@markPrice@1s`
        for arg in connection.query.split(separator: "&") where arg.hasPrefix("streams=") {
            for name in arg.dropFirst(8).split(separator: "/") {
                guard let at = name.firstIndex(of: "@") else { continue }
                c.streams[name[..<at].uppercased(), default: []].insert(String(name[name.index(after: at)...]))
            }
        }
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
        // SUBSCRIBE/UNSUBSCRIBE: acknowledged (the combined-stream URL already chose the streams).
        guard let c = connection.context as? Client, case .text(let bytes) = message else { return }
        let text = String(decoding: bytes, as: UTF8.self)
        let id = text.range(of: #""id":\s*(\d+)"#, options: .regularExpression).map { text[$0].filter(\.isNumber) } ?? "null"
        enqueue(Array(#"{"result":null,"id":\#(id)}"#.utf8), to: c)
    }
}
