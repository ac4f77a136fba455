import HubCore

/// The Deribit adapter's session rules: heartbeats (`public/set_heartbeat`, answering
/// `test_request` with `public/test`), subscriptions, option discovery, and the book's
/// `change_id`/`prev_change_id` chain — a break is a gap: counted, and the book channel is
/// resubscribed so a fresh snapshot rebuilds it.
///
/// Threading: loop-confined; time comes in as arguments (monotonic nanoseconds).
public final class DeribitFeed: FeedAdapter {
    public let source = "deribit"
    public let config: DeribitFeedConfig
    public private(set) var status = FeedStatus()

    private let codec = DeribitCodec()
    private var nextID: Int64 = 1
    private var pending: [Int64: Request] = [:]
    private var books: [String: BookState] = [:]
    /// The books of the last connection, emptied: a new connection rebuilds its books in their
    /// storage instead of growing new arrays level by level. At most `spareBookLimit` are kept
    /// (each holds its deepest book's capacity until it is used again).
    private var spareBooks: [BookState] = []
    private static let spareBookLimit = 256
    private var subscribed: Set<String> = []
    private var connectedAt: UInt64 = 0
    /// Replay: a channel that delivers data counts as subscribed (the recorded acknowledgements
    /// answer another client's request ids). Live connections match acknowledgements by id.
    private let subscribedByData: Bool

    private enum Request {
        case auth, heartbeat, test
        case instruments(currency: String)
        case subscribe([String])
        case unsubscribe([String])
    }

    private var bookFields: [RawField] = []

    private struct BookState {
        var book = OrderBook()
        var lastChangeID: Int64 = 0
        var synced = false
        /// The levels last published: republished as they are (no new array) while unchanged.
        var bids: [PriceLevel] = [], asks: [PriceLevel] = []

        /// As new, keeping the book's storage (the published levels may live on in rings).
        mutating func reset() {
            book.clear()
            lastChangeID = 0
            synced = false
            bids = []
            asks = []
        }
    }

    public init(config: DeribitFeedConfig, subscribedByData: Bool = false) {
        self.config = config
        self.subscribedByData = subscribedByData
    }

    /// Instruments whose book is being resynchronised after a gap.
    public var resyncing: [String] { books.filter { !$0.value.synced }.map(\.key).sorted() }
    public var subscribedChannels: Set<String> { subscribed }

    public func connected(now: UInt64) -> [FeedAction] {
        status.state = .connecting
        status.lastMessageAt = now
        connectedAt = now
        pending.removeAll()
        // Moved out of the dictionary before they are emptied (a copy would empty new storage).
        while var st = books.popFirst()?.value, spareBooks.count < Self.spareBookLimit {
            st.reset()
            spareBooks.append(st)
        }
        books.removeAll()
        subscribed.removeAll()
        var out: [FeedAction] = []
        if let id = config.clientID, let secret = config.clientSecret, !id.isEmpty {
            out.append(.send(DeribitRequest.auth(id: request(.auth), clientID: id, clientSecret: secret)))
        }
        out.append(.send(DeribitRequest.setHeartbeat(id: request(.heartbeat), interval: config.heartbeatSeconds)))
        for currency in config.optionCurrencies {
            out.append(.send(DeribitRequest.getInstruments(id: request(.instruments(currency: currency)), currency: currency, kind: "option")))
        }
        if !config.instruments.isEmpty {
            out.append(subscribe(channels(for: config.instruments)))
        }
        return out
    }

    public func disconnected(now: UInt64, reason: String) {
        status.state = .down
        status.lastError = reason
        pending.removeAll()
    }

    public func timer(now: UInt64) -> [FeedAction] {
        guard status.state != .down else { return [] }
        let silent = Double(now &- status.lastMessageAt) / 1e9
        if silent > config.staleAfter {
            return [.reconnect(reason: "stale: no message for \(Int(silent)) s")]
        }
        if status.state == .connecting && Double(now &- connectedAt) / 1e9 > 15 {
            return [.reconnect(reason: "subscriptions not acknowledged within 15 s")]
        }
        return []
    }

    public func received(_ frame: UnsafeRawBufferPointer, now: UInt64, wallMicros: Int64, emit: (RawEvent) -> Void) -> [FeedAction] {
        // Messages are handled as they decode (and change the status): no status access may
        // span the decode, so the frame is counted here rather than through `status.decode`.
        status.messages += 1
        status.lastMessageAt = now
        var actions: [FeedAction] = []
        do {
            try codec.decode(frame, receiveTime: wallMicros) { message in
                handle(message, emit: emit, actions: &actions)
            }
        } catch {
            status.decodeErrors += 1
            status.lastError = "decode: \(error)"
        }
        return actions
    }

    private func handle(_ message: DeribitMessage, emit: (RawEvent) -> Void, actions: inout [FeedAction]) {
        switch message {
        case .event(let e):
            status.events += 1
            if subscribedByData { delivered("\(e.stream.rawValue).\(e.instrument)") }
            emit(e)
        case .book(let update):
            if subscribedByData { delivered("book.\(update.instrument)") }
            applyBook(update, emit: emit, actions: &actions)
        case .heartbeat(let testRequest):
            status.heartbeats += 1
            if testRequest { actions.append(.send(DeribitRequest.test(id: request(.test)))) }
        case .result(let id, let result):
            guard let req = pending.removeValue(forKey: id) else { return }
            switch (req, result) {
            case (.subscribe(let asked), .channels(let got)):
                subscribed.formUnion(got)
                let missing = Set(asked).subtracting(got)
                if !missing.isEmpty { status.lastError = "not subscribed: \(missing.sorted().joined(separator: ","))" }
                refreshState()
            case (.unsubscribe, .channels(let got)):
                subscribed.subtract(got)
            case (.instruments, .instruments(let infos)):
                let chosen = Self.chooseOptions(infos, max: config.maxOptionsPerCurrency)
                if !chosen.isEmpty { actions.append(subscribe(channels(for: chosen))) }
            default:
                break
            }
        case .error(let id, let code, let text):
            if let id { pending[id] = nil }
            status.lastError = "deribit error \(code): \(text)"
        case .ignored:
            break
        }
    }

    private func applyBook(_ u: DeribitBookUpdate, emit: (RawEvent) -> Void, actions: inout [FeedAction]) {
        // Changed in place: one lookup, and the arrays stay unique (not copied on write). Taking
        // the state out and putting it back hashed the instrument twice per update.
        let outcome = Self.apply(u, to: &books[u.instrument, default: spareBooks.popLast() ?? BookState()], depth: config.bookDepth)
        let bids: [PriceLevel], asks: [PriceLevel]
        switch outcome {
        case .waiting:  // for the snapshot of a resubscription
            return
        case .gap(let last):
            status.gaps += 1
            status.resyncs += 1
            status.lastError = "book gap on \(u.instrument): prev_change_id \(u.prevChangeID.map(String.init) ?? "none") after \(last)"
            let channel = "book.\(u.instrument).\(config.interval)"
            actions.append(.send(DeribitRequest.unsubscribe(id: request(.unsubscribe([channel])), channels: [channel])))
            actions.append(subscribe([channel]))
            refreshState()
            return
        case .applied(let b, let a):
            (bids, asks) = (b, a)
        }
        if u.isSnapshot { refreshState() }

        // The feed's own array, emptied: the event is handled before the next book update.
        var fields = bookFields
        bookFields = []
        fields.removeAll(keepingCapacity: true)
        defer { bookFields = fields }
        fields.append(RawField(.bids, .levels(bids)))
        fields.append(RawField(.asks, .levels(asks)))
        if let b = bids.first {
            fields.append(RawField(.bestBidPrice, .number(b.price)))
            fields.append(RawField(.bestBidAmount, .number(b.amount)))
        }
        if let a = asks.first {
            fields.append(RawField(.bestAskPrice, .number(a.price)))
            fields.append(RawField(.bestAskAmount, .number(a.amount)))
        }
        status.events += 1
        emit(
            RawEvent(
                source: source, instrument: u.instrument, stream: .book, exchangeTime: u.timestamp, receiveTime: u.receiveTime,
                sequence: UInt64(max(0, u.changeID)), fields: fields))
    }

    private enum BookOutcome {
        /// Not in sync: updates wait for the snapshot of a resubscription.
        case waiting
        /// `prev_change_id` does not follow the last change applied (`after`).
        case gap(after: Int64)
        /// The levels to publish.
        case applied(bids: [PriceLevel], asks: [PriceLevel])
    }

    /// Applies `u` to one instrument's book state (touching nothing else of the feed, so it can
    /// run while the state is borrowed from `books`).
    private static func apply(_ u: DeribitBookUpdate, to st: inout BookState, depth: Int) -> BookOutcome {
        if u.isSnapshot {
            st.book.clear()
            st.synced = true
        } else {
            guard st.synced else { return .waiting }
            if u.prevChangeID != st.lastChangeID {
                st.synced = false
                return .gap(after: st.lastChangeID)
            }
        }
        for l in u.bids { st.book.set(.bid, price: l.price, amount: l.amount) }
        for l in u.asks { st.book.set(.ask, price: l.price, amount: l.amount) }
        st.lastChangeID = u.changeID
        st.book.updateTop(.bid, depth, &st.bids)
        st.book.updateTop(.ask, depth, &st.asks)
        return .applied(bids: st.bids, asks: st.asks)
    }

    /// Replay: data on `channel` (`<stream>.<instrument>`) shows it subscribed.
    private func delivered(_ channel: String) {
        guard subscribed.insert(channel).inserted else { return }
        refreshState()
    }

    private func refreshState() {
        guard status.state != .down else { return }
        if subscribed.isEmpty {
            status.state = .connecting
        } else {
            status.state = books.values.contains(where: { !$0.synced }) ? .degraded : .live
        }
    }

    private func request(_ r: Request) -> Int64 {
        let id = nextID
        nextID += 1
        pending[id] = r
        return id
    }

    private func subscribe(_ channels: [String]) -> FeedAction {
        .send(DeribitRequest.subscribe(id: request(.subscribe(channels)), channels: channels))
    }

    private func channels(for instruments: [String]) -> [String] {
        instruments.flatMap { ["ticker.\($0).\(config.interval)", "book.\($0).\(config.interval)", "trades.\($0).\(config.interval)"] }
    }

    /// The nearest expiry's options, strikes around the middle of the chain, calls and puts.
    static func chooseOptions(_ infos: [DeribitInstrumentInfo], max: Int) -> [String] {
        let options = infos.filter { $0.kind == "option" && $0.isActive && $0.strike != nil }
        guard let nearest = options.map(\.expirationTimestamp).min(), max > 0 else { return [] }
        let chain = options.filter { $0.expirationTimestamp == nearest }
        let strikes = Array(Set(chain.compactMap(\.strike))).sorted()
        let perStrike = 2
        let wanted = Swift.max(1, (max + perStrike - 1) / perStrike)
        let start = Swift.max(0, strikes.count / 2 - wanted / 2)
        let picked = Set(strikes[start..<Swift.min(strikes.count, start + wanted)])
        return Array(chain.filter { picked.contains($0.strike!) }.map(\.name).sorted().prefix(max))
    }
}
