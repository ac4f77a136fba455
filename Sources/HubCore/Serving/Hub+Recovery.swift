/// Recovery with `since`: from the ring, or from the history store beyond it.
///
/// A recovery from the store is bounded — at most `maxRecoveriesPerSession` in flight per
/// session and `maxRecoveries` across the hub (beyond either, the answer is `recovered: false`
/// with a snapshot, counted) — and cancelled with its cursor (unsubscribe, disconnect, a role
/// change). On a busy channel the ring may move past the fetched range while the store answers:
/// the missing stretch is fetched again (up to `followUps` times) before the reply, so a
/// recovery that the store can serve is never refused for the channel being busy.
extension Hub {
    enum Recovery {
        case fromRing
        /// Fetch `since.offset + 1 … through` from the history store, then continue from the ring.
        case fromHistory(through: UInt64)
        case impossible
    }

    /// Follow-up fetches when the ring moves during a fetch (each covers what it moved past).
    static let followUps = 4

    func recovery(_ channel: Channel, _ since: ClientCommand.Position) -> Recovery {
        let ring = channel.ring
        guard since.epoch == channel.epoch, since.offset <= ring.lastOffset else { return .impossible }
        if since.offset == ring.lastOffset { return .fromRing }  // nothing missed
        guard ring.lastOffset - since.offset <= UInt64(config.maxRecoverMessages) else { return .impossible }
        if since.offset + 1 >= ring.firstOffset {
            if config.historyMaxAgeSeconds > 0, let first = ring.tick(at: since.offset + 1),
                Double(now() - first.receiveTime) / 1e6 > config.historyMaxAgeSeconds
            {
                return .impossible
            }
            return .fromRing
        }
        return history == nil ? .impossible : .fromHistory(through: ring.firstOffset - 1)
    }

    /// Whether `s` may start one more recovery from the store now (else it is refused, counted).
    func admitsRecovery(_ s: Session) -> Bool {
        guard s.recoveries < config.maxRecoveriesPerSession, recoveriesInFlight < config.maxRecoveries else {
            counters.recoveriesRefused += 1
            return false
        }
        return true
    }

    /// Starts recovering `cursor` (attached, paused) from the store; the reply to request `id`
    /// goes out when the publications are in.
    func recoverFromHistory(_ s: Session, cursor: Cursor, id: Int64, since: ClientCommand.Position, through: UInt64) {
        cursor.recovery = PendingRecovery(requestID: id, since: since)
        s.recoveries += 1
        recoveriesInFlight += 1
        fetch(cursor, after: since.offset, through: through)
    }

    private func fetch(_ cursor: Cursor, after: UInt64, through: UInt64) {
        guard let history, let pending = cursor.recovery else { return }
        let box = UncheckedSendable((self, cursor))
        pending.ticket = history.fetch(channel: cursor.channel.name, epoch: pending.since.epoch, after: after, through: through) { [runOnLoop] messages in
            let stored = UncheckedSendable(messages)
            runOnLoop {
                let (hub, cursor) = box.value
                hub.fetched(cursor, after: after, through: through, messages: stored.value)
            }
        }
    }

    /// Ends a recovery in flight without an answer (the cursor is going away).
    func cancelRecovery(_ cursor: Cursor) {
        guard let pending = cursor.recovery else { return }
        if let ticket = pending.ticket { history?.cancelFetch(ticket) }
        finishRecovery(cursor)
    }

    private func finishRecovery(_ cursor: Cursor) {
        guard cursor.recovery != nil else { return }
        cursor.recovery = nil
        cursor.session.recoveries -= 1
        recoveriesInFlight -= 1
    }

    /// `after+1 … through` of `channel` as typed ticks, or nil when the entries are not exactly
    /// those offsets in order (or no decoder is set).
    func storedTicks(_ messages: [StoredMessage], channel: Channel, after: UInt64, through: UInt64) -> [(UInt64, Tick)]? {
        guard let storedValues, messages.count == Int(through - after) else { return nil }
        var out: [(UInt64, Tick)] = []
        out.reserveCapacity(messages.count)
        let key = channel.key
        for (i, m) in messages.enumerated() {
            guard m.offset == after + 1 + UInt64(i) else {
                counters.rejectedStoredValues += 1
                return nil
            }
            let decoded = storedValues.fields(m.fields)
            counters.rejectedStoredValues += UInt64(decoded.skipped)
            out.append(
                (
                    m.offset,
                    Tick(
                        source: key.source, instrument: key.instrument, stream: key.stream, exchangeTime: m.exchangeTime, receiveTime: m.receiveTime,
                        sequence: 0, fields: decoded.fields)
                ))
        }
        return out
    }

    /// One fetch answered: keep its publications; fetch what the ring moved past meanwhile, or
    /// answer the client.
    private func fetched(_ cursor: Cursor, after: UInt64, through: UInt64, messages: [StoredMessage]?) {
        guard let pending = cursor.recovery, !cursor.isDetached else { return }  // cancelled
        let s = cursor.session, channel = cursor.channel, ring = channel.ring
        pending.ticket = nil
        // What the store sent is checked as venue data is: every offset in sequence, every
        // value registered and well typed (a value that is not is skipped and counted).
        guard channel.epoch == pending.since.epoch, let ticks = messages.flatMap({ storedTicks($0, channel: channel, after: after, through: through) })
        else {
            return answer(cursor, pending, recovered: false)
        }
        pending.ticks += ticks
        pending.through = through
        if through + 1 >= ring.firstOffset { return answer(cursor, pending, recovered: true) }
        // The ring moved on during the fetch: what it dropped is in the store (written in order
        // before this fetch is served); fetch that stretch too.
        let total = ring.firstOffset - 1 - pending.since.offset
        guard pending.rounds < Self.followUps, total <= UInt64(config.maxRecoverMessages), sessions[s.id] === s else {
            return answer(cursor, pending, recovered: false)
        }
        pending.rounds += 1
        fetch(cursor, after: through, through: ring.firstOffset - 1)
    }

    private func answer(_ cursor: Cursor, _ pending: PendingRecovery, recovered: Bool) {
        finishRecovery(cursor)
        let s = cursor.session, channel = cursor.channel, ring = channel.ring
        guard sessions[s.id] === s, s.closeReason == nil, s.subscriptions[cursor.subscription.key] === cursor.subscription else { return }
        let mask = views.mask(cursor.subscription.view)
        var result: [UInt8] = []
        JSONWriter.appendLiteral("{\"channels\":[", to: &result)
        ServerMessage.appendChannelEntry(channel, to: &result)
        JSONWriter.appendLiteral("],\"recovered\":", to: &result)
        JSONWriter.appendBool(recovered, to: &result)
        result.append(UInt8(ascii: "}"))
        enqueue(ServerMessage.reply(id: pending.requestID, result: result), to: s)
        if recovered {
            for (offset, tick) in pending.ticks where cursor.subscription.passes(tick) {
                enqueue(encoder.encode(channel: channel, offset: offset, tick: tick, mask: mask), to: s)
            }
            cursor.next = pending.through + 1
        } else {
            if let tick = channel.latest, cursor.subscription.passes(tick) {
                enqueue(encoder.encode(channel: channel, offset: ring.lastOffset, tick: tick, mask: mask, snapshot: true), to: s)
            }
            cursor.next = ring.lastOffset + 1
        }
        cursor.isPaused = false
        if cursor.hasPending && !cursor.isReady {
            cursor.isReady = true
            s.ready.append(cursor)
            schedule(s)
        }
    }
}

/// A recovery from the history store in progress: what has been fetched so far.
final class PendingRecovery {
    let requestID: Int64
    let since: ClientCommand.Position
    /// The store's ticket for the fetch in flight (to cancel it).
    var ticket: UInt64?
    var ticks: [(UInt64, Tick)] = []
    /// The last offset fetched.
    var through: UInt64
    var rounds = 0

    init(requestID: Int64, since: ClientCommand.Position) {
        self.requestID = requestID
        self.since = since
        through = since.offset
    }
}
