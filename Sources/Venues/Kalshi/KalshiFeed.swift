import HubCore

/// The Kalshi trade API v2 adapter: a signed handshake (RSA-PSS headers), `orderbook_delta`
/// (snapshot, then deltas) plus `ticker` and `trade` for the configured markets. Kalshi books
/// are YES bids and NO bids; the hub publishes them YES-centric (asks = 1 − NO bids). Each
/// subscription (`sid`) numbers its messages (`seq`): a jump on the book subscription is a
/// gap — counted, the books dropped, and the subscription replaced so a new snapshot rebuilds
/// them. Kalshi's 10 s pings are answered by the WebSocket layer.
///
/// Threading: loop-confined; time comes in as arguments (monotonic nanoseconds).
public final class KalshiFeed: FeedAdapter {
    public let source = "kalshi"
    public let config: KalshiFeedConfig
    public private(set) var status = FeedStatus()

    private let codec = KalshiCodec()
    private var auth: KalshiAuth?
    private var books: [String: (yes: OrderBook, no: OrderBook)] = [:]
    private var lastSeq: [Int64: Int64] = [:]
    private var bookSID: Int64?
    private var nextID: Int64 = 1
    private var pendingBook: Set<Int64> = []
    private var connectedAt: UInt64 = 0
    /// Kalshi's pings are answered by the WebSocket layer and never seen here, so a quiet market
    /// is probed with `list_subscriptions`; its answer proves the connection alive.
    private var probeID: Int64?
    private var lastProbe: UInt64 = 0
    private var resyncDeadline = ResyncDeadline()

    public init(config: KalshiFeedConfig) {
        self.config = config
    }

    public var resyncing: [String] { config.markets.filter { books[$0] == nil } }

    public func handshakeHeaders(wallMillis: Int64) throws -> [(String, String)] {
        if auth == nil { auth = try KalshiAuth(keyID: config.keyID, privateKeyPEM: config.privateKeyPEM) }
        return try auth!.headers(timestampMillis: wallMillis)
    }

    private func command(_ cmd: String, _ params: String) -> (Int64, FeedAction) {
        let id = nextID
        nextID += 1
        return (id, .send(#"{"id":\#(id),"cmd":"\#(cmd)","params":\#(params)}"#))
    }

    private var marketList: String { "[" + config.markets.map { "\"\($0)\"" }.joined(separator: ",") + "]" }

    private func subscribeBooks() -> FeedAction {
        let (id, action) = command("subscribe", #"{"channels":["orderbook_delta"],"market_tickers":\#(marketList)}"#)
        pendingBook.insert(id)
        return action
    }

    public func connected(now: UInt64) -> [FeedAction] {
        connectedAt = now
        status.state = .connecting
        status.lastMessageAt = now
        books.removeAll()
        lastSeq.removeAll()
        bookSID = nil
        pendingBook.removeAll()
        probeID = nil
        lastProbe = now
        return [subscribeBooks(), command("subscribe", #"{"channels":["ticker","trade"],"market_tickers":\#(marketList)}"#).1]
    }

    public func disconnected(now: UInt64, reason: String) {
        status.state = .down
        status.lastError = reason
        books.removeAll()
    }

    public func timer(now: UInt64) -> [FeedAction] {
        guard status.state != .down else { return [] }
        let silent = Double(now &- status.lastMessageAt) / 1e9
        if silent > config.staleAfterSeconds { return [.reconnect(reason: "stale: no message for \(Int(silent)) s")] }
        if status.state == .connecting && Double(now &- connectedAt) / 1e9 > 15 { return [.reconnect(reason: "no book snapshots within 15 s")] }
        if let give = resyncDeadline.check(status.state, now: now) { return [give] }
        let probeAfter = min(config.probeAfterSeconds, config.staleAfterSeconds / 2)
        if silent > probeAfter, Double(now &- lastProbe) / 1e9 > probeAfter {
            lastProbe = now
            let (id, action) = command("list_subscriptions", "{}")
            probeID = id
            return [action]
        }
        return []
    }

    public func received(_ frame: UnsafeRawBufferPointer, now: UInt64, wallMicros: Int64, emit: (RawEvent) -> Void) -> [FeedAction] {
        status.messages += 1
        status.lastMessageAt = now
        let m: KalshiMessage
        do {
            m = try codec.decode(frame)
        } catch {
            status.decodeErrors += 1
            status.lastError = "decode: \(error)"
            return []
        }
        var actions: [FeedAction] = []
        switch m {
        case .subscribed(let id, let channel, let sid):
            if channel == "orderbook_delta", let id, pendingBook.remove(id) != nil { bookSID = sid }
        case .ok(let id):
            if let id, id == probeID {
                probeID = nil
                status.heartbeats += 1
            }
        case .error(_, let code, let message):
            status.lastError = "venue error \(code): \(message)"
        case .snapshot(let sid, let seq, let market, let yes, let no):
            // Only the current book subscription counts: an old one's messages may still arrive.
            guard sid == bookSID else { break }
            lastSeq[sid] = seq
            var y = OrderBook(), n = OrderBook()
            for l in yes { y.set(.bid, price: l.price, amount: l.amount) }
            for l in no { n.set(.bid, price: l.price, amount: l.amount) }
            if books[market] == nil && status.state != .connecting { status.resyncs += 1 }
            books[market] = (y, n)
            publish(market, wallMicros, emit)
        case .delta(let sid, let seq, let market, let price, let delta, let yes):
            guard sid == bookSID else { break }
            if let last = lastSeq[sid], seq != last + 1 {
                status.gaps += 1
                status.lastError = "orderbook seq gap on sid \(sid): expected \(last + 1), got \(seq); resubscribing"
                books.removeAll()
                lastSeq[sid] = nil
                bookSID = nil
                actions.append(command("unsubscribe", #"{"sids":[\#(sid)]}"#).1)
                actions.append(subscribeBooks())
                break
            }
            lastSeq[sid] = seq
            guard var b = books[market] else { break }
            // Deltas add to the resting count; zero or below removes the level.
            if yes {
                let now = b.yes.bids.first { $0.price == price }?.amount ?? 0
                b.yes.set(.bid, price: price, amount: max(0, now + delta))
            } else {
                let now = b.no.bids.first { $0.price == price }?.amount ?? 0
                b.no.set(.bid, price: price, amount: max(0, now + delta))
            }
            books[market] = b
            publish(market, wallMicros, emit)
        case .ticker(let market, let price, let yesBid, let yesAsk, let volume, let openInterest, let time):
            var fields: [RawField] = []
            if let price { fields.append(RawField(kalshi: .lastPrice, .number(price))) }
            if let yesBid { fields.append(RawField(kalshi: .yesBid, .number(yesBid))) }
            if let yesAsk { fields.append(RawField(kalshi: .yesAsk, .number(yesAsk))) }
            if let volume { fields.append(RawField(kalshi: .volume, .number(volume))) }
            if let openInterest { fields.append(RawField(kalshi: .openInterest, .number(openInterest))) }
            event(emit, RawEvent(source: source, instrument: market, stream: .outcomes, exchangeTime: time, receiveTime: wallMicros, fields: fields))
        case .trade(let sid, let seq, let id, let market, let yesPrice, let count, let takerYes, let time):
            if let seq {
                if let last = lastSeq[sid], seq != last + 1 {
                    status.gaps += 1  // trades cannot be fetched again: counted
                    status.lastError = "trade seq gap on sid \(sid): expected \(last + 1), got \(seq)"
                }
                lastSeq[sid] = seq
            }
            event(emit, RawEvent(
                source: source, instrument: market, stream: .trades, exchangeTime: time, receiveTime: wallMicros,
                fields: [
                    RawField(kalshi: .price, .number(yesPrice)), RawField(kalshi: .amount, .number(count)),
                    RawField(kalshi: .side, .string(takerYes ? "buy" : "sell")), RawField(kalshi: .tradeId, .string(id)),
                ]))
            event(emit, RawEvent(source: source, instrument: market, stream: .outcomes, exchangeTime: time, receiveTime: wallMicros, fields: [RawField(kalshi: .lastPrice, .number(yesPrice))]))
        case .ignored:
            break
        }
        status.state = resyncing.isEmpty ? .live : status.state == .connecting ? .connecting : .degraded
        return actions
    }

    /// The YES-centric book and best prices of `market`.
    private func publish(_ market: String, _ wallMicros: Int64, _ emit: (RawEvent) -> Void) {
        guard let b = books[market] else { return }
        let asks = b.no.top(.bid, config.bookDepth).map { PriceLevel(price: ((1 - $0.price) * 10_000).rounded() / 10_000, amount: $0.amount) }
        event(emit, RawEvent(
            source: source, instrument: market, stream: .book, exchangeTime: wallMicros / 1000, receiveTime: wallMicros,
            fields: [RawField(kalshi: .bids, .levels(b.yes.top(.bid, config.bookDepth))), RawField(kalshi: .asks, .levels(asks))]))
        var fields: [RawField] = []
        if let yb = b.yes.bids.first?.price {
            fields.append(RawField(kalshi: .yesBid, .number(yb)))
            fields.append(RawField(kalshi: .noAsk, .number(((1 - yb) * 10_000).rounded() / 10_000)))
        }
        if let nb = b.no.bids.first?.price {
            fields.append(RawField(kalshi: .noBid, .number(nb)))
            fields.append(RawField(kalshi: .yesAsk, .number(((1 - nb) * 10_000).rounded() / 10_000)))
        }
        event(emit, RawEvent(source: source, instrument: market, stream: .outcomes, exchangeTime: wallMicros / 1000, receiveTime: wallMicros, fields: fields))
    }

    private func event(_ emit: (RawEvent) -> Void, _ e: RawEvent) {
        status.events += 1
        emit(e)
    }
}
