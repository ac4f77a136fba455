import HubCore

/// The ORCA `orca.v1` adapter (docs/feeds/orca.md): waits for `hello`, subscribes to each
/// configured stream (resuming with `fromSeq` when it already holds the stream's state),
/// applies snapshots and deltas in `seq` order and publishes one `odds` channel per
/// (event, market, outcome, bookmaker). A `seq` jump in a delta or a heartbeat is a gap:
/// counted, and the stream resumed from the last applied `seq`; the server replays the rest.
///
/// Threading: loop-confined; time comes in as arguments (monotonic nanoseconds).
public final class OrcaFeed: FeedAdapter {
    public let source = "orca"
    public let config: OrcaFeedConfig
    public private(set) var status = FeedStatus()

    struct Stream {
        var seq: Int64?
        var events: [String: OrcaEvent] = [:]
        /// A subscribe (or resume) is outstanding: deltas of the old subscription are ignored.
        var awaiting = false
        var awaitingSince: UInt64 = 0
    }

    private let codec = OrcaCodec()
    private var streams: [String: Stream] = [:]
    private var heartbeatMs: Int64 = 5000
    private var helloSeen = false
    private var connectedAt: UInt64 = 0
    private var nextID: Int64 = 1
    private var firstSyncDone: Set<String> = []
    /// The seq a stream was last resumed from after a gap.
    private var lastGapAt: [String: Int64] = [:]

    public init(config: OrcaFeedConfig) {
        self.config = config
    }

    /// Streams not in step with the venue (no state yet, or a resume outstanding).
    public var resyncing: [String] { config.streams.filter { streams[$0]?.seq == nil || streams[$0]?.awaiting == true } }

    /// The events of a stream as the adapter holds them (REST and tests).
    public func events(in stream: String) -> [OrcaEvent] { streams[stream].map { Array($0.events.values) } ?? [] }

    public func connected(now: UInt64) -> [FeedAction] {
        connectedAt = now
        helloSeen = false
        status.state = .connecting
        status.lastMessageAt = now
        for s in streams.keys { streams[s]!.awaiting = false }
        return []
    }

    public func disconnected(now: UInt64, reason: String) {
        status.state = .down
        status.lastError = reason
        // The state is kept: the next connection resumes from the last applied seq.
    }

    public func timer(now: UInt64) -> [FeedAction] {
        guard status.state != .down else { return [] }
        let silent = Double(now &- status.lastMessageAt) / 1e9
        if silent > 3 * Double(heartbeatMs) / 1000 { return [.reconnect(reason: "stale: no message for \(Int(silent)) s (heartbeat \(heartbeatMs) ms)")] }
        if !helloSeen && Double(now &- connectedAt) / 1e9 > 15 { return [.reconnect(reason: "no hello within 15 s")] }
        for (name, s) in streams where s.awaiting && Double(now &- s.awaitingSince) / 1e9 > 15 {
            return [.reconnect(reason: "stream \(name) not resumed within 15 s")]
        }
        return []
    }

    private func subscribe(_ stream: String, now: UInt64) -> FeedAction {
        let id = nextID
        nextID += 1
        streams[stream, default: Stream()].awaiting = true
        streams[stream]!.awaitingSince = now
        if let seq = streams[stream]?.seq { return .send(#"{"op":"subscribe","id":\#(id),"stream":"\#(stream)","fromSeq":\#(seq)}"#) }
        return .send(#"{"op":"subscribe","id":\#(id),"stream":"\#(stream)"}"#)
    }

    /// A gap: resume from the last applied seq — unless the last resume found a gap at that
    /// same seq again (a delta we cannot decode keeps coming back): then a snapshot.
    private func gap(_ stream: String, _ reason: String, now: UInt64) -> FeedAction {
        status.gaps += 1
        let last = streams[stream]?.seq
        if let last, lastGapAt[stream] == last {
            status.lastError = "\(stream): \(reason) again after resuming from \(last); taking a snapshot"
            streams[stream]!.seq = nil
            lastGapAt[stream] = nil
        } else {
            status.lastError = "\(stream): \(reason); resuming from \(last ?? 0)"
            lastGapAt[stream] = last
        }
        return subscribe(stream, now: now)
    }

    public func received(_ frame: UnsafeRawBufferPointer, now: UInt64, wallMicros: Int64, emit: (RawEvent) -> Void) -> [FeedAction] {
        guard let m = status.decode(frameAt: now, { try codec.decode(frame) }) else { return [] }
        var actions: [FeedAction] = []
        switch m {
        case .hello(let hb, _, let offered):
            helloSeen = true
            heartbeatMs = hb
            for s in config.streams {
                if !offered.isEmpty && !offered.contains(s) {
                    status.lastError = "stream \(s) is not offered (offered: \(offered.joined(separator: ", ")))"
                    continue
                }
                actions.append(subscribe(s, now: now))
            }
        case .subscribed(_, let stream, _, let resumed):
            guard streams[stream] != nil else { break }
            // Not resumed: a snapshot follows, and until it comes the stream is still awaited.
            if resumed {
                streams[stream]!.awaiting = false
                status.resyncs += 1
                // Downstream may have set these quotes aside while we were away: publish them again.
                for e in streams[stream]!.events.values { publish(e, wallMicros, emit) }
            } else {
                streams[stream]!.seq = nil
            }
        case .snapshot(let stream, let seq, let events):
            guard config.streams.contains(stream) else { break }
            var s = streams[stream] ?? Stream()
            let old = s.events
            s.events = Dictionary(events.map { ($0.eventId, $0) }, uniquingKeysWith: { _, b in b })
            s.seq = seq
            s.awaiting = false
            streams[stream] = s
            if !firstSyncDone.insert(stream).inserted { status.resyncs += 1 }
            for e in events { publish(e, wallMicros, emit) }
            // Quotes the venue no longer has are published suspended.
            for (id, e) in old {
                let now = s.events[id]
                for m in e.markets {
                    for o in m.outcomes {
                        for p in o.prices where !(now?.quote(m.marketId, o.outcomeId, p.bookmaker) ?? false) {
                            quote(e, m, o, p, withdrawn: true, wallMicros, emit)
                        }
                    }
                }
            }
        case .delta(let stream, let seq, let changes):
            guard var s = streams[stream], !s.awaiting, let last = s.seq else { break }
            if seq <= last { break }  // a duplicate
            if seq != last + 1 {
                actions.append(gap(stream, "seq \(seq) after \(last)", now: now))
                break
            }
            lastGapAt[stream] = nil
            var consistent = true
            for c in changes { consistent = apply(c, to: &s, wallMicros, emit) && consistent }
            s.seq = seq
            streams[stream] = s
            if !consistent {
                // Our state and the venue's differ: a fresh snapshot (not a resume) repairs it.
                status.gaps += 1
                streams[stream]!.seq = nil
                actions.append(subscribe(stream, now: now))
            }
        case .heartbeat(let seqs):
            status.heartbeats += 1
            for (stream, seq) in seqs {
                guard let s = streams[stream], !s.awaiting, let last = s.seq, seq > last else { continue }
                actions.append(gap(stream, "heartbeat says seq \(seq), last applied \(last)", now: now))
            }
        case .error(_, let code, let message):
            status.lastError = "venue error \(code): \(message)"
        case .unsubscribed, .pong:
            break
        }
        if helloSeen {
            let behind = resyncing
            status.state = behind.isEmpty ? .live : firstSyncDone.isEmpty ? .connecting : .degraded
        }
        return actions
    }

    /// Applies one change; false when it names something the stream does not hold.
    private func apply(_ c: OrcaChange, to s: inout Stream, _ wallMicros: Int64, _ emit: (RawEvent) -> Void) -> Bool {
        switch c {
        case .price(let eventId, let marketId, let outcomeId, let p):
            guard var e = s.events[eventId], let mi = e.markets.firstIndex(where: { $0.marketId == marketId }),
                let oi = e.markets[mi].outcomes.firstIndex(where: { $0.outcomeId == outcomeId })
            else { return unknown("price for unknown \(eventId)/\(marketId)/\(outcomeId)") }
            if let pi = e.markets[mi].outcomes[oi].prices.firstIndex(where: { $0.bookmaker == p.bookmaker }) {
                e.markets[mi].outcomes[oi].prices[pi] = p
            } else {
                e.markets[mi].outcomes[oi].prices.append(p)
            }
            s.events[eventId] = e
            quote(e, e.markets[mi], e.markets[mi].outcomes[oi], p, withdrawn: false, wallMicros, emit)
            return true
        case .priceRemoved(let eventId, let marketId, let outcomeId, let bookmaker):
            guard var e = s.events[eventId], let mi = e.markets.firstIndex(where: { $0.marketId == marketId }),
                let oi = e.markets[mi].outcomes.firstIndex(where: { $0.outcomeId == outcomeId }),
                let pi = e.markets[mi].outcomes[oi].prices.firstIndex(where: { $0.bookmaker == bookmaker })
            else { return unknown("removal of unknown price \(eventId)/\(marketId)/\(outcomeId)/\(bookmaker)") }
            let p = e.markets[mi].outcomes[oi].prices.remove(at: pi)
            s.events[eventId] = e
            quote(e, e.markets[mi], e.markets[mi].outcomes[oi], p, withdrawn: true, wallMicros, emit)
            return true
        case .market(let eventId, let market):
            guard var e = s.events[eventId] else { return unknown("market for unknown event \(eventId)") }
            let old = e.markets.first { $0.marketId == market.marketId }
            if let mi = e.markets.firstIndex(where: { $0.marketId == market.marketId }) { e.markets[mi] = market } else { e.markets.append(market) }
            s.events[eventId] = e
            for o in market.outcomes { for p in o.prices { quote(e, market, o, p, withdrawn: false, wallMicros, emit) } }
            if let old { suspendVanished(e, [old], wallMicros, emit) }
            return true
        case .unknown(let kind):
            return unknown("a change of kind '\(kind)'")
        case .marketRemoved(let eventId, let marketId):
            guard var e = s.events[eventId], let mi = e.markets.firstIndex(where: { $0.marketId == marketId }) else {
                return unknown("removal of unknown market \(eventId)/\(marketId)")
            }
            let m = e.markets.remove(at: mi)
            s.events[eventId] = e
            for o in m.outcomes { for p in o.prices { quote(e, m, o, p, withdrawn: true, wallMicros, emit) } }
            return true
        case .event(let e):
            let old = s.events[e.eventId]
            s.events[e.eventId] = e
            publish(e, wallMicros, emit)
            if let old { suspendVanished(e, old.markets, wallMicros, emit) }
            return true
        case .eventStatus(let eventId, let st):
            guard var e = s.events[eventId] else { return unknown("status of unknown event \(eventId)") }
            e.status = st
            s.events[eventId] = e
            publish(e, wallMicros, emit)
            return true
        case .eventRemoved(let eventId):
            guard var e = s.events.removeValue(forKey: eventId) else { return unknown("removal of unknown event \(eventId)") }
            e.status = "closed"
            for m in e.markets { for o in m.outcomes { for p in o.prices { quote(e, m, o, p, withdrawn: true, wallMicros, emit) } } }
            return true
        }
    }

    private func unknown(_ what: String) -> Bool {
        status.lastError = "inconsistent delta: \(what); taking a new snapshot"
        return false
    }

    /// Quotes of `before` that `e` no longer holds are published one last time, suspended.
    private func suspendVanished(_ e: OrcaEvent, _ before: [OrcaMarket], _ wallMicros: Int64, _ emit: (RawEvent) -> Void) {
        for m in before {
            for o in m.outcomes {
                for p in o.prices where !e.quote(m.marketId, o.outcomeId, p.bookmaker) { quote(e, m, o, p, withdrawn: true, wallMicros, emit) }
            }
        }
    }

    private func publish(_ e: OrcaEvent, _ wallMicros: Int64, _ emit: (RawEvent) -> Void) {
        for m in e.markets { for o in m.outcomes { for p in o.prices { quote(e, m, o, p, withdrawn: false, wallMicros, emit) } } }
    }

    /// Publishes one quote. `withdrawn` (the venue removed the price, its market or its event):
    /// the last publication of the channel, suspended and with its price withdrawn, so no state
    /// built on the channel shows it as a price the venue still offers.
    private func quote(_ e: OrcaEvent, _ m: OrcaMarket, _ o: OrcaOutcome, _ p: OrcaPrice, withdrawn: Bool, _ wallMicros: Int64, _ emit: (RawEvent) -> Void) {
        var fields = [
            RawField(orca: .bookmaker, .string(p.bookmaker)), RawField(orca: .event, .string(e.eventId)),
            RawField(orca: .participant, .string(o.participant ?? o.name)), RawField(orca: .outcome, .string(o.outcomeId)),
            RawField(orca: .marketType, .string(m.marketType)), RawField(orca: .commenceTime, .integer(e.commenceTime)),
            RawField(orca: .eventStatus, .string(e.status)),
            RawField(orca: .suspended, .bool(withdrawn || p.suspended || e.status == "suspended" || e.status == "closed")),
            RawField(orca: .outcomeCount, .integer(Int64(m.outcomes.count))),
        ]
        if let line = m.line { fields.append(RawField(orca: .line, .number(line))) }
        // The event's reference data rides on every quote, so the state of its channels says all
        // there is to know about the event (REST answers from it).
        fields.append(RawField(orca: .sport, .string(e.sport)))
        fields.append(RawField(orca: .league, .string(e.league)))
        if let home = e.participants.first { fields.append(RawField(orca: .home, .string(home))) }
        if e.participants.count > 1 { fields.append(RawField(orca: .away, .string(e.participants[1]))) }
        fields.append(RawField(orca: .outcomeName, .string(o.name)))
        var removed: [UInt16] = []
        if withdrawn {
            removed = [OrcaField.oddsDecimal.rawValue, OrcaField.oddsAmerican.rawValue]
        } else {
            fields.append(RawField(orca: .oddsDecimal, .number(p.decimal)))
            fields.append(RawField(orca: .oddsAmerican, .integer(p.american)))
        }
        status.events += 1
        var event = RawEvent(
            source: source, instrument: OrcaFeedConfig.instrument(event: e.eventId, market: m.marketId, outcome: o.outcomeId, bookmaker: p.bookmaker),
            stream: .odds, exchangeTime: p.updatedAt, receiveTime: wallMicros, fields: fields)
        event.removed = removed
        emit(event)
    }
}

extension OrcaEvent {
    /// Whether the event holds a quote of `bookmaker` for the outcome.
    func quote(_ market: String, _ outcome: String, _ bookmaker: String) -> Bool {
        markets.first { $0.marketId == market }?.outcomes.first { $0.outcomeId == outcome }?.prices.contains { $0.bookmaker == bookmaker } ?? false
    }
}
