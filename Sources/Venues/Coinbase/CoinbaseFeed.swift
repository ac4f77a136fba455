import HubCore

/// The Coinbase Advanced Trade adapter: subscribes `heartbeats`, `ticker`, `market_trades` and
/// `level2` for the configured products; keeps each product's book from the `l2_data` snapshot
/// and updates (`new_quantity` is absolute, 0 removes the level). `sequence_num` counts every
/// message of the connection: a jump is a gap — counted, and `level2` is subscribed afresh so
/// new snapshots rebuild the books (updates for a book without its snapshot are dropped).
///
/// Threading: loop-confined; time comes in as arguments (monotonic nanoseconds).
public final class CoinbaseFeed: FeedAdapter {
    public let source = "coinbase"
    public let config: CoinbaseFeedConfig
    public private(set) var status = FeedStatus()

    private let codec = CoinbaseCodec()
    private var books: [String: OrderBook] = [:]
    private var lastSequence: UInt64?
    private var connectedAt: UInt64 = 0
    private var resyncDeadline = ResyncDeadline()

    public init(config: CoinbaseFeedConfig) {
        self.config = config
    }

    private var products: [String] { config.symbols.map(CoinbaseFeedConfig.product) }

    static func subscribe(_ channel: String, _ products: [String], type: String = "subscribe") -> String {
        products.isEmpty
            ? #"{"type":"\#(type)","channel":"\#(channel)"}"#
            : #"{"type":"\#(type)","product_ids":[\#(products.map { "\"\($0)\"" }.joined(separator: ","))],"channel":"\#(channel)"}"#
    }

    /// Products whose book awaits its snapshot.
    public var resyncing: [String] { products.filter { books[$0] == nil } }
    public func book(_ product: String) -> OrderBook? { books[product] }

    public func connected(now: UInt64) -> [FeedAction] {
        connectedAt = now
        status.state = .connecting
        status.lastMessageAt = now
        books.removeAll()
        lastSequence = nil
        return [
            .send(Self.subscribe("heartbeats", [])), .send(Self.subscribe("ticker", products)), .send(Self.subscribe("market_trades", products)),
            .send(Self.subscribe("level2", products)),
        ]
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
        if status.state == .connecting && Double(now &- connectedAt) / 1e9 > 15 {
            return [.reconnect(reason: "no book snapshots within 15 s")]
        }
        if let give = resyncDeadline.check(status.state, now: now) { return [give] }
        return []
    }

    public func received(_ frame: UnsafeRawBufferPointer, now: UInt64, wallMicros: Int64, emit: (RawEvent) -> Void) -> [FeedAction] {
        guard let m = status.decode(frameAt: now, { try codec.decode(frame) }) else { return [] }
        var actions: [FeedAction] = []
        if let seq = m.sequence {
            if let last = lastSequence, seq != last &+ 1, seq > last {
                // Messages were lost: the books may be wrong. Subscribe level2 afresh.
                status.gaps += 1
                status.lastError = "sequence gap: expected \(last + 1), got \(seq); resubscribing level2"
                books.removeAll()
                actions += [.send(Self.subscribe("level2", products, type: "unsubscribe")), .send(Self.subscribe("level2", products))]
            }
            lastSequence = max(seq, lastSequence ?? 0)
        }
        switch m.body {
        case .ticker(let tickers):
            for t in tickers { emitTicker(t, wallMicros, emit) }
        case .trades(let snapshot, let trades):
            // The snapshot repeats recent history; only new trades are published.
            guard !snapshot else { break }
            for t in trades {
                status.events += 1
                emit(
                    RawEvent(
                        source: source, instrument: CoinbaseFeedConfig.unified(t.product), stream: .trades, exchangeTime: t.time, receiveTime: wallMicros,
                        fields: [
                            RawField(coinbase: .tradePrice, .number(t.price)), RawField(coinbase: .size, .number(t.size)),
                            RawField(coinbase: .side, .string(t.side)), RawField(coinbase: .tradeId, .string(t.id)),
                        ]))
            }
        case .level2(let events):
            for e in events {
                if e.snapshot {
                    books[e.product] = OrderBook()
                    status.resyncs += 1
                }
                guard var book = books[e.product] else { continue }  // an update before its snapshot
                for u in e.updates { book.set(u.bid ? .bid : .ask, price: u.price, amount: u.quantity) }
                books[e.product] = book
                status.events += 1
                emit(
                    RawEvent(
                        source: source, instrument: CoinbaseFeedConfig.unified(e.product), stream: .book, exchangeTime: wallMicros / 1000,
                        receiveTime: wallMicros, sequence: m.sequence ?? 0,
                        fields: [
                            RawField(coinbase: .bids, .levels(book.top(.bid, config.bookDepth))),
                            RawField(coinbase: .asks, .levels(book.top(.ask, config.bookDepth))),
                        ]))
            }
        case .heartbeat:
            status.heartbeats += 1
        case .subscriptions:
            break
        case .error(let message):
            status.lastError = "venue: \(message)"
        case .ignored:
            break
        }
        status.state = resyncing.isEmpty ? .live : (status.state == .connecting ? .connecting : .degraded)
        return actions
    }

    private func emitTicker(_ t: CoinbaseMessage.Ticker, _ wallMicros: Int64, _ emit: (RawEvent) -> Void) {
        var fields: [RawField] = []
        func add(_ f: CoinbaseField, _ v: Double?) { if let v { fields.append(RawField(coinbase: f, .number(v))) } }
        add(.price, t.price)
        add(.volume24h, t.volume24h)
        add(.low24h, t.low24h)
        add(.high24h, t.high24h)
        add(.percentChange24h, t.percentChange24h)
        add(.bestBid, t.bestBid)
        add(.bestBidQuantity, t.bestBidQuantity)
        add(.bestAsk, t.bestAsk)
        add(.bestAskQuantity, t.bestAskQuantity)
        status.events += 1
        emit(
            RawEvent(
                source: source, instrument: CoinbaseFeedConfig.unified(t.product), stream: .ticker, exchangeTime: wallMicros / 1000, receiveTime: wallMicros,
                fields: fields))
    }
}
