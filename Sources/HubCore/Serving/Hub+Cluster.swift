/// Publications made by other cluster nodes, applied at the offsets they were given there: a
/// channel has the same epoch and offsets on every node, so a client moving between nodes
/// recovers with its `epoch`/`off`.
///
/// In order, a publication is appended (serialised per view only for this node's subscribers,
/// never recorded again); one already held is dropped; one after a gap waits while the gap is
/// fetched from history (the owner writes history before it announces), and when history cannot
/// fill it the ring moves past it — subscribers behind then count as fallen off the ring (state
/// channels conflate, event channels close 4008 and recover by `since`). A new epoch restarts
/// the channel.
extension Hub {
    /// Remote publications held per channel while a gap is fetched; beyond it the gap is skipped.
    static let maxCatchUpBuffer = 10_000

    /// Applies a publication another node made (see the extension's notes).
    public func applyRemote(_ p: RemotePublication) {
        apply(p, fillGaps: true)
    }

    /// Takes channels over at the newest publications the cluster stored (a lease just
    /// acquired; each channel's oldest first): publications of this node then continue their
    /// offsets. Nothing is fetched; a stretch missing here before them is skipped. A ring ahead
    /// of a channel's newest stored publication holds what the cluster never accepted (this node
    /// published under a lease it had already lost): it is rewound to the cluster's.
    public func adopt(_ publications: [RemotePublication]) {
        var newest: [String: Int] = [:]
        for (i, p) in publications.enumerated() { newest[p.channel] = i }
        var waiting: [String: [RemotePublication]] = [:]
        for (i, p) in publications.enumerated() {
            guard let key = ChannelKey(name: p.channel), let c = registry.channel(key) else {
                apply(p, fillGaps: false)
                continue
            }
            // Publications waiting for a gap fetch go in after the newest stored entry.
            let held = catchingUp.removeValue(forKey: ObjectIdentifier(c))?.buffer ?? []
            if !held.isEmpty { waiting[p.channel, default: []] += held }
            if newest[p.channel] == i, c.epoch == p.epoch, p.offset > 0, c.ring.lastOffset > p.offset {
                counters.remoteRewinds += 1
                rebase(c, epoch: p.epoch, after: p.offset - 1)
            }
            apply(p, fillGaps: false)  // in order, or past a gap (skipped), or already held
            if newest[p.channel] == i, let later = waiting.removeValue(forKey: p.channel) {
                for q in later where q.offset > p.offset { apply(q, fillGaps: false) }
            }
        }
    }

    private func apply(_ p: RemotePublication, fillGaps: Bool) {
        guard let key = ChannelKey(name: p.channel), Self.isEpoch(p.epoch), p.offset > 0, p.offset <= Self.maxOffset, storedValues != nil else {
            counters.remoteRejected += 1
            return
        }
        guard let channel = registry.channel(key) else {
            return appendRemote(p, to: createChannel(key, epoch: p.epoch, after: p.offset - 1))
        }
        if let pending = catchingUp[ObjectIdentifier(channel)] {
            if pending.buffer.count < Self.maxCatchUpBuffer { return pending.buffer.append(p) }
            catchingUp[ObjectIdentifier(channel)] = nil  // too far behind: skip the gap
            for held in pending.buffer { apply(held, fillGaps: false) }
        }
        if channel.epoch != p.epoch {
            counters.remoteEpochChanges += 1
            channel.unconfirmed = false
            rebase(channel, epoch: p.epoch, after: p.offset - 1)
            return appendRemote(p, to: channel)
        }
        let last = channel.ring.lastOffset
        if channel.unconfirmed {
            // This node lost the lease it published under: the next owner's publications are
            // the cluster's truth, even at offsets this node has used (Redis refused those).
            channel.unconfirmed = false
            if p.offset <= last {
                counters.remoteRewinds += 1
                rebase(channel, epoch: p.epoch, after: p.offset - 1)
                return appendRemote(p, to: channel)
            }
        }
        if p.offset <= last {
            counters.remoteDuplicates += 1
            return
        }
        if p.offset == last + 1 { return appendRemote(p, to: channel) }
        guard fillGaps, let history else {
            counters.remoteSkipped += 1
            channel.ring.skip(after: p.offset - 1)
            return appendRemote(p, to: channel)
        }
        let catchUp = RemoteCatchUp(p)
        catchingUp[ObjectIdentifier(channel)] = catchUp
        let box = UncheckedSendable((self, channel, catchUp))
        history.fetch(channel: channel.name, epoch: p.epoch, after: last, through: p.offset - 1) { [runOnLoop] messages in
            let stored = UncheckedSendable(messages)
            runOnLoop {
                let (hub, channel, catchUp) = box.value
                hub.filled(channel, catchUp, epoch: p.epoch, after: last, through: p.offset - 1, messages: stored.value)
            }
        }
    }

    /// A gap's fetch answered: its publications go in, then those held back.
    private func filled(_ channel: Channel, _ catchUp: RemoteCatchUp, epoch: String, after: UInt64, through: UInt64, messages: [StoredMessage]?) {
        guard catchingUp[ObjectIdentifier(channel)] === catchUp else { return }  // adopted or skipped meanwhile
        catchingUp[ObjectIdentifier(channel)] = nil
        if channel.epoch == epoch, channel.ring.lastOffset == after, let messages,
            let ticks = storedTicks(messages, channel: channel, after: after, through: through)
        {
            for (_, tick) in ticks { appendRemote(tick, to: channel) }
            counters.remoteFilled += UInt64(ticks.count)
        } else if channel.epoch == epoch, channel.ring.lastOffset < through {
            counters.remoteSkipped += 1
            channel.ring.skip(after: through)
        }
        for p in catchUp.buffer { apply(p, fillGaps: true) }
    }

    private func appendRemote(_ p: RemotePublication, to channel: Channel) {
        let decoded = storedValues!.fields(p.fields)
        counters.rejectedStoredValues += UInt64(decoded.skipped)
        let key = channel.key
        appendRemote(
            Tick(
                source: key.source, instrument: key.instrument, stream: key.stream, exchangeTime: p.exchangeTime, receiveTime: p.receiveTime,
                sequence: 0, fields: decoded.fields),
            to: channel)
    }

    private func appendRemote(_ tick: Tick, to channel: Channel) {
        // A state channel's publication is its whole merged state.
        if channel.delivery == .state { channel.state = tick }
        _ = append(tick, to: channel, fence: nil, record: false)
        counters.remoteApplied += 1
        remoteObserver?(tick)
    }

    /// Another node restarted the channel on a new epoch, or the cluster holds less than this
    /// node did: offsets start again after `offset`. Each subscriber is told with a `channel`
    /// push (the epoch, perhaps new) and goes on from the next publication.
    private func rebase(_ channel: Channel, epoch: String, after offset: UInt64) {
        channel.epoch = epoch
        channel.state = nil
        channel.ring.skip(after: offset, discarding: true)
        for cursor in channel.cursors {
            cursor.next = offset + 1
            enqueue(ServerMessage.channelJoined(channel, subscription: cursor.subscription.key), to: cursor.session)
        }
    }

    /// This node lost `lease`: the channels it published under it may differ from the
    /// cluster's at their newest offsets, until the next owner's publications say.
    public func leaseLost(_ lease: String) {
        for c in registry.all where c.producedUnder == lease {
            c.unconfirmed = true
            c.producedUnder = nil
        }
    }

}
