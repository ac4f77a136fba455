import SimdJSON

/// The serving stage: routes ticks to channels, keeps each channel's ring and state, and runs
/// the client protocol for every session (subscribe, unsubscribe, ping, frames to write).
///
/// Threading: loop-confined — every method runs on the loop thread that owns the sockets.
public final class Hub: @unchecked Sendable {
    public let properties: PropertyTable
    /// Names a subscription may project onto (`fields`): registered properties.
    private let projectable: (String) -> PropertyID?
    public let views = ViewTable()
    public let config: ServeConfig
    public private(set) var counters = ServeCounters()

    private let encoder: PublicationEncoder
    private let parser: JSONParser
    private let now: () -> Int64
    private let makeEpoch: () -> String
    private let registry: ChannelRegistry
    /// Persistence beyond the rings (Redis), when configured.
    public let history: HistoryStore?
    /// Hands work from other threads (history replies) back to the loop.
    private let runOnLoop: @Sendable (@escaping @Sendable () -> Void) -> Void
    private var sessions: [UInt64: Session] = [:]
    private var nextSessionID: UInt64 = 1

    /// - Parameters:
    ///   - projectable: resolves a `fields` name to a property (default: any interned name).
    ///   - now: wall clock in microseconds since the epoch (ping replies).
    ///   - makeEpoch: a fresh epoch for each new channel.
    ///   - history: where publications persist beyond the rings, if anywhere.
    ///   - runOnLoop: runs a closure on the loop thread (history replies arrive elsewhere).
    public init(
        properties: PropertyTable, config: ServeConfig = ServeConfig(), projectable: ((String) -> PropertyID?)? = nil,
        now: @escaping () -> Int64 = WallClock.microseconds,
        makeEpoch: @escaping () -> String = Hub.randomEpoch,
        history: HistoryStore? = nil,
        runOnLoop: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void = { $0() }
    ) {
        self.history = history
        self.runOnLoop = runOnLoop
        self.properties = properties
        self.projectable = projectable ?? { [properties] in properties.id($0) }
        self.config = config
        self.now = now
        self.makeEpoch = makeEpoch
        encoder = PublicationEncoder(properties: properties)
        parser = JSONParser(maxDocumentBytes: config.maxMessageBytes)
        registry = ChannelRegistry(config: config, makeEpoch: makeEpoch)
    }

    public static func randomEpoch() -> String {
        String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    // MARK: Channels

    public var channelCount: Int { registry.count }
    public var allChannels: [Channel] { registry.all }
    public func channel(named name: String) -> Channel? { registry.channel(named: name) }

    private func channel(for key: ChannelKey) -> Channel {
        if let c = registry.channel(key) { return c }
        let c = registry.create(key)
        counters.channels = registry.count
        for sub in registry.watchers(of: key) where sub.session.cursors[ObjectIdentifier(c)] == nil {
            enqueue(ServerMessage.channelJoined(c, subscription: sub.key), to: sub.session)
            attach(sub, to: c, next: 1)
        }
        return c
    }

    /// A channel's latest state as a publication (`{"ch","off","epoch","ts","rt","data"}`), or
    /// nil when the channel is unknown or has published nothing.
    public func latestState(_ name: String) -> [UInt8]? {
        guard let channel = registry.channel(named: name), let tick = channel.latest else { return nil }
        // With the epoch: an HTTP reader has no subscribe reply to learn it from.
        return encoder.encode(channel: channel, offset: channel.ring.lastOffset, tick: tick, mask: .all, epoch: channel.epoch)
    }

    // MARK: Serve stage

    /// Publishes a tick on its channel and wakes the subscribers. O(subscribers) with no
    /// per-subscriber copies: bytes are made once per view when first written.
    @discardableResult
    public func publish(_ tick: Tick) -> UInt64 {
        let channel = channel(for: ChannelKey(stream: tick.stream, source: tick.source, instrument: tick.instrument))
        let stored = channel.absorb(tick)
        let ring = channel.ring
        // Serialised once, at publish, only when someone listens (or it persists); projections
        // splice from it.
        let full = channel.cursors.isEmpty && history == nil
            ? nil : encoder.encodeFull(channel: channel, offset: ring.lastOffset + 1, tick: stored)
        let offset = ring.append(stored, full: full)
        if let history, let full {
            history.record(
                StoredPublication(
                    channel: channel.name, epoch: channel.epoch, offset: offset, exchangeTime: stored.exchangeTime,
                    receiveTime: stored.receiveTime, encoded: full))
        }
        counters.publications += 1
        let event = channel.delivery == .event
        for cursor in channel.cursors {
            let s = cursor.session
            guard s.closeReason == nil else { continue }
            if event && (cursor.next < ring.firstOffset || ring.backlogBytes(from: cursor.next) > UInt64(config.maxPendingBytes)) {
                close(s, .slowConsumer)
                continue
            }
            if cursor.isPaused { continue }
            if !cursor.isReady {
                cursor.isReady = true
                s.ready.append(cursor)
            }
            schedule(s)
        }
        return offset
    }

    /// Re-creates persisted channels (start-up, before serving): their epochs continue, their
    /// offsets go on from the last one persisted, their latest state is the snapshot.
    /// Returns how many channels were restored and how many stored values were skipped.
    @discardableResult
    public func restore(_ channels: [RestoredChannel], decoder: StoredValueDecoder) -> (channels: Int, skipped: Int) {
        var restored = 0, skipped = 0
        for r in channels {
            guard let p = try? ChannelPattern(parsing: r.name, allowWildcards: false), let stream = StreamKind(rawValue: p.stream!) else {
                skipped += 1
                continue
            }
            let key = ChannelKey(stream: stream, source: p.venue!, instrument: p.instrument!)
            guard registry.channel(key) == nil else { continue }
            let c = registry.create(key, epoch: r.epoch)
            c.ring.resume(after: r.offset)
            let decoded = decoder.fields(r.fields)
            skipped += decoded.skipped
            c.state = Tick(
                source: key.source, instrument: key.instrument, stream: stream, exchangeTime: r.exchangeTime,
                receiveTime: r.receiveTime, sequence: 0, fields: decoded.fields)
            restored += 1
        }
        counters.channels = registry.count
        return (restored, skipped)
    }

    // MARK: Sessions

    public var sessionCount: Int { sessions.count }

    public func open(transport: SessionTransport, remoteAddress: String) -> Session {
        let s = Session(id: nextSessionID, remoteAddress: remoteAddress, transport: transport)
        nextSessionID += 1
        sessions[s.id] = s
        counters.sessions = sessions.count
        return s
    }

    /// The connection is gone: drop its cursors and subscriptions.
    public func disconnect(_ s: Session) {
        for c in s.cursors.values {
            c.channel.detach(c)
            c.isDetached = true
        }
        s.cursors.removeAll()
        s.ready.removeAll()
        for sub in s.subscriptions.values { registry.unwatch(sub) }
        s.subscriptions.removeAll()
        s.control.removeAll()
        sessions[s.id] = nil
        counters.sessions = sessions.count
    }

    /// Starts closing every session with 1001 (graceful shutdown).
    public func closeAll(_ reason: CloseReason = .goingAway) {
        for s in sessions.values where s.closeReason == nil { close(s, reason) }
    }

    public func close(_ s: Session, _ reason: CloseReason) {
        guard s.closeReason == nil else { return }
        s.closeReason = reason
        s.ready.removeAll()
        if reason == .slowConsumer {
            counters.slowConsumers += 1
            s.control.removeAll()
            s.controlBytes = 0
        }
        s.writeScheduled = true
        s.transport.requestClose(reason)
    }

    /// A complete text message from the client.
    public func receive(_ s: Session, message: UnsafeRawBufferPointer) {
        guard s.closeReason == nil else { return }
        counters.requests += 1
        if message.count > config.maxMessageBytes {
            close(s, .messageTooBig)
            return
        }
        do {
            let command = try parser.parse(message) { root throws(ProtocolError) in try ClientCommand(parsing: root) }
            try handle(command, s)
        } catch let e as ProtocolError {
            fail(s, e)
        } catch {
            fail(s, ProtocolError(.badRequest, "malformed JSON: \(error)"))
        }
    }

    /// A binary frame: not part of protocol v1.
    public func receiveBinary(_ s: Session) {
        close(s, .binaryFrame)
    }

    private func fail(_ s: Session, _ e: ProtocolError) {
        counters.protocolErrors += 1
        s.protocolErrors += 1
        if s.protocolErrors > config.maxProtocolErrors {
            close(s, .badRequest)
            return
        }
        enqueue(ServerMessage.error(e), to: s)
    }

    private func handle(_ command: ClientCommand, _ s: Session) throws(ProtocolError) {
        switch command.op {
        case .ping:
            var result: [UInt8] = []
            JSONWriter.appendLiteral("{\"ts\":", to: &result)
            JSONWriter.appendInt(now(), to: &result)
            result.append(UInt8(ascii: "}"))
            enqueue(ServerMessage.reply(id: command.id, result: result), to: s)
        case .subscribe(let sub):
            try subscribe(sub, id: command.id, s)
        case .unsubscribe(let channel):
            guard let sub = s.subscriptions[channel] else {
                throw ProtocolError(.notSubscribed, "not subscribed to '\(channel.prefix(200))'", id: command.id)
            }
            unsubscribe(sub, s)
            enqueue(ServerMessage.reply(id: command.id, result: Array("{}".utf8)), to: s)
        }
    }

    private func subscribe(_ request: ClientCommand.Subscribe, id: Int64, _ s: Session) throws(ProtocolError) {
        let pattern: ChannelPattern
        do {
            pattern = try ChannelPattern(parsing: request.channel)
        } catch {
            throw ProtocolError(.invalidChannel, "invalid channel '\(request.channel.prefix(200))': \(error)", id: id)
        }
        if let stream = pattern.stream, StreamKind(rawValue: stream) == nil {
            throw ProtocolError(.invalidChannel, "unknown stream '\(stream)'", id: id)
        }
        guard s.subscriptions[request.channel] == nil else {
            throw ProtocolError(.alreadySubscribed, "already subscribed to '\(request.channel)'", id: id)
        }
        guard s.subscriptions.count < config.maxSubscriptions else {
            throw ProtocolError(.tooManySubscriptions, "at most \(config.maxSubscriptions) subscriptions per connection", id: id)
        }
        if request.since != nil && !pattern.isExact {
            throw ProtocolError(.badRequest, "since needs an exact channel, not a pattern", id: id)
        }
        var view = ViewID.all
        if let fields = request.fields {
            var mask = PropertyMask([])
            for name in fields {
                guard let pid = projectable(name) else {
                    throw ProtocolError(.unknownProperty, "unknown property '\(name.prefix(64))' in fields", id: id)
                }
                mask.insert(pid)
            }
            view = views.intern(mask)
        }

        let sub = Subscription(pattern: pattern, key: request.channel, view: view, session: s)
        s.subscriptions[request.channel] = sub
        registry.watch(sub)

        var result: [UInt8] = []
        JSONWriter.appendLiteral("{\"channels\":[", to: &result)
        var snapshots: [[UInt8]] = []
        var recovered: Bool?
        var first = true
        for channel in registry.matching(pattern) where s.cursors[ObjectIdentifier(channel)] == nil {
            let ring = channel.ring
            var next = ring.lastOffset + 1
            if let since = request.since {
                switch recovery(channel, since) {
                case .fromRing:
                    recovered = true
                    next = since.offset + 1
                case .fromHistory(let through):
                    // Missed publications older than the ring: fetched from the history store;
                    // the reply waits for them.
                    let cursor = attach(sub, to: channel, next: through + 1, paused: true)
                    recoverFromHistory(s, sub: sub, cursor: cursor, id: id, since: since, through: through)
                    return
                case .impossible:
                    recovered = false
                }
            }
            if recovered != true, let tick = channel.latest {
                snapshots.append(encoder.encode(channel: channel, offset: ring.lastOffset, tick: tick, mask: views.mask(view), snapshot: true))
            }
            attach(sub, to: channel, next: next)
            if !first { result.append(UInt8(ascii: ",")) }
            first = false
            ServerMessage.appendChannelEntry(channel, to: &result)
        }
        result.append(UInt8(ascii: "]"))
        if request.since != nil {
            JSONWriter.appendLiteral(",\"recovered\":", to: &result)
            JSONWriter.appendBool(recovered ?? false, to: &result)
        }
        result.append(UInt8(ascii: "}"))
        enqueue(ServerMessage.reply(id: id, result: result), to: s)
        for snap in snapshots { enqueue(snap, to: s) }
    }

    @discardableResult
    private func attach(_ sub: Subscription, to channel: Channel, next: UInt64, paused: Bool = false) -> Cursor {
        let s = sub.session
        let cursor = Cursor(session: s, channel: channel, next: next, subscription: sub)
        cursor.isPaused = paused
        s.cursors[ObjectIdentifier(channel)] = cursor
        channel.attach(cursor)
        if cursor.hasPending {
            cursor.isReady = true
            s.ready.append(cursor)
            schedule(s)
        }
        return cursor
    }

    private enum Recovery {
        case fromRing
        /// Fetch `since.offset + 1 … through` from the history store, then continue from the ring.
        case fromHistory(through: UInt64)
        case impossible
    }

    private func recovery(_ channel: Channel, _ since: ClientCommand.Position) -> Recovery {
        let ring = channel.ring
        guard since.epoch == channel.epoch, since.offset <= ring.lastOffset else { return .impossible }
        if since.offset == ring.lastOffset { return .fromRing }  // nothing missed
        guard ring.lastOffset - since.offset <= UInt64(config.maxRecoverMessages) else { return .impossible }
        if since.offset + 1 >= ring.firstOffset {
            if config.historyMaxAgeSeconds > 0, let first = ring.tick(at: since.offset + 1),
                Double(now() - first.receiveTime) / 1e6 > config.historyMaxAgeSeconds {
                return .impossible
            }
            return .fromRing
        }
        return history == nil ? .impossible : .fromHistory(through: ring.firstOffset - 1)
    }

    private func recoverFromHistory(_ s: Session, sub: Subscription, cursor: Cursor, id: Int64, since: ClientCommand.Position, through: UInt64) {
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

    private func completeRecovery(
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

    private func unsubscribe(_ sub: Subscription, _ s: Session) {
        s.subscriptions[sub.key] = nil
        registry.unwatch(sub)
        for (key, cursor) in s.cursors where cursor.subscription === sub {
            // Another subscription of this session that matches keeps the channel flowing.
            if let other = s.subscriptions.values.first(where: { $0.pattern.matches(cursor.channel.key) }) {
                cursor.subscription = other
                continue
            }
            cursor.channel.detach(cursor)
            cursor.isDetached = true
            s.cursors[key] = nil
        }
    }

    // MARK: Writing

    /// What the loop should do with a writable connection.
    public enum WriteOutcome: Equatable, Sendable {
        /// Nothing to send.
        case idle
        /// `out` holds one frame to write; `more` asks for another writable callback.
        case frame(more: Bool)
        /// Send a close frame with this code and drop the connection.
        case close(CloseReason)
    }

    /// Fills one frame for `s`: pending replies first, then publications from ready cursors
    /// (round-robin), joined by `\n`, up to `frameBytes`. Applies the queue policy: state cursors
    /// too far behind jump to the newest publication; event cursors too far behind close the
    /// session as a slow consumer.
    public func fillFrame(_ s: Session, into out: inout [UInt8]) -> WriteOutcome {
        s.writeScheduled = false
        let start = out.count
        if let reason = s.closeReason {
            // Replies already queued (the errors that led here) go out before the close frame,
            // except to a slow consumer, which is not reading anyway.
            guard reason != .slowConsumer, !s.control.isEmpty else { return .close(reason) }
            var n = 0
            while let msg = s.control.first, n == 0 || out.count - start + msg.count < config.frameBytes {
                if n > 0 { out.append(UInt8(ascii: "\n")) }
                out.append(contentsOf: msg)
                s.control.removeFirst()
                s.controlBytes -= msg.count
                n += 1
            }
            s.writeScheduled = true
            return .frame(more: true)
        }
        let budget = config.frameBytes
        var messages = 0

        /// Room for one more message of `size` bytes (always for the first): adds the separator.
        func reserve(_ size: Int) -> Bool {
            let used = out.count - start
            if messages > 0 && used + 1 + size > budget { return false }
            if messages > 0 { out.append(UInt8(ascii: "\n")) }
            messages += 1
            return true
        }

        func add(_ bytes: [UInt8]) -> Bool {
            guard reserve(bytes.count) else { return false }
            out.append(contentsOf: bytes)
            return true
        }

        while let msg = s.control.first, add(msg) {
            s.control.removeFirst()
            s.controlBytes -= msg.count
        }

        var full = out.count - start >= budget || !s.control.isEmpty
        var rounds = s.ready.count
        while !full, rounds > 0, let cursor = s.ready.popFirst() {
            rounds -= 1
            cursor.isReady = false
            if cursor.isDetached || !cursor.hasPending { continue }
            let ring = cursor.channel.ring
            if cursor.channel.delivery == .event {
                if cursor.next < ring.firstOffset {
                    close(s, .slowConsumer)
                    out.removeSubrange(start...)
                    return .close(.slowConsumer)
                }
            } else if cursor.next < ring.firstOffset || ring.backlogBytes(from: cursor.next) > UInt64(config.conflateBytes) {
                cursor.next = ring.lastOffset  // conflation: the newest state replaces the backlog
                s.conflations += 1
                counters.conflations += 1
            }
            let view = cursor.view
            let mask = views.mask(view)
            while cursor.hasPending {
                // Projections are spliced from the full encoding straight into the frame: no
                // per-view allocation to make, cache and free (the full bytes are shared).
                if let fullEncoding = ring.full(at: cursor.next) {
                    if view == .all {
                        guard add(fullEncoding.bytes) else {
                            full = true
                            break
                        }
                    } else {
                        guard reserve(encoder.projectedSize(fullEncoding, mask: mask)) else {
                            full = true
                            break
                        }
                        encoder.project(fullEncoding, mask: mask, into: &out)
                    }
                } else {
                    guard let bytes = ring.encoding(at: cursor.next, view: view, make: { tick, _, off in
                        encoder.encode(channel: cursor.channel, offset: off, tick: tick, mask: mask)
                    }) else { break }
                    guard add(bytes) else {
                        full = true
                        break
                    }
                }
                cursor.next += 1
            }
            if cursor.hasPending {
                cursor.isReady = true
                s.ready.append(cursor)
            }
        }

        guard messages > 0 else { return .idle }
        s.messagesSent += UInt64(messages)
        s.framesSent += 1
        counters.framesOut += 1
        counters.messagesOut += UInt64(messages)
        counters.bytesOut += UInt64(out.count - start)
        let more = !s.control.isEmpty || !s.ready.isEmpty
        if more { s.writeScheduled = true }
        return .frame(more: more)
    }

    private func enqueue(_ message: [UInt8], to s: Session) {
        guard s.closeReason == nil else { return }
        s.controlBytes += message.count
        s.control.append(message)
        if s.controlBytes > config.maxControlBytes {
            close(s, .slowConsumer)
            return
        }
        schedule(s)
    }

    @inline(__always)
    private func schedule(_ s: Session) {
        if !s.writeScheduled {
            s.writeScheduled = true
            s.transport.requestWritable()
        }
    }
}

/// Carries loop-confined values across a thread hop that ends back on the loop.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
