import DequeModule
import Foundation
import HubCore
import Synchronization
import WebSocketLoop

/// How the ORCA simulator listens and behaves.
public struct OrcaSimulatorConfig: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 0
    /// Streams offered: `soccer` and `basketball` have generated events.
    public var streams = ["soccer", "basketball"]
    public var stepMilliseconds = 100
    public var heartbeatMs = 5000
    /// Deltas kept per stream for resuming.
    public var retention = 10_000
    public var seed: UInt64 = 23
    public var maxQueuedFrames = 50_000
    public init() {}
}

/// An ORCA `orca.v1` odds stream on loopback (`/orca/v1/stream`), as defined in
/// docs/feeds/orca.md: `hello`, snapshots, numbered deltas per stream, heartbeats with the last
/// `seq` per stream, resume from a `seq` out of the retained deltas. Prices come from fair
/// probabilities that drift, quoted by five bookmakers with their own margins.
///
/// Threading: runs its own event loop thread; `inject`, `stop` and the stats are thread-safe.
public final class OrcaSimulator: WebSocketHandler, VenueSimulator, @unchecked Sendable {
    public static let path = "/orca/v1/stream"
    public static let bookmakers: [(name: String, margin: Double)] = [
        ("pinnacle", 0.02), ("betfair", 0.015), ("bet365", 0.05), ("draftkings", 0.045), ("fanduel", 0.045),
    ]

    public let config: OrcaSimulatorConfig
    private var loop: EventLoop!
    private var streams: [String: SimStream] = [:]
    private var rng: SplitMix64
    private var silence = SilenceWindow()
    private var withhold: Set<String> = []
    private let startedAt: Int64
    private let clients = SimulatorConnections<Client, Stats>()

    public struct Stats: SimulatorStats, Equatable {
        public var connections = 0
        public var accepted = 0
        public var framesSent: UInt64 = 0
        public var snapshots = 0
        public var resumes = 0
        public var deltasReplayed = 0
        public var gapsInjected = 0
    }

    struct SimMarket {
        var id: String
        var type: String
        var line: Double?
        var outcomes: [(id: String, name: String, participant: String?)]
        var fair: [Double]
        /// Each bookmaker's prices (per outcome) and when it last quoted: what snapshots show.
        var quotes: [String: (decimals: [Double], at: Int64)] = [:]

        /// The bookmaker quotes the current fair probabilities at its margin.
        mutating func requote(_ book: (name: String, margin: Double), at: Int64) {
            quotes[book.name] = (fair.map { OrcaSimulator.decimal($0, margin: book.margin) }, at)
        }
    }

    struct SimEvent {
        var id: String
        var sport: String
        var league: String
        var participants: [String]
        var commence: Int64
        var status = "prematch"
        var markets: [SimMarket]
    }

    struct SimStream {
        var seq: Int64 = 0
        var events: [SimEvent] = []
        var history: Deque<(seq: Int64, text: String)> = []
    }

    final class Client: SimulatorClient {
        var streams: Set<String> = []
    }

    /// Where the simulator reads time (a manual clock in tests).
    public let clock: HubClock

    /// - Parameter clock: message timestamps, the market's time and fault deadlines (silence).
    public init(config: OrcaSimulatorConfig = OrcaSimulatorConfig(), clock: HubClock = SystemClock()) throws {
        self.config = config
        self.clock = clock
        startedAt = clock.wallMilliseconds()
        rng = SplitMix64(seed: config.seed)
        var lc = LoopConfiguration(listen: .init(host: config.host, port: config.port))
        lc.webSocketPath = Self.path
        lc.maxMessageBytes = 1 << 16
        lc.clientTLS = false
        loop = try EventLoop(configuration: lc, webSocketHandler: self)
        let start = (clock.wallMilliseconds() / 3_600_000 + 24) * 3_600_000
        for s in config.streams {
            var events = Self.events(s, start: start)
            for e in events.indices {
                for m in events[e].markets.indices { for b in Self.bookmakers { events[e].markets[m].requote(b, at: startedAt) } }
            }
            streams[s] = SimStream(events: events)
        }
    }

    public var port: Int { loop.port }
    public var url: String { "ws://\(config.host):\(port)\(Self.path)" }
    public var currentStats: Stats { clients.stats.withLock { $0 } }

    public func start() {
        loop.start(name: "orca-sim")
        loop.execute { [self] in
            loop.every(Double(config.stepMilliseconds) / 1000) { [weak self] in self?.step() }
            loop.every(Double(config.heartbeatMs) / 1000) { [weak self] in self?.heartbeat() }
        }
    }

    public func stop() { loop.stop() }

    public func inject(_ fault: SimulatorFault) {
        loop.execute { [self] in apply(fault) }
    }

    /// Publishes one bookmaker's price as a numbered delta, as if the bookmaker moved it (tests
    /// drive markets into and out of arbitrage). The next step that requotes that bookmaker and
    /// market returns it to the simulated price.
    public func quote(event: String, market: String, outcome: String, bookmaker: String, decimal: Double) {
        loop.execute { [self] in
            guard let name = streams.keys.sorted().first(where: { streams[$0]!.events.contains { $0.id == event } }),
                let ei = streams[name]!.events.firstIndex(where: { $0.id == event }),
                let mi = streams[name]!.events[ei].markets.firstIndex(where: { $0.id == market }),
                let k = streams[name]!.events[ei].markets[mi].outcomes.firstIndex(where: { $0.id == outcome }),
                streams[name]!.events[ei].markets[mi].quotes[bookmaker] != nil
            else { return }
            let now = clock.wallMilliseconds()
            // Stored like any quote, so snapshots and resumes agree.
            streams[name]!.events[ei].markets[mi].quotes[bookmaker]!.decimals[k] = decimal
            streams[name]!.events[ei].markets[mi].quotes[bookmaker]!.at = now
            publish(
                name,
                [
                    #"{"kind":"price","eventId":"\#(event)","marketId":"\#(market)","outcomeId":"\#(outcome)","bookmaker":"\#(bookmaker)","decimal":"\#(String(format: "%.4f", decimal))","american":\#(Self.american(decimal)),"updatedAt":\#(now),"suspended":false}"#
                ])
        }
    }

    // MARK: Generated events

    static func events(_ sport: String, start: Int64) -> [SimEvent] {
        func ml3(_ h: String, _ a: String, _ p: [Double]) -> SimMarket {
            SimMarket(id: "ML", type: "moneyline", outcomes: [("home", h, h), ("draw", "Draw", nil), ("away", a, a)], fair: p)
        }
        func ml2(_ h: String, _ a: String, _ p: Double) -> SimMarket {
            SimMarket(id: "ML", type: "moneyline", outcomes: [("home", h, h), ("away", a, a)], fair: [p, 1 - p])
        }
        func spread(_ h: String, _ a: String, _ line: Double) -> SimMarket {
            SimMarket(
                id: "SP\(text(line, sign: true))", type: "spread", line: line,
                outcomes: [("home", "\(h) \(text(line))", h), ("away", "\(a) \(text(-line, sign: true))", a)], fair: [0.5, 0.5])
        }
        func total(_ line: Double) -> SimMarket {
            SimMarket(
                id: "TOT-\(text(line))", type: "total", line: line, outcomes: [("over", "Over \(text(line))", nil), ("under", "Under \(text(line))", nil)],
                fair: [0.5, 0.5])
        }
        switch sport {
        case "soccer":
            return [
                SimEvent(
                    id: "EPL-ARS-CHE", sport: sport, league: "EPL", participants: ["Arsenal", "Chelsea"], commence: start,
                    markets: [ml3("Arsenal", "Chelsea", [0.46, 0.27, 0.27]), spread("Arsenal", "Chelsea", -0.5), total(2.5)]),
                SimEvent(
                    id: "EPL-LIV-MCI", sport: sport, league: "EPL", participants: ["Liverpool", "Manchester City"], commence: start + 9_000_000,
                    markets: [ml3("Liverpool", "Manchester City", [0.38, 0.26, 0.36]), total(3.5)]),
                SimEvent(
                    id: "LALIGA-RMA-FCB", sport: sport, league: "La Liga", participants: ["Real Madrid", "Barcelona"], commence: start + 86_400_000,
                    markets: [ml3("Real Madrid", "Barcelona", [0.41, 0.25, 0.34]), total(2.5)]),
            ]
        case "basketball":
            return [
                SimEvent(
                    id: "NBA-LAL-BOS", sport: sport, league: "NBA", participants: ["Los Angeles Lakers", "Boston Celtics"], commence: start + 3_600_000,
                    markets: [ml2("Los Angeles Lakers", "Boston Celtics", 0.42), spread("Los Angeles Lakers", "Boston Celtics", 3.5), total(221.5)]),
                SimEvent(
                    id: "NBA-GSW-DEN", sport: sport, league: "NBA", participants: ["Golden State Warriors", "Denver Nuggets"], commence: start + 7_200_000,
                    markets: [ml2("Golden State Warriors", "Denver Nuggets", 0.47), spread("Golden State Warriors", "Denver Nuggets", 1.5), total(229.5)]),
            ]
        default:
            return []
        }
    }

    static func text(_ v: Double, sign: Bool = false) -> String {
        let s = v == v.rounded() ? String(format: "%.1f", v) : String(format: "%g", v)
        return sign && v > 0 ? "+" + s : s
    }

    /// Decimal odds of a fair probability at a bookmaker's margin (two decimals, at least 1.01).
    static func decimal(_ p: Double, margin: Double) -> Double {
        max(1.01, (100 / (p * (1 + margin))).rounded(.down) / 100)
    }

    static func american(_ d: Double) -> Int {
        d >= 2 ? Int(((d - 1) * 100).rounded()) : -Int((100 / (d - 1)).rounded())
    }

    // MARK: Wire text

    /// One bookmaker's stored price for outcome `k`.
    private func priceText(_ m: SimMarket, _ k: Int, _ book: String, suspended: Bool) -> String {
        let q = m.quotes[book]!
        return
            #""bookmaker":"\#(book)","decimal":"\#(String(format: "%.4f", q.decimals[k]))","american":\#(Self.american(q.decimals[k])),"updatedAt":\#(q.at),"suspended":\#(suspended)"#
    }

    private func marketText(_ m: SimMarket, _ e: SimEvent) -> String {
        let outcomes = m.outcomes.indices.map { k -> String in
            let o = m.outcomes[k]
            let prices = Self.bookmakers.filter { m.quotes[$0.name] != nil }.map { "{" + priceText(m, k, $0.name, suspended: e.status == "suspended") + "}" }
                .joined(separator: ",")
            let participant = o.participant.map { #","participant":"\#($0)""# } ?? ""
            return #"{"outcomeId":"\#(o.id)","name":"\#(o.name)"\#(participant),"prices":[\#(prices)]}"#
        }.joined(separator: ",")
        let line = m.line.map { #","line":"\#(Self.text($0))""# } ?? ""
        return #"{"marketId":"\#(m.id)","marketType":"\#(m.type)"\#(line),"outcomes":[\#(outcomes)]}"#
    }

    private func eventText(_ e: SimEvent) -> String {
        let start = Date(timeIntervalSince1970: Double(e.commence) / 1000).formatted(.iso8601)
        let participants = e.participants.map { "\"\($0)\"" }.joined(separator: ",")
        return
            #"{"eventId":"\#(e.id)","sport":"\#(e.sport)","league":"\#(e.league)","participants":[\#(participants)],"commenceTime":"\#(start)","status":"\#(e.status)","markets":[\#(e.markets.map { marketText($0, e) }.joined(separator: ","))]}"#
    }

    private func snapshotText(_ name: String) -> String {
        let s = streams[name]!
        return
            #"{"type":"snapshot","stream":"\#(name)","seq":\#(s.seq),"ts":\#(clock.wallMilliseconds()),"events":[\#(s.events.map(eventText).joined(separator: ","))]}"#
    }

    // MARK: Behaviour

    /// Numbers, retains and sends one delta of `stream` (unless a fault withholds it).
    private func publish(_ stream: String, _ changes: [String]) {
        guard !changes.isEmpty else { return }
        var s = streams[stream]!
        s.seq += 1
        let text = #"{"type":"delta","stream":"\#(stream)","seq":\#(s.seq),"ts":\#(clock.wallMilliseconds()),"changes":[\#(changes.joined(separator: ","))]}"#
        s.history.append((s.seq, text))
        if s.history.count > config.retention { s.history.removeFirst() }
        streams[stream] = s
        if withhold.remove(stream) != nil { return }  // "lost in transit"; kept for resumes
        guard !silence.isOn(clock) else { return }
        let bytes = Array(text.utf8)
        for c in clients.values where c.streams.contains(stream) { enqueue(bytes, to: c) }
    }

    private func step() {
        let names = streams.keys.sorted().filter { !streams[$0]!.events.isEmpty }
        guard !names.isEmpty else { return }
        let name = names[Int(rng.next() % UInt64(names.count))]
        var s = streams[name]!
        let ei = Int(rng.next() % UInt64(s.events.count))
        var e = s.events[ei]
        let now = clock.wallMilliseconds()
        var changes: [String] = []
        let roll = rng.next() % 100
        if roll < 3 {
            // The event's status moves on: prematch → live ⇄ suspended.
            e.status = e.status == "prematch" ? "live" : e.status == "live" ? "suspended" : "live"
            changes.append(#"{"kind":"eventStatus","eventId":"\#(e.id)","status":"\#(e.status)"}"#)
        } else if roll < 5, let ti = e.markets.firstIndex(where: { $0.type == "total" }) {
            // A line move: the total market is replaced by one half a point away.
            let old = e.markets[ti]
            var line = old.line! + (rng.next() % 2 == 0 ? 0.5 : -0.5)
            if line < 0.5 { line = old.line! + 0.5 }
            var m = SimMarket(
                id: "TOT-\(Self.text(line))", type: "total", line: line,
                outcomes: [("over", "Over \(Self.text(line))", nil), ("under", "Under \(Self.text(line))", nil)], fair: [0.5, 0.5])
            m.fair = [0.45 + Double(rng.next() % 10) / 100, 0]
            m.fair[1] = 1 - m.fair[0]
            for b in Self.bookmakers { m.requote(b, at: now) }
            e.markets[ti] = m
            changes.append(#"{"kind":"market","eventId":"\#(e.id)","market":\#(marketText(m, e))}"#)
            changes.append(#"{"kind":"marketRemoved","eventId":"\#(e.id)","marketId":"\#(old.id)"}"#)
        } else {
            // Fair probabilities drift; one bookmaker requotes the market.
            let mi = Int(rng.next() % UInt64(e.markets.count))
            var m = e.markets[mi]
            let k = Int(rng.next() % UInt64(m.fair.count))
            m.fair[k] = min(0.9, max(0.05, m.fair[k] * (0.97 + Double(rng.next() % 61) / 1000)))
            let sum = m.fair.reduce(0, +)
            m.fair = m.fair.map { $0 / sum }
            let book = Self.bookmakers[Int(rng.next() % UInt64(Self.bookmakers.count))]
            m.requote(book, at: now)
            e.markets[mi] = m
            for k in m.outcomes.indices {
                changes.append(
                    #"{"kind":"price","eventId":"\#(e.id)","marketId":"\#(m.id)","outcomeId":"\#(m.outcomes[k].id)",\#(priceText(m, k, book.name, suspended: e.status == "suspended"))}"#
                )
            }
        }
        s.events[ei] = e
        streams[name] = s
        publish(name, changes)
    }

    private func heartbeat() {
        guard !silence.isOn(clock) else { return }
        let ts = clock.wallMilliseconds()
        for c in clients.values {
            let seqs = c.streams.sorted().map { #""\#($0)":\#(streams[$0]!.seq)"# }.joined(separator: ",")
            enqueue(Array(#"{"type":"heartbeat","ts":\#(ts),"seqs":{\#(seqs)}}"#.utf8), to: c)
        }
    }

    private func apply(_ fault: SimulatorFault) {
        switch fault {
        case .gap(let stream):
            withhold.insert(streams[stream] != nil ? stream : streams.keys.sorted().first!)
            clients.stats.withLock { $0.gapsInjected += 1 }
        case .dropConnections: for c in clients.values { c.connection.kill() }
        case .malformedFrame: for c in clients.values { enqueue(Array(#"{"type":"delta","stream":"soccer","seq":"#.utf8), to: c) }
        case .silence(let seconds): silence.begin(seconds: seconds, clock: clock)
        case .oversizedFrame(let bytes):
            var frame = Array(#"{"type":"heartbeat","seqs":{},"padding":""#.utf8)
            frame.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: max(0, bytes - frame.count - 2)))
            frame.append(contentsOf: #""}"#.utf8)
            for c in clients.values { enqueue(frame, to: c) }
        case .outOfRange(let stream):
            // Decimal odds below 1: well-formed, impossible. Numbered like any delta.
            let name = streams[stream] != nil ? stream : streams.keys.sorted().first!
            guard let e = streams[name]?.events.first, let m = e.markets.first else { return }
            publish(
                name,
                [
                    #"{"kind":"price","eventId":"\#(e.id)","marketId":"\#(m.id)","outcomeId":"\#(m.outcomes[0].id)","bookmaker":"pinnacle","decimal":"0.5000","american":-200,"updatedAt":\#(clock.wallMilliseconds()),"suspended":false}"#
                ])
        }
    }

    private func enqueue(_ frame: [UInt8], to c: Client) {
        c.send(frame, limit: config.maxQueuedFrames)
    }

    private func send(_ text: String, to c: Client) { enqueue(Array(text.utf8), to: c) }

    private func error(_ c: Client, _ id: Int64?, _ code: String, _ message: String) {
        send(#"{"type":"error"\#(id.map { #","id":\#($0)"# } ?? ""),"code":"\#(code)","message":"\#(message)"}"#, to: c)
    }

    private func command(_ c: Client, _ bytes: UnsafeRawBufferPointer) {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], let op = obj["op"] as? String else {
            return error(c, nil, "BAD_REQUEST", "expected a JSON object with op")
        }
        let id = (obj["id"] as? NSNumber)?.int64Value
        let idText = id.map { #""id":\#($0),"# } ?? ""
        switch op {
        case "ping":
            send(#"{"type":"pong",\#(idText)"ts":\#(clock.wallMilliseconds())}"#, to: c)
        case "subscribe", "unsubscribe":
            guard let name = obj["stream"] as? String else { return error(c, id, "BAD_REQUEST", "stream is required") }
            guard let s = streams[name] else { return error(c, id, "UNKNOWN_STREAM", "no stream '\(name)'") }
            if op == "unsubscribe" {
                guard c.streams.remove(name) != nil else { return error(c, id, "NOT_SUBSCRIBED", "not subscribed to '\(name)'") }
                return send(#"{"type":"unsubscribed",\#(idText)"stream":"\#(name)"}"#, to: c)
            }
            c.streams.insert(name)
            if let from = (obj["fromSeq"] as? NSNumber)?.int64Value {
                let oldest = s.history.first?.seq ?? s.seq + 1
                if from <= s.seq && from >= oldest - 1 {
                    send(#"{"type":"subscribed",\#(idText)"stream":"\#(name)","seq":\#(s.seq),"resumed":true}"#, to: c)
                    var replayed = 0
                    for d in s.history where d.seq > from {
                        send(d.text, to: c)
                        replayed += 1
                    }
                    clients.stats.withLock {
                        $0.resumes += 1
                        $0.deltasReplayed += replayed
                    }
                    return
                }
                error(c, id, "RESUME_UNAVAILABLE", "seq \(from) is not retained (have \(oldest - 1)...\(s.seq))")
            }
            send(#"{"type":"subscribed",\#(idText)"stream":"\#(name)","seq":\#(s.seq),"resumed":false}"#, to: c)
            send(snapshotText(name), to: c)
            clients.stats.withLock { $0.snapshots += 1 }
        default:
            error(c, id, "BAD_REQUEST", "unknown op '\(op)'")
        }
    }

    // MARK: WebSocketHandler

    public func webSocketOpened(_ connection: WebSocketConnection) {
        let c = Client(connection)
        clients.opened(c)
        let names = config.streams.map { "\"\($0)\"" }.joined(separator: ",")
        send(
            #"{"type":"hello","protocol":"orca.v1","serverTime":\#(clock.wallMilliseconds()),"heartbeatMs":\#(config.heartbeatMs),"retention":\#(config.retention),"streams":[\#(names)]}"#,
            to: c)
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
        guard let c = connection.context as? Client else { return }
        switch message {
        case .text(let bytes): command(c, bytes)
        case .binary, .tooBig: error(c, nil, "BAD_REQUEST", "expected a JSON text frame of at most 64 KiB")
        }
    }
}
