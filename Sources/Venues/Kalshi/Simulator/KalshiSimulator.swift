import DequeModule
import Foundation
import HubCore
import Synchronization
import WebSocketLoop

/// How the Kalshi simulator listens and behaves.
public struct KalshiSimulatorConfig: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 0
    /// Market tickers and their starting YES probabilities.
    public var markets: [String: Double] = ["FED-23DEC-T3.00": 0.48, "HIGHNY-22DEC23-B53.5": 0.36]
    /// The API key a client must sign with: its id and the RSA public key (PEM).
    public var keyID = "sim-key"
    public var publicKeyPEM = ""
    /// Send the older integer-cent fields only (`yes`, `price`, `delta`, `yes_price`, `count`)
    /// instead of the fixed-point dollar strings.
    public var legacyCents = false
    public var stepMilliseconds = 100
    public var seed: UInt64 = 17
    public var maxQueuedFrames = 50_000
    public init() {}
}

/// A Kalshi trade API v2 WebSocket simulator on loopback (`/trade-api/ws/v2`). The upgrade is
/// refused unless it carries `KALSHI-ACCESS-KEY` = the configured key id and a valid RSA-PSS
/// `KALSHI-ACCESS-SIGNATURE` of `KALSHI-ACCESS-TIMESTAMP + "GET" + path`. `subscribe` answers
/// one `subscribed` (with a new `sid`) per channel; `orderbook_delta` starts with an
/// `orderbook_snapshot` per market, then deltas; `ticker` and `trade` follow each change. Every
/// subscription numbers its messages (`seq`), except tickers. Shapes as EXAMPLES.md §3.
///
/// Threading: runs its own event loop thread; `inject`, `stop` and the stats are thread-safe.
public final class KalshiSimulator: WebSocketHandler, VenueSimulator, @unchecked Sendable {
    public let config: KalshiSimulatorConfig
    private var loop: EventLoop!
    /// Resting contracts per price in cents, YES bids and NO bids; best YES + best NO < 100.
    private var books: [String: (yes: [Int: Int], no: [Int: Int])] = [:]
    private var volume: [String: Int] = [:]
    private var lastPrice: [String: Int] = [:]
    private var rng: SplitMix64
    private var silence = SilenceWindow()
    private let clients = SimulatorConnections<Client, Stats>()

    public struct Stats: SimulatorStats, Equatable {
        public var connections = 0
        public var accepted = 0
        public var rejectedLogins = 0
        public var framesSent: UInt64 = 0
        public var subscribes = 0
        public var unsubscribes = 0
        public var gapsInjected = 0
    }

    struct Subscription {
        let channel: String
        let markets: Set<String>
        var seq: Int64 = 0
    }

    final class Client: SimulatorClient {
        var subscriptions: [Int64: Subscription] = [:]
        var nextSID: Int64 = 1
    }

    /// Where the simulator reads time (a manual clock in tests).
    public let clock: HubClock

    /// - Parameter clock: message timestamps, the market's time and fault deadlines (silence).
    public init(config: KalshiSimulatorConfig, clock: HubClock = SystemClock()) throws {
        self.config = config
        self.clock = clock
        rng = SplitMix64(seed: config.seed)
        var lc = LoopConfiguration(listen: .init(host: config.host, port: config.port))
        lc.webSocketPath = KalshiAuth.path
        lc.maxMessageBytes = 1 << 20
        lc.clientTLS = false
        lc.captureHeaders = ["kalshi-access-key", "kalshi-access-timestamp", "kalshi-access-signature"]
        loop = try EventLoop(configuration: lc, webSocketHandler: self)
        loop.upgradeFilter = { [weak self] request in
            self?.acceptsLogin(request.headers) == true ? .accept : .refuse(status: 401, message: "invalid Kalshi login")
        }
        for (market, p) in config.markets {
            var yes: [Int: Int] = [:], no: [Int: Int] = [:]
            let mid = Int((p * 100).rounded())
            for i in 1...6 {
                if mid - i >= 1 { yes[mid - i] = 10 + Int(rng.next() % 500) }
                if mid + i <= 99 { no[100 - (mid + i)] = 10 + Int(rng.next() % 500) }
            }
            books[market] = (yes, no)
            volume[market] = 1000 + Int(rng.next() % 50_000)
            lastPrice[market] = mid
        }
    }

    public var port: Int { loop.port }
    public var url: String { "ws://\(config.host):\(port)\(KalshiAuth.path)" }
    public var currentStats: Stats { clients.stats.withLock { $0 } }

    public func start() {
        loop.start(name: "kalshi-sim")
        loop.execute { [self] in
            loop.every(Double(config.stepMilliseconds) / 1000) { [weak self] in self?.step() }
        }
    }

    public func stop() { loop.stop() }

    public func inject(_ fault: SimulatorFault) {
        loop.execute { [self] in apply(fault) }
    }

    private func acceptsLogin(_ headers: [String: String]) -> Bool {
        let ok =
            headers["kalshi-access-key"] == config.keyID
            && KalshiAuth.verify(
                publicKeyPEM: config.publicKeyPEM, timestamp: headers["kalshi-access-timestamp"] ?? "", signature: headers["kalshi-access-signature"] ?? "")
        if !ok { clients.stats.withLock { $0.rejectedLogins += 1 } }
        return ok
    }

    // MARK: Wire text

    static func dollars(_ cents: Int) -> String { String(format: "%.4f", Double(cents) / 100) }
    static func count(_ n: Int) -> String { "\(n).00" }
    static func iso(_ ms: Int64) -> String {
        Date(timeIntervalSince1970: Double(ms) / 1000).formatted(.iso8601)
    }
    static func marketID(_ market: String) -> String {
        var h = UInt64(1_469_598_103_934_665_603)
        for b in market.utf8 { h = (h ^ UInt64(b)) &* 1_099_511_628_211 }
        let x = String(h, radix: 16).padding(toLength: 16, withPad: "0", startingAt: 0)
        return "\(x.prefix(8))-\(x.dropFirst(8).prefix(4))-4\(x.dropFirst(13).prefix(3))-8000-\(x.prefix(12))"
    }

    private func snapshot(_ market: String, sid: Int64, seq: Int64) -> String {
        let b = books[market]!
        func levels(_ side: [Int: Int]) -> String {
            let sorted = side.sorted { $0.key < $1.key }
            if config.legacyCents { return "[" + sorted.map { "[\($0.key),\($0.value)]" }.joined(separator: ",") + "]" }
            return "[" + sorted.map { #"["\#(Self.dollars($0.key))","\#(Self.count($0.value))"]"# }.joined(separator: ",") + "]"
        }
        let (y, n) = config.legacyCents ? ("yes", "no") : ("yes_dollars_fp", "no_dollars_fp")
        var body = #""market_ticker":"\#(market)","market_id":"\#(Self.marketID(market))""#
        if !b.yes.isEmpty { body += #","\#(y)":\#(levels(b.yes))"# }
        if !b.no.isEmpty { body += #","\#(n)":\#(levels(b.no))"# }
        return #"{"type":"orderbook_snapshot","sid":\#(sid),"seq":\#(seq),"msg":{\#(body)}}"#
    }

    private func delta(_ market: String, cents: Int, delta: Int, yes: Bool, sid: Int64, seq: Int64, ms: Int64) -> String {
        let values =
            config.legacyCents
            ? #""price":\#(cents),"delta":\#(delta)"#
            : #""price_dollars":"\#(Self.dollars(cents))","delta_fp":"\#(delta).00""#
        return
            #"{"type":"orderbook_delta","sid":\#(sid),"seq":\#(seq),"msg":{"market_ticker":"\#(market)","market_id":"\#(Self.marketID(market))",\#(values),"side":"\#(yes ? "yes" : "no")","ts":"\#(Self.iso(ms))","ts_ms":\#(ms)}}"#
    }

    private func ticker(_ market: String, sid: Int64, ms: Int64, priceCents: Int? = nil) -> String {
        let b = books[market]!
        let bid = b.yes.keys.max() ?? 0, ask = 100 - (b.no.keys.max() ?? 0)
        let price = priceCents ?? lastPrice[market]!, vol = volume[market]!, oi = vol / 2
        let values =
            config.legacyCents
            ? #""price":\#(price),"yes_bid":\#(bid),"yes_ask":\#(ask),"volume":\#(vol),"open_interest":\#(oi)"#
            : #""price_dollars":"\#(Self.dollars(price))","yes_bid_dollars":"\#(Self.dollars(bid))","yes_ask_dollars":"\#(Self.dollars(ask))","volume_fp":"\#(Self.count(vol))","open_interest_fp":"\#(Self.count(oi))","ts_ms":\#(ms)"#
        return #"{"type":"ticker","sid":\#(sid),"msg":{"market_ticker":"\#(market)","market_id":"\#(Self.marketID(market))",\#(values),"ts":\#(ms / 1000)}}"#
    }

    private func trade(_ market: String, yesCents: Int, count: Int, takerYes: Bool, sid: Int64, seq: Int64, ms: Int64) -> String {
        let id = "\(String(rng.next(), radix: 16))-\(ms)"
        if config.legacyCents {
            return
                #"{"type":"trade","sid":\#(sid),"msg":{"trade_id":"\#(id)","market_ticker":"\#(market)","yes_price":\#(yesCents),"no_price":\#(100 - yesCents),"count":\#(count),"taker_side":"\#(takerYes ? "yes" : "no")","ts":\#(ms / 1000)}}"#
        }
        return
            #"{"type":"trade","sid":\#(sid),"seq":\#(seq),"msg":{"trade_id":"\#(id)","market_ticker":"\#(market)","yes_price_dollars":"\#(Self.dollars(yesCents))","no_price_dollars":"\#(Self.dollars(100 - yesCents))","count_fp":"\#(Self.count(count))","taker_side":"\#(takerYes ? "yes" : "no")","ts":\#(ms / 1000),"ts_ms":\#(ms)}}"#
    }

    // MARK: Behaviour

    private func apply(_ fault: SimulatorFault) {
        switch fault {
        case .gap(let market):
            // Skip one book sequence number of every subscription that carries the market.
            for c in clients.values {
                for (sid, s) in c.subscriptions where s.channel == "orderbook_delta" && (s.markets.contains(market) || books[market] == nil) {
                    c.subscriptions[sid]!.seq += 1
                }
            }
            clients.stats.withLock { $0.gapsInjected += 1 }
        case .dropConnections: for c in clients.values { c.connection.kill() }
        case .malformedFrame: for c in clients.values { enqueue(Array(#"{"type":"orderbook_delta","sid":1,"seq":"#.utf8), to: c) }
        case .silence(let seconds): silence.begin(seconds: seconds, clock: clock)
        case .oversizedFrame(let bytes):
            var frame = Array(#"{"type":"padding","msg":{"x":""#.utf8)
            frame.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: max(0, bytes - frame.count - 3)))
            frame.append(contentsOf: #""}}"#.utf8)
            for c in clients.values { enqueue(frame, to: c) }
        case .outOfRange(let market):
            // A last price of $1.50 on a $1 contract: well-formed, impossible.
            let ms = clock.wallMilliseconds()
            for c in clients.values {
                for (sid, s) in c.subscriptions where s.channel == "ticker" && s.markets.contains(market) {
                    enqueue(Array(ticker(market, sid: sid, ms: ms, priceCents: 150).utf8), to: c)
                }
            }
        }
    }

    private func step() {
        let ms = clock.wallMilliseconds()
        // A silent venue is frozen: books and sequence numbers resume where they stopped.
        guard !books.isEmpty, !silence.isOn(atMillis: ms) else { return }
        let markets = books.keys.sorted()
        let market = markets[Int(rng.next() % UInt64(markets.count))]
        var b = books[market]!
        let bestYes = b.yes.keys.max() ?? 0, bestNo = b.no.keys.max() ?? 0
        // One level near the top changes, keeping best YES + best NO below $1 (uncrossed).
        let yes = rng.next() % 2 == 0
        var cents = (yes ? bestYes : bestNo) - Int(rng.next() % 3) + (rng.next() % 4 == 0 ? 1 : 0)
        cents = max(1, min(cents, 99 - (yes ? bestNo : bestYes)))
        let resting = (yes ? b.yes[cents] : b.no[cents]) ?? 0
        var change = rng.next() % 5 == 0 ? -resting : Int(rng.next() % 300) - 100
        change = max(-resting, change)
        if change == 0 { change = 10 }
        let after = resting + change
        if yes { b.yes[cents] = after > 0 ? after : nil } else { b.no[cents] = after > 0 ? after : nil }
        books[market] = b
        let traded = rng.next() % 4 == 0
        var tradeText: (Int, Int, Bool)?
        if traded {
            let takerYes = rng.next() % 2 == 0
            let price = takerYes ? 100 - (b.no.keys.max() ?? 1) : (b.yes.keys.max() ?? 1)
            let n = 1 + Int(rng.next() % 200)
            volume[market]! += n
            lastPrice[market] = max(1, min(99, price))
            tradeText = (lastPrice[market]!, n, takerYes)
        }
        for c in clients.values {
            for sid in c.subscriptions.keys.sorted() {
                guard let s = c.subscriptions[sid], s.markets.contains(market) else { continue }
                switch s.channel {
                case "orderbook_delta":
                    c.subscriptions[sid]!.seq += 1
                    enqueue(Array(delta(market, cents: cents, delta: change, yes: yes, sid: sid, seq: c.subscriptions[sid]!.seq, ms: ms).utf8), to: c)
                case "ticker":
                    enqueue(Array(ticker(market, sid: sid, ms: ms).utf8), to: c)
                case "trade":
                    guard let (price, n, takerYes) = tradeText else { continue }
                    c.subscriptions[sid]!.seq += 1
                    enqueue(Array(trade(market, yesCents: price, count: n, takerYes: takerYes, sid: sid, seq: c.subscriptions[sid]!.seq, ms: ms).utf8), to: c)
                default: continue
                }
            }
        }
    }

    private func enqueue(_ frame: [UInt8], to c: Client) {
        c.send(frame, limit: config.maxQueuedFrames)
    }

    private func reply(_ c: Client, id: Int64?, error code: Int, _ message: String) {
        let idText = id.map { #""id":\#($0),"# } ?? ""
        enqueue(Array(#"{\#(idText)"type":"error","msg":{"code":\#(code),"msg":"\#(message)"}}"#.utf8), to: c)
    }

    private func command(_ c: Client, _ bytes: UnsafeRawBufferPointer) {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            return reply(c, id: nil, error: 1, "Unable to process message")
        }
        let id = (obj["id"] as? NSNumber)?.int64Value
        let params = obj["params"] as? [String: Any] ?? [:]
        switch obj["cmd"] as? String {
        case "subscribe":
            guard let channels = params["channels"] as? [String], !channels.isEmpty else { return reply(c, id: id, error: 3, "Channels required") }
            let markets = Set((params["market_tickers"] as? [String]) ?? [params["market_ticker"] as? String].compactMap { $0 })
            guard !markets.isEmpty else { return reply(c, id: id, error: 14, "Market ticker required") }
            guard markets.allSatisfy({ books[$0] != nil }) else { return reply(c, id: id, error: 16, "Market not found") }
            clients.stats.withLock { $0.subscribes += 1 }
            let ms = clock.wallMilliseconds()
            for channel in channels {
                guard ["orderbook_delta", "ticker", "trade"].contains(channel) else {
                    reply(c, id: id, error: 8, "Unknown channel name")
                    continue
                }
                let sid = c.nextSID
                c.nextSID += 1
                c.subscriptions[sid] = Subscription(channel: channel, markets: markets)
                enqueue(Array(#"{"id":\#(id ?? 0),"type":"subscribed","msg":{"channel":"\#(channel)","sid":\#(sid)}}"#.utf8), to: c)
                for market in markets.sorted() where books[market] != nil {
                    if channel == "orderbook_delta" {
                        c.subscriptions[sid]!.seq += 1
                        enqueue(Array(snapshot(market, sid: sid, seq: c.subscriptions[sid]!.seq).utf8), to: c)
                    } else if channel == "ticker", params["send_initial_snapshot"] as? Bool == true {
                        enqueue(Array(ticker(market, sid: sid, ms: ms).utf8), to: c)
                    }
                }
            }
        case "list_subscriptions":
            // A silent venue answers nothing.
            guard !silence.isOn(clock) else { return }
            let subs = c.subscriptions.keys.sorted().map { #"{"channel":"\#(c.subscriptions[$0]!.channel)","sid":\#($0)}"# }.joined(separator: ",")
            enqueue(Array(#"{"id":\#(id ?? 0),"type":"ok","msg":[\#(subs)]}"#.utf8), to: c)
        case "unsubscribe":
            guard let sids = params["sids"] as? [NSNumber] else { return reply(c, id: id, error: 4, "Subscription IDs required") }
            clients.stats.withLock { $0.unsubscribes += 1 }
            for sid in sids.map(\.int64Value) {
                guard let s = c.subscriptions.removeValue(forKey: sid) else {
                    reply(c, id: id, error: 7, "Unknown subscription ID")
                    continue
                }
                enqueue(Array(#"{"id":\#(id ?? 0),"sid":\#(sid),"seq":\#(s.seq),"type":"unsubscribed"}"#.utf8), to: c)
            }
        default:
            reply(c, id: id, error: 5, "Unknown command")
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
        command(c, bytes)
    }
}
