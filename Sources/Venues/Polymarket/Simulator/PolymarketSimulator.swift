import DequeModule
import Foundation
import HubCore
import Synchronization
import WebSocketLoop

/// How the Polymarket simulator listens and behaves.
public struct PolymarketSimulatorConfig: Sendable, Equatable {
    public var host = "127.0.0.1"
    public var port = 0
    /// Outcome token ids and their starting probabilities.
    public var assets: [String: Double] = [
        "65818619657568813474341868652308942079804919287380422192892211131408793125422": 0.49,
        "71321045679252212594626385532706912750332728571942532289631379312455583992563": 0.51,
    ]
    public var stepMilliseconds = 100
    public var seed: UInt64 = 13
    public var maxQueuedFrames = 50_000
    public init() {}
}

/// A Polymarket CLOB market-channel simulator on loopback (`/ws/market`): the subscription
/// message is answered with a JSON array of `book` events, then `price_change` (with the best
/// prices after each change), `last_trade_price` and — with `custom_feature_enabled` —
/// `best_bid_ask`; the text `PING` is answered with `PONG`. Shapes as EXAMPLES.md §2.
///
/// Threading: runs its own event loop thread; `inject`, `stop` and the stats are thread-safe.
public final class PolymarketSimulator: WebSocketHandler, VenueSimulator, @unchecked Sendable {
    public let config: PolymarketSimulatorConfig
    private var loop: EventLoop!
    private var books: [String: (bids: [Double: Double], asks: [Double: Double])] = [:]
    private var rng: SplitMix64
    private var silence = SilenceWindow()
    private let clients = SimulatorConnections<Client, Stats>()
    static let market = "0xbd31dc8a20211944f6b70f31557f1001557b59905b7738480ca09bd4532f84af"

    public struct Stats: SimulatorStats, Equatable {
        public var connections = 0
        public var accepted = 0
        public var framesSent: UInt64 = 0
        public var subscribes = 0
        public var pings = 0
        public var gapsInjected = 0
    }

    final class Client: SimulatorClient {
        var assets: Set<String> = []
        var custom = false
    }

    /// Where the simulator reads time (a manual clock in tests).
    public let clock: HubClock

    /// - Parameter clock: message timestamps, the market's time and fault deadlines (silence).
    public init(config: PolymarketSimulatorConfig = PolymarketSimulatorConfig(), clock: HubClock = SystemClock()) throws {
        self.config = config
        self.clock = clock
        rng = SplitMix64(seed: config.seed)
        var lc = LoopConfiguration(listen: .init(host: config.host, port: config.port))
        lc.webSocketPath = "/ws/market"
        lc.maxMessageBytes = 1 << 20
        lc.clientTLS = false
        loop = try EventLoop(configuration: lc, webSocketHandler: self)
        for (asset, p) in config.assets {
            var bids: [Double: Double] = [:], asks: [Double: Double] = [:]
            let mid = (p * 100).rounded()
            for i in 1...8 {
                if mid - Double(i) >= 1 { bids[(mid - Double(i)) / 100] = Double(10 + rng.next() % 500) }
                if mid + Double(i) <= 99 { asks[(mid + Double(i)) / 100] = Double(10 + rng.next() % 500) }
            }
            books[asset] = (bids, asks)
        }
    }

    public var port: Int { loop.port }
    public var url: String { "ws://\(config.host):\(port)/ws/market" }
    public var currentStats: Stats { clients.stats.withLock { $0 } }

    public func start() {
        loop.start(name: "polymarket-sim")
        loop.execute { [self] in
            loop.every(Double(config.stepMilliseconds) / 1000) { [weak self] in self?.step() }
        }
    }

    public func stop() { loop.stop() }

    public func inject(_ fault: SimulatorFault) {
        loop.execute { [self] in apply(fault) }
    }

    static func text(_ v: Double) -> String {
        var s = String(format: "%.4f", v)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    private func best(_ asset: String) -> (bid: Double, ask: Double) {
        let b = books[asset]!
        return (b.bids.keys.max() ?? 0, b.asks.keys.min() ?? 1)
    }

    private func apply(_ fault: SimulatorFault) {
        switch fault {
        case .gap(let asset):
            // The best bid leaves the book without a message: clients' books now disagree.
            let a = books[asset] != nil ? asset : books.keys.sorted().first!
            if let top = books[a]!.bids.keys.max() {
                books[a]!.bids[top] = nil
                clients.stats.withLock { $0.gapsInjected += 1 }
            }
        case .dropConnections: for c in clients.values { c.connection.kill() }
        case .malformedFrame: for c in clients.values { enqueue(Array(#"{"event_type":"price_change","price_changes":[{"#.utf8), to: c) }
        case .silence(let seconds): silence.begin(seconds: seconds, clock: clock)
        case .oversizedFrame(let bytes):
            var frame = Array(#"{"event_type":"padding","x":""#.utf8)
            frame.append(contentsOf: repeatElement(UInt8(ascii: "x"), count: max(0, bytes - frame.count - 2)))
            frame.append(contentsOf: #""}"#.utf8)
            for c in clients.values { enqueue(frame, to: c) }
        case .outOfRange(let asset):
            // A probability above 1: well-formed, impossible.
            let frame =
                #"{"event_type":"best_bid_ask","market":"\#(Self.market)","asset_id":"\#(asset)","best_bid":"1.5","best_ask":"1.6","spread":"0.1","timestamp":"\#(clock.wallMilliseconds())"}"#
            for c in clients.values where c.assets.contains(asset) { enqueue(Array(frame.utf8), to: c) }
        }
    }

    private func bookEvent(_ asset: String) -> String {
        let b = books[asset]!
        func levels(_ d: [Double: Double], ascending: Bool) -> String {
            "["
                + d.sorted { ascending ? $0.key < $1.key : $0.key > $1.key }.map { #"{"price":"\#(Self.text($0.key))","size":"\#(Self.text($0.value))"}"# }
                .joined(separator: ",") + "]"
        }
        return
            #"{"event_type":"book","asset_id":"\#(asset)","market":"\#(Self.market)","bids":\#(levels(b.bids, ascending: true)),"asks":\#(levels(b.asks, ascending: false)),"timestamp":"\#(clock.wallMilliseconds())","hash":"\#(String(rng.next(), radix: 16))","tick_size":"0.01","last_trade_price":""}"#
    }

    private func step() {
        let now = clock.wallMilliseconds()
        guard !books.isEmpty else { return }
        let assets = books.keys.sorted()
        let asset = assets[Int(rng.next() % UInt64(assets.count))]
        // Change one level near the top, keeping the book uncrossed.
        let (bb, ba) = best(asset)
        let buy = rng.next() % 2 == 0
        // Prices are whole cents (as Double(cents) / 100, the value clients parse from text).
        let bidCents = Int((bb * 100).rounded()), askCents = Int((ba * 100).rounded())
        var cents = buy ? bidCents - Int(rng.next() % 3) : askCents + Int(rng.next() % 3)
        if buy { cents = max(1, min(cents, askCents - 1)) } else { cents = min(99, max(cents, bidCents + 1)) }
        let price = Double(cents) / 100
        let size: Double
        size = rng.next() % 6 == 0 ? 0 : Double(10 + rng.next() % 500)
        if buy { books[asset]!.bids[price] = size == 0 ? nil : size } else { books[asset]!.asks[price] = size == 0 ? nil : size }
        guard !silence.isOn(atMillis: now), !clients.isEmpty else { return }
        let after = best(asset)
        let change =
            #"{"event_type":"price_change","market":"\#(Self.market)","price_changes":[{"asset_id":"\#(asset)","price":"\#(Self.text(price))","size":"\#(Self.text(size))","side":"\#(buy ? "BUY" : "SELL")","hash":"\#(String(rng.next(), radix: 16))","best_bid":"\#(Self.text(after.bid))","best_ask":"\#(Self.text(after.ask))"}],"timestamp":"\#(now)"}"#
        let trade =
            rng.next() % 5 == 0
            ? #"{"event_type":"last_trade_price","asset_id":"\#(asset)","market":"\#(Self.market)","price":"\#(Self.text(buy ? after.ask : after.bid))","size":"\#(Self.text(Double(1 + rng.next() % 200)))","fee_rate_bps":"0","side":"\#(buy ? "BUY" : "SELL")","timestamp":"\#(now)"}"#
            : nil
        let bba =
            #"{"event_type":"best_bid_ask","market":"\#(Self.market)","asset_id":"\#(asset)","best_bid":"\#(Self.text(after.bid))","best_ask":"\#(Self.text(after.ask))","spread":"\#(Self.text(after.ask - after.bid))","timestamp":"\#(now)"}"#
        for c in clients.values where c.assets.contains(asset) {
            enqueue(Array(change.utf8), to: c)
            if let trade { enqueue(Array(trade.utf8), to: c) }
            if c.custom { enqueue(Array(bba.utf8), to: c) }
        }
    }

    private func enqueue(_ frame: [UInt8], to c: Client) {
        c.send(frame, limit: config.maxQueuedFrames)
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
        if bytes.elementsEqual("PING".utf8) {
            clients.stats.withLock { $0.pings += 1 }
            // A silent venue does not answer pings either.
            return silence.isOn(clock) ? () : enqueue(Array("PONG".utf8), to: c)
        }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any], let ids = obj["assets_ids"] as? [String] else {
            return enqueue(Array("INVALID OPERATION".utf8), to: c)
        }
        clients.stats.withLock { $0.subscribes += 1 }
        c.assets.formUnion(ids)
        c.custom = obj["custom_feature_enabled"] as? Bool ?? false
        let known = ids.filter { books[$0] != nil }
        if !known.isEmpty { enqueue(Array(("[" + known.map(bookEvent).joined(separator: ",") + "]").utf8), to: c) }
    }
}
