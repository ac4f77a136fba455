import Foundation
import HubCore

/// The Binance adapter, spot or USDⓈ-M futures (`config.market`): one combined-stream
/// connection (`/stream?streams=…`) carrying each symbol's bookTicker, trades and 100 ms diff
/// depth (futures add the mark price, index and funding each second); each book is synchronised
/// with a REST snapshot (`GET /api/v3/depth`, `/fapi/v1/depth`) as Binance documents it for the
/// market, and rebuilt the same way after a gap. Binance's pings are answered by the WebSocket
/// layer; silence beyond `staleAfterSeconds` reconnects. Symbols appear in ccxt's unified form
/// (`BTC/USDT`, `BTC/USDT:USDT`).
///
/// Threading: loop-confined; time comes in as arguments (monotonic nanoseconds).
public final class BinanceFeed: FeedAdapter {
    public let source: String
    public let config: BinanceFeedConfig
    public private(set) var status = FeedStatus()

    private let codec = BinanceCodec()
    private let symbols: BinanceSymbols
    private var books: [String: BinanceDepthSync] = [:]
    /// Symbols waiting for a snapshot: when it was last asked for, and whether it is in flight.
    private var snapshots: [String: (askedAt: UInt64, inFlight: Bool)] = [:]
    /// Bumped on every connection, so answers to an earlier connection's requests are dropped.
    private var epoch = 0
    private var connectedAt: UInt64 = 0
    /// Since when each symbol not yet synchronised has waited (from the connection, or its gap).
    private var waitingSince: [String: UInt64] = [:]
    /// A frame arrived on this connection: the stream flows.
    private var flowing = false

    public init(config: BinanceFeedConfig) {
        self.config = config
        source = config.market.id
        symbols = BinanceSymbols(unified: config.symbols, settles: config.market.settles)
    }

    /// The combined-stream path and query for `config` (appended to the WebSocket base URL).
    public static func streamPath(_ config: BinanceFeedConfig) -> String {
        let names = config.symbols.flatMap { u -> [String] in
            let s = BinanceSymbols.stream(u)
            return ["\(s)@\(config.trades)", "\(s)@bookTicker", "\(s)@depth@100ms"] + config.market.extraStreams.map { "\(s)@\($0)" }
        }
        return "/stream?streams=" + names.joined(separator: "/")
    }

    /// Symbols (venue form) not synchronised yet: their snapshot is awaited.
    public var resyncing: [String] { waitingSince.keys.sorted() }
    public func book(_ venueSymbol: String) -> OrderBook? { books[venueSymbol]?.book }

    public func connected(now: UInt64) -> [FeedAction] {
        epoch += 1
        connectedAt = now
        flowing = false
        status.state = .connecting
        status.lastMessageAt = now
        books.removeAll()
        snapshots.removeAll()
        waitingSince = Dictionary(uniqueKeysWithValues: config.symbols.map { (BinanceSymbols.venue($0), now) })
        status.waiting = config.symbols
        // The streams in the URL are the subscription; snapshots are fetched while the first
        // events buffer.
        return config.symbols.map { requestSnapshot(BinanceSymbols.venue($0), now: now) }
    }

    public func disconnected(now: UInt64, reason: String) {
        epoch += 1  // answers to this connection's snapshot requests are void
        status.state = .down
        status.lastError = reason
        books.removeAll()
        snapshots.removeAll()
        waitingSince.removeAll()
        status.waiting = []
    }

    public func timer(now: UInt64) -> [FeedAction] {
        guard status.state != .down else { return [] }
        let silent = Double(now &- status.lastMessageAt) / 1e9
        if silent > config.staleAfterSeconds { return [.reconnect(reason: "stale: no message for \(Int(silent)) s")] }
        // Snapshots that failed (rate limit, network) are asked for again after 5 s.
        var out: [FeedAction] = []
        for (symbol, s) in snapshots where !s.inFlight && Double(now &- s.askedAt) / 1e9 >= 5 {
            out.append(requestSnapshot(symbol, now: now))
        }
        refreshState(now: now)
        return out
    }

    public func received(_ frame: UnsafeRawBufferPointer, now: UInt64, wallMicros: Int64, emit: (RawEvent) -> Void) -> [FeedAction] {
        guard let message = status.decode(frameAt: now, { try codec.decode(frame) }) else { return [] }
        var actions: [FeedAction] = []
        switch message {
        case .bookTicker, .trade, .depth, .markPrice: flowing = true  // market data, not a reply or a bad frame
        default: break
        }
        switch message {
        case .bookTicker(let s, let bid, let bq, let ask, let aq, _, let time):
            emitEvent(
                emit,
                RawEvent(
                    source: source, instrument: symbols.unified(s), stream: .ticker, exchangeTime: time > 0 ? time : wallMicros / 1000, receiveTime: wallMicros,
                    fields: [
                        RawField(binance: .bidPrice, .number(bid)), RawField(binance: .bidQty, .number(bq)), RawField(binance: .askPrice, .number(ask)),
                        RawField(binance: .askQty, .number(aq)),
                    ]))
        case .trade(let s, let p, let q, let maker, let id, let time):
            emitEvent(
                emit,
                RawEvent(
                    source: source, instrument: symbols.unified(s), stream: .trades, exchangeTime: time, receiveTime: wallMicros, sequence: id,
                    fields: [
                        RawField(binance: .price, .number(p)), RawField(binance: .quantity, .number(q)),
                        RawField(binance: .side, .string(maker ? "sell" : "buy")), RawField(binance: .tradeId, .string(String(id))),
                    ]))
        case .markPrice(let m) where config.market.hasMarkPrice:
            var fields = [RawField(binance: .markPrice, .number(m.mark))]
            if let i = m.index { fields.append(RawField(binance: .indexPrice, .number(i))) }
            if let r = m.fundingRate { fields.append(RawField(binance: .fundingRate, .number(r))) }
            if let t = m.nextFundingTime { fields.append(RawField(binance: .nextFundingTime, .integer(t))) }
            emitEvent(
                emit,
                RawEvent(source: source, instrument: symbols.unified(m.symbol), stream: .ticker, exchangeTime: m.time, receiveTime: wallMicros, fields: fields))
        case .depth(let u) where (u.previous != nil) != config.market.chainsByPrevious:
            // Another market's depth (futures events carry `pu`, spot's do not): its sequencing
            // would read as endless gaps. Counted as undecodable, never applied.
            status.decodeErrors += 1
            status.lastError =
                u.previous != nil
                ? "futures depth events (pu) on \(source): point feeds.binance-futures at this endpoint"
                : "spot depth events (no pu) on \(source): point feeds.binance at this endpoint"
        case .depth(let u):
            var sync = books[u.symbol] ?? BinanceDepthSync(chainsByPrevious: config.market.chainsByPrevious)
            let outcome = sync.apply(u)
            books[u.symbol] = sync
            switch outcome {
            case .applied: emitBook(u.symbol, sync, time: u.time, wallMicros: wallMicros, emit: emit)
            case .gap(let expected, let got):
                status.gaps += 1
                status.lastError = "\(u.symbol): depth gap (expected \(idName) \(expected), got \(got)); resynchronising"
                waitingSince[u.symbol] = waitingSince[u.symbol] ?? now
                actions.append(requestSnapshot(u.symbol, now: now))
            case .refetch(let why):
                status.lastError = "\(u.symbol): \(why); fetching another snapshot"
                waitingSince[u.symbol] = waitingSince[u.symbol] ?? now
            case .buffered, .stale, .synchronised: break
            }
            if books[u.symbol]?.state == .awaitingSnapshot && snapshots[u.symbol] == nil {
                actions.append(requestSnapshot(u.symbol, now: now))  // a symbol first seen on the stream
            }
        case .response(_, let error):
            if let error { status.lastError = "subscription: \(error)" }
        case .serverShutdown:
            actions.append(.reconnect(reason: "server announced shutdown"))
        case .ignored, .markPrice:
            break
        }
        refreshState(now: now)
        return actions
    }

    public func fetched(tag: String, _ result: FetchResult, now: UInt64, wallMicros: Int64, emit: (RawEvent) -> Void) -> [FeedAction] {
        let parts = tag.split(separator: ":")
        guard parts.count == 3, parts[0] == "depth", Int(parts[1]) == epoch else { return [] }
        let symbol = String(parts[2])
        snapshots[symbol]?.inFlight = false
        switch result {
        case .failed(let why):
            status.lastError = "\(symbol): snapshot failed: \(why)"
            return []
        case .response(let code, let body) where code != 200:
            // 429/418: Binance's rate limits; the timer asks again.
            status.lastError = "\(symbol): snapshot HTTP \(code): \(String(decoding: body.prefix(200), as: UTF8.self))"
            return []
        case .response(_, let body):
            let snapshot: BinanceDepthSnapshot
            do {
                snapshot = try body.withUnsafeBytes { try codec.snapshot($0) }
            } catch {
                status.decodeErrors += 1
                status.lastError = "\(symbol): snapshot: \(error)"
                return []
            }
            var sync = books[symbol] ?? BinanceDepthSync(chainsByPrevious: config.market.chainsByPrevious)
            let outcome = sync.snapshot(snapshot)
            books[symbol] = sync
            switch outcome {
            case .synchronised:
                snapshots[symbol] = nil
                waitingSince[symbol] = nil
                status.resyncs += 1
                emitBook(symbol, sync, time: wallMicros / 1000, wallMicros: wallMicros, emit: emit)
                refreshState(now: now)
                return []
            case .refetch(let why):
                status.lastError = "\(symbol): \(why)"
                return [requestSnapshot(symbol, now: now)]
            case .gap(let expected, let got):
                status.gaps += 1
                status.lastError = "\(symbol): gap replaying the buffer (expected \(idName) \(expected), got \(got))"
                waitingSince[symbol] = waitingSince[symbol] ?? now
                return [requestSnapshot(symbol, now: now)]
            default:
                return []
            }
        }
    }

    /// What a gap's numbers are: spot compares `U` with the book's id + 1, futures mostly `pu`
    /// with the book's id.
    private var idName: String { config.market.chainsByPrevious ? "pu/U" : "U" }

    private func requestSnapshot(_ symbol: String, now: UInt64) -> FeedAction {
        snapshots[symbol] = (now, true)
        return .fetch(url: "\(config.restURL)\(config.market.depthPath)?symbol=\(symbol)&limit=\(config.snapshotLimit)", tag: "depth:\(epoch):\(symbol)")
    }

    private func emitEvent(_ emit: (RawEvent) -> Void, _ e: RawEvent) {
        status.events += 1
        emit(e)
    }

    private func emitBook(_ symbol: String, _ sync: BinanceDepthSync, time: Int64, wallMicros: Int64, emit: (RawEvent) -> Void) {
        emitEvent(
            emit,
            RawEvent(
                source: source, instrument: symbols.unified(symbol), stream: .book, exchangeTime: time, receiveTime: wallMicros,
                sequence: sync.lastUpdateId,
                fields: [
                    RawField(binance: .bids, .levels(sync.book.top(.bid, config.bookDepth))),
                    RawField(binance: .asks, .levels(sync.book.top(.ask, config.bookDepth))),
                ]))
    }

    /// Readiness is per symbol: the source is `live` once its stream flows, `degraded` only while
    /// a symbol stays unsynchronised past `syncDeadlineSeconds` — one quiet symbol (no depth
    /// events, no snapshot yet) does not hold the others back. The symbols still waiting are
    /// listed in `status.waiting` (`/api/streams`, `sources.hub.<venue>`).
    private func refreshState(now: UInt64) {
        guard status.state != .down else { return }
        status.waiting = waitingSince.keys.map { symbols.unified($0) }.sorted()
        let overdue = waitingSince.values.contains { Double(now &- $0) / 1e9 > config.syncDeadlineSeconds }
        status.state = !flowing ? .connecting : overdue ? .degraded : .live
    }
}
