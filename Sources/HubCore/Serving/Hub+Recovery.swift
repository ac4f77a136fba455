/// Recovery with `since`: from the ring, or from the history store beyond it.
extension Hub {
    enum Recovery {
        case fromRing
        /// Fetch `since.offset + 1 … through` from the history store, then continue from the ring.
        case fromHistory(through: UInt64)
        case impossible
    }

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

    func recoverFromHistory(_ s: Session, sub: Subscription, cursor: Cursor, id: Int64, since: ClientCommand.Position, through: UInt64) {
        let channel = cursor.channel
        let name = channel.name
        let box = UncheckedSendable((self, s, sub, cursor))
        history?.fetch(channel: name, epoch: since.epoch, after: since.offset, through: through) { [runOnLoop] messages in
            let stored = UncheckedSendable(messages)
            runOnLoop {
                let (hub, s, sub, cursor) = box.value
                hub.completeRecovery(s, sub: sub, cursor: cursor, id: id, since: since, through: through, messages: stored.value)
            }
        }
    }

    /// `after+1 … through` of `channel` as typed ticks, or nil when the entries are not exactly
    /// those offsets in order (or no decoder is set).
    func storedTicks(_ messages: [StoredMessage], channel: Channel, after: UInt64, through: UInt64) -> [(UInt64, Tick)]? {
        guard let storedValues, messages.count == Int(through - after) else { return nil }
        var out: [(UInt64, Tick)] = []
        out.reserveCapacity(messages.count)
        for (i, m) in messages.enumerated() {
            guard m.offset == after + 1 + UInt64(i) else {
                counters.rejectedStoredValues += 1
                return nil
            }
            let decoded = storedValues.fields(m.fields)
            counters.rejectedStoredValues += UInt64(decoded.skipped)
            let key = channel.key
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

    func completeRecovery(
        _ s: Session, sub: Subscription, cursor: Cursor, id: Int64, since: ClientCommand.Position, through: UInt64,
        messages: [StoredMessage]?
    ) {
        guard sessions[s.id] === s, s.closeReason == nil, s.subscriptions[sub.key] === sub, !cursor.isDetached else { return }
        let channel = cursor.channel, ring = channel.ring
        let mask = views.mask(sub.view)
        // What the store sent is checked as venue data is: every offset in sequence, every value
        // registered and well typed (a value that is not is skipped and counted).
        let ticks = messages.flatMap { storedTicks($0, channel: channel, after: since.offset, through: through) }
        // The ring must still hold what follows the fetched range, else continuity is lost.
        let recovered = ticks != nil && channel.epoch == since.epoch && through + 1 >= ring.firstOffset
        var result: [UInt8] = []
        JSONWriter.appendLiteral("{\"channels\":[", to: &result)
        ServerMessage.appendChannelEntry(channel, to: &result)
        JSONWriter.appendLiteral("],\"recovered\":", to: &result)
        JSONWriter.appendBool(recovered, to: &result)
        result.append(UInt8(ascii: "}"))
        enqueue(ServerMessage.reply(id: id, result: result), to: s)
        if recovered, let ticks {
            for (offset, tick) in ticks { enqueue(encoder.encode(channel: channel, offset: offset, tick: tick, mask: mask), to: s) }
            cursor.next = through + 1
        } else {
            if let tick = channel.latest {
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
