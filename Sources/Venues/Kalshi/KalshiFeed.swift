import HubCore

/// The Kalshi trade API v2 adapter: a signed handshake (RSA-PSS headers), then per market one
/// `orderbook_delta` subscription (snapshot, then deltas) and one for `ticker` and `trade`.
/// Kalshi books are YES bids and NO bids; the hub publishes them YES-centric (asks = 1 − NO
/// bids). Each subscription (`sid`) numbers its messages (`seq`): a jump on a book subscription
/// is a gap — counted, that market's book dropped, its subscription replaced so a new snapshot
/// rebuilds it. A market the venue refuses (`Market not found`, a settled ticker) is set aside —
/// the others go live — and asked for again every minute. Kalshi's 10 s pings are answered by
/// the WebSocket layer.
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
    /// Book subscription → market; only these sids' snapshots and deltas are applied.
    private var bookSIDs: [Int64: String] = [:]
    private var nextID: Int64 = 1
    /// Outstanding subscribe commands → (market, is the book subscription).
    private var pending: [Int64: (market: String, book: Bool)] = [:]
    /// Markets the venue refused, with when (retried after a minute).
    private var refused: [String: UInt64] = [:]
    private var connectedAt: UInt64 = 0
    /// Kalshi's pings are answered by the WebSocket layer and never seen here, so a quiet market
    /// is probed with `list_subscriptions`; its answer proves the connection alive.
    private var probeID: Int64?
    private var lastProbe: UInt64 = 0
    private var resyncDeadline = ResyncDeadline()

    public init(config: KalshiFeedConfig) {
        self.config = config
    }

    /// Markets expected to have a book that have none (refused markets are not expected).
    public var resyncing: [String] { config.markets.filter { books[$0] == nil && refused[$0] == nil } }

    /// Markets the venue refused, retried every minute.
    public var refusedMarkets: [String] { refused.keys.sorted() }

    public func handshakeHeaders(wallMillis: Int64) throws -> [(String, String)] {
        if auth == nil { auth = try KalshiAuth(keyID: config.keyID, privateKeyPEM: config.privateKeyPEM) }
        return try auth!.headers(timestampMillis: wallMillis)
    }

    private func command(_ cmd: String, _ params: String) -> (Int64, FeedAction) {
        let id = nextID
        nextID += 1
        return (id, .send(#"{"id":\#(id),"cmd":"\#(cmd)","params":\#(params)}"#))
    }

    private func subscribeBook(_ market: String) -> FeedAction {
        let (id, action) = command("subscribe", #"{"channels":["orderbook_delta"],"market_tickers":["\#(market)"]}"#)
        pending[id] = (market, true)
        return action
    }

    private func subscribe(_ market: String) -> [FeedAction] {
        let book = subscribeBook(market)
        let (id, action) = command("subscribe", #"{"channels":["ticker","trade"],"market_tickers":["\#(market)"]}"#)
        pending[id] = (market, false)
        return [book, action]
    }

    public func connected(now: UInt64) -> [FeedAction] {
        connectedAt = now
        status.state = .connecting
        status.lastMessageAt = now
        books.removeAll()
        lastSeq.removeAll()
        bookSIDs.removeAll()
        pending.removeAll()
        refused.removeAll()
        probeID = nil
        lastProbe = now
        return config.markets.flatMap(subscribe)
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
        // Refused markets are asked for again every minute (a new listing, a typo fixed upstream).
        if let (market, at) = refused.min(by: { $0.value < $1.value }), Double(now &- at) / 1e9 >= 60 {
            refused[market] = nil
            return subscribe(market)
        }
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
        guard let m = status.decode(frameAt: now, { try codec.decode(frame) }) else { return [] }
        var actions: [FeedAction] = []
        switch m {
        case .subscribed(let id, let channel, let sid):
            guard let id, let p = pending[id] else { break }
            if channel == "orderbook_delta" && p.book { bookSIDs[sid] = p.market }
            pending[id] = nil
        case .ok(let id):
            if let id, id == probeID {
                probeID = nil
                status.heartbeats += 1
            }
        case .error(let id, let code, let message):
            if let id, let p = pending.removeValue(forKey: id) {
                // The market is set aside so the rest go live (its other subscription's error is the same news).
                if refused[p.market] == nil {
                    status.lastError = "\(p.market): venue error \(code): \(message); retrying in 60 s"
                    refused[p.market] = now
                }
            } else {
                status.lastError = "venue error \(code): \(message)"
            }
        case .snapshot(let sid, let seq, let market, let yes, let no):
            // Only the market's current book subscription counts: an old one's messages may still arrive.
            guard bookSIDs[sid] == market else { break }
            lastSeq[sid] = seq
            var y = OrderBook(), n = OrderBook()
            for l in yes { y.set(.bid, price: l.price, amount: l.amount) }
            for l in no { n.set(.bid, price: l.price, amount: l.amount) }
            if books[market] == nil && status.state != .connecting { status.resyncs += 1 }
            books[market] = (y, n)
            publish(market, wallMicros, emit)
        case .delta(let sid, let seq, let market, let price, let delta, let yes):
            guard bookSIDs[sid] == market else { break }
            if let last = lastSeq[sid], seq != last + 1 {
                status.gaps += 1
                status.lastError = "\(market): orderbook seq gap on sid \(sid): expected \(last + 1), got \(seq); resubscribing"
                books[market] = nil
                lastSeq[sid] = nil
                bookSIDs[sid] = nil
                actions.append(command("unsubscribe", #"{"sids":[\#(sid)]}"#).1)
                actions.append(subscribeBook(market))
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
        case .ticker(let market, let price, let yesBid, let yesAsk, let volume, let openInterest, let time, let withdrawn):
            var fields: [RawField] = []
            if let price { fields.append(RawField(kalshi: .lastPrice, .number(price))) }
            if let yesBid { fields.append(RawField(kalshi: .yesBid, .number(yesBid))) }
            if let yesAsk { fields.append(RawField(kalshi: .yesAsk, .number(yesAsk))) }
            if let volume { fields.append(RawField(kalshi: .volume, .number(volume))) }
            if let openInterest { fields.append(RawField(kalshi: .openInterest, .number(openInterest))) }
            var e = RawEvent(source: source, instrument: market, stream: .outcomes, exchangeTime: time, receiveTime: wallMicros, fields: fields)
            e.removed = withdrawn.map(\.rawValue)
            event(emit, e)
        case .trade(let sid, let seq, let id, let market, let yesPrice, let count, let takerYes, let time):
            if let seq {
                if let last = lastSeq[sid], seq != last + 1 {
                    status.gaps += 1  // trades cannot be fetched again: counted
                    status.lastError = "trade seq gap on sid \(sid): expected \(last + 1), got \(seq)"
                }
                lastSeq[sid] = seq
            }
            event(
                emit,
                RawEvent(
                    source: source, instrument: market, stream: .trades, exchangeTime: time, receiveTime: wallMicros,
                    fields: [
                        RawField(kalshi: .price, .number(yesPrice)), RawField(kalshi: .amount, .number(count)),
                        RawField(kalshi: .side, .string(takerYes ? "buy" : "sell")), RawField(kalshi: .tradeId, .string(id)),
                    ]))
            event(
                emit,
                RawEvent(
                    source: source, instrument: market, stream: .outcomes, exchangeTime: time, receiveTime: wallMicros,
                    fields: [RawField(kalshi: .lastPrice, .number(yesPrice))]))
        case .ignored:
            break
        }
        if resyncing.isEmpty {
            // Every market refused: nothing flows, which is not live.
            status.state = books.isEmpty && !refused.isEmpty ? .degraded : .live
        } else {
            status.state = status.state == .connecting ? .connecting : .degraded
        }
        return actions
    }

    /// The YES-centric book and best prices of `market`.
    private func publish(_ market: String, _ wallMicros: Int64, _ emit: (RawEvent) -> Void) {
        guard let b = books[market] else { return }
        let asks = b.no.top(.bid, config.bookDepth).map { PriceLevel(price: ((1 - $0.price) * 10_000).rounded() / 10_000, amount: $0.amount) }
        event(
            emit,
            RawEvent(
                source: source, instrument: market, stream: .book, exchangeTime: wallMicros / 1000, receiveTime: wallMicros,
                fields: [RawField(kalshi: .bids, .levels(b.yes.top(.bid, config.bookDepth))), RawField(kalshi: .asks, .levels(asks))]))
        var fields: [RawField] = []
        var removed: [UInt16] = []
        if let yb = b.yes.bids.first?.price {
            fields.append(RawField(kalshi: .yesBid, .number(yb)))
            fields.append(RawField(kalshi: .noAsk, .number(((1 - yb) * 10_000).rounded() / 10_000)))
        } else {
            removed += [KalshiField.yesBid.rawValue, KalshiField.noAsk.rawValue]  // no YES bids: neither price exists
        }
        if let nb = b.no.bids.first?.price {
            fields.append(RawField(kalshi: .noBid, .number(nb)))
            fields.append(RawField(kalshi: .yesAsk, .number(((1 - nb) * 10_000).rounded() / 10_000)))
        } else {
            removed += [KalshiField.noBid.rawValue, KalshiField.yesAsk.rawValue]
        }
        var e = RawEvent(source: source, instrument: market, stream: .outcomes, exchangeTime: wallMicros / 1000, receiveTime: wallMicros, fields: fields)
        e.removed = removed
        event(emit, e)
    }

    private func event(_ emit: (RawEvent) -> Void, _ e: RawEvent) {
        status.events += 1
        emit(e)
    }
}
