import HubCore

/// The Polymarket CLOB market-channel adapter: subscribes the configured outcome tokens, keeps
/// each token's book from `book` (replace) and `price_change` (absolute sizes), publishes
/// trades and best prices, and sends the text `PING` the venue expects. The channel has no
/// sequence numbers, so consistency is checked instead: a book that crosses, or whose top
/// disagrees with the `best_bid`/`best_ask` the venue reports, has missed a message — it is
/// counted as a gap, dropped, and the tokens are subscribed again so fresh `book` events rebuild
/// it. A trade that sweeps several levels arrives as a burst of `price_change` frames of one
/// `timestamp` — the first carries the new level and the best prices as they stand after the
/// whole sweep, the next ones remove the consumed levels — so a book is judged when its burst is
/// complete (a frame of a later time, or half a second of quiet), and a book crossed inside a
/// burst is not published.
///
/// Threading: loop-confined; time comes in as arguments (monotonic nanoseconds).
public final class PolymarketFeed: FeedAdapter {
    public let source = "polymarket"
    public let config: PolymarketFeedConfig
    public private(set) var status = FeedStatus()

    private let codec = PolymarketCodec()
    private let assets: [String: PolymarketFeedConfig.Asset]
    private var books: [String: OrderBook] = [:]
    private var lastPing: UInt64 = 0
    private var lastResubscribe: UInt64 = 0
    private var connectedAt: UInt64 = 0
    private var resyncDeadline = ResyncDeadline()
    /// Per token, the `price_change` burst not judged yet.
    private var bursts: [String: Burst] = [:]
    /// Tokens whose book was dropped for an inconsistency: their next `book` is a resync.
    private var droppedForGap: Set<String> = []

    /// Frames of one `timestamp` for one token, with the best prices the venue reported last.
    private struct Burst {
        var time: Int64
        var bestBid: Double?
        var bestAsk: Double?
        var lastFrameAt: UInt64
    }

    public init(config: PolymarketFeedConfig) {
        self.config = config
        assets = Dictionary(config.assets.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    }

    public var subscribeMessage: String {
        #"{"assets_ids":[\#(config.assets.map { "\"\($0.id)\"" }.joined(separator: ","))],"type":"market","custom_feature_enabled":true}"#
    }

    public var resyncing: [String] { config.assets.map(\.id).filter { books[$0] == nil } }
    public func book(_ asset: String) -> OrderBook? { books[asset] }

    public func connected(now: UInt64) -> [FeedAction] {
        connectedAt = now
        lastPing = now
        status.state = .connecting
        status.lastMessageAt = now
        books.removeAll()
        bursts.removeAll()
        return [.send(subscribeMessage)]
    }

    public func disconnected(now: UInt64, reason: String) {
        status.state = .down
        status.lastError = reason
        books.removeAll()
        bursts.removeAll()
    }

    public func timer(now: UInt64) -> [FeedAction] {
        guard status.state != .down else { return [] }
        let silent = Double(now &- status.lastMessageAt) / 1e9
        if silent > config.staleAfterSeconds { return [.reconnect(reason: "stale: no message or PONG for \(Int(silent)) s")] }
        if status.state == .connecting && Double(now &- connectedAt) / 1e9 > 15 { return [.reconnect(reason: "no books within 15 s")] }
        if let give = resyncDeadline.check(status.state, now: now) { return [give] }
        var out: [FeedAction] = []
        // A burst followed by half a second of quiet is complete.
        for (asset, burst) in bursts.sorted(by: { $0.key < $1.key }) where now &- burst.lastFrameAt >= 500_000_000 {
            out += judge(asset, now: now)
        }
        if Double(now &- lastPing) / 1e9 >= config.pingSeconds {
            lastPing = now
            out.append(.send("PING"))
        }
        // Books lost to an inconsistency are asked for again (at most every 2 s).
        if !resyncing.isEmpty && status.state != .connecting && Double(now &- lastResubscribe) / 1e9 >= 2 {
            lastResubscribe = now
            out.append(.send(subscribeMessage))
        }
        return out
    }

    public func received(_ frame: UnsafeRawBufferPointer, now: UInt64, wallMicros: Int64, emit: (RawEvent) -> Void) -> [FeedAction] {
        guard let messages = status.decode(frameAt: now, { try codec.decode(frame) }) else { return [] }
        var actions: [FeedAction] = []
        for m in messages {
            switch m {
            case .pong:
                status.heartbeats += 1
            case .book(let asset, let bids, let asks, let time, _):
                var b = OrderBook()
                for l in bids { b.set(.bid, price: l.price, amount: l.amount) }
                for l in asks { b.set(.ask, price: l.price, amount: l.amount) }
                // A book lost to an inconsistency is rebuilt: a resync, whatever the state.
                if droppedForGap.remove(asset) != nil { status.resyncs += 1 }
                bursts[asset] = nil
                books[asset] = b
                publish(asset, b, time, wallMicros, emit)
            case .priceChanges(let changes, let time):
                var touched: Set<String> = []
                for c in changes {
                    // A frame of a later time completes the token's previous burst.
                    if let burst = bursts[c.asset], burst.time != time { actions += judge(c.asset, now: now) }
                    guard var b = books[c.asset] else { continue }  // waiting for its book
                    b.set(c.buy ? .bid : .ask, price: c.price, amount: c.size)
                    books[c.asset] = b
                    let previous = bursts[c.asset]
                    bursts[c.asset] = Burst(
                        time: time, bestBid: c.bestBid ?? previous?.bestBid, bestAsk: c.bestAsk ?? previous?.bestAsk, lastFrameAt: now)
                    touched.insert(c.asset)
                }
                // Inside a burst a book may cross for a moment: published once it no longer does.
                for asset in touched.sorted() {
                    if let b = books[asset], !b.isCrossed { publish(asset, b, time, wallMicros, emit) }
                }
            case .lastTrade(let asset, let price, let size, let side, let time):
                let instrument = assets[asset]?.instrument ?? asset
                emitEvent(
                    emit,
                    RawEvent(
                        source: source, instrument: instrument, stream: .trades, exchangeTime: time, receiveTime: wallMicros,
                        fields: [
                            RawField(polymarket: .price, .number(price)), RawField(polymarket: .size, .number(size)),
                            RawField(polymarket: .side, .string(side)),
                        ]))
                emitEvent(
                    emit,
                    RawEvent(
                        source: source, instrument: instrument, stream: .outcomes, exchangeTime: time, receiveTime: wallMicros,
                        fields: [RawField(polymarket: .lastPrice, .number(price))]))
            case .bestBidAsk(let asset, let bid, let ask, let time):
                var fields: [RawField] = []
                if let bid { fields.append(RawField(polymarket: .bestBid, .number(bid))) }
                if let ask { fields.append(RawField(polymarket: .bestAsk, .number(ask))) }
                emitEvent(
                    emit,
                    RawEvent(
                        source: source, instrument: assets[asset]?.instrument ?? asset, stream: .outcomes, exchangeTime: time, receiveTime: wallMicros,
                        fields: fields))
            case .tickSize, .resolved, .ignored:
                break
            }
        }
        status.state = resyncing.isEmpty ? .live : status.state == .connecting ? .connecting : .degraded
        return actions
    }

    /// Judges a complete burst: a book that crosses or disagrees with the venue's last reported
    /// best prices has missed a message — a gap: dropped and asked for again.
    private func judge(_ asset: String, now: UInt64) -> [FeedAction] {
        guard let burst = bursts.removeValue(forKey: asset), let b = books[asset], b.isCrossed || disagrees(b, burst) else { return [] }
        status.gaps += 1
        status.lastError = "\(asset.prefix(12))…: book inconsistent with the venue's best prices; resubscribing"
        books[asset] = nil
        droppedForGap.insert(asset)
        status.state = status.state == .connecting ? .connecting : .degraded
        guard now &- lastResubscribe > 2_000_000_000 else { return [] }
        lastResubscribe = now
        return [.send(subscribeMessage)]
    }

    /// The venue's reported best prices differ from the book's top (no bid reads as 0, no ask as 1).
    private func disagrees(_ b: OrderBook, _ burst: Burst) -> Bool {
        let bid = b.bids.first?.price ?? 0, ask = b.asks.first?.price ?? 1
        if let vb = burst.bestBid, abs(vb - bid) > 1e-9 { return true }
        if let va = burst.bestAsk, abs(va - ask) > 1e-9 { return true }
        return false
    }

    private func publish(_ asset: String, _ b: OrderBook, _ time: Int64, _ wallMicros: Int64, _ emit: (RawEvent) -> Void) {
        let a = assets[asset]
        let instrument = a?.instrument ?? asset
        emitEvent(
            emit,
            RawEvent(
                source: source, instrument: instrument, stream: .book, exchangeTime: time, receiveTime: wallMicros,
                fields: [
                    RawField(polymarket: .bids, .levels(b.top(.bid, config.bookDepth))), RawField(polymarket: .asks, .levels(b.top(.ask, config.bookDepth))),
                ]))
        var fields: [RawField] = []
        var removed: [UInt16] = []
        // An empty side has no best price: withdrawn, not left at its last value.
        if let bid = b.bids.first?.price {
            fields.append(RawField(polymarket: .bestBid, .number(bid)))
        } else {
            removed.append(PolymarketField.bestBid.rawValue)
        }
        if let ask = b.asks.first?.price {
            fields.append(RawField(polymarket: .bestAsk, .number(ask)))
        } else {
            removed.append(PolymarketField.bestAsk.rawValue)
        }
        if let outcome = a?.outcome, !outcome.isEmpty { fields.append(RawField(polymarket: .outcome, .string(outcome))) }
        var e = RawEvent(source: source, instrument: instrument, stream: .outcomes, exchangeTime: time, receiveTime: wallMicros, fields: fields)
        e.removed = removed
        emitEvent(emit, e)
    }

    private func emitEvent(_ emit: (RawEvent) -> Void, _ e: RawEvent) {
        status.events += 1
        emit(e)
    }
}
