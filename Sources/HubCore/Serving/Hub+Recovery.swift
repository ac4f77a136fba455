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

    func completeRecovery(
        _ s: Session, sub: Subscription, cursor: Cursor, id: Int64, since: ClientCommand.Position, through: UInt64,
        messages: [StoredMessage]?
    ) {
        guard sessions[s.id] === s, s.closeReason == nil, s.subscriptions[sub.key] === sub, !cursor.isDetached else { return }
        let channel = cursor.channel, ring = channel.ring
        let mask = views.mask(sub.view)
        let complete = messages.map { $0.count == Int(through - since.offset) && $0.first?.offset == since.offset + 1 } ?? false
        // The ring must still hold what follows the fetched range, else continuity is lost.
        let recovered = complete && channel.epoch == since.epoch && through + 1 >= ring.firstOffset
        var result: [UInt8] = []
        JSONWriter.appendLiteral("{\"channels\":[", to: &result)
        ServerMessage.appendChannelEntry(channel, to: &result)
        JSONWriter.appendLiteral("],\"recovered\":", to: &result)
        JSONWriter.appendBool(recovered, to: &result)
        result.append(UInt8(ascii: "}"))
        enqueue(ServerMessage.reply(id: id, result: result), to: s)
        if recovered, let messages {
            for m in messages { enqueue(encoder.encode(channel: channel, stored: m, mask: mask), to: s) }
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
