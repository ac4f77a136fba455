import SimdJSON

/// The serving stage: routes ticks to channels, keeps each channel's ring and state, and runs
/// the client protocol for every session (subscribe, unsubscribe, ping, frames to write).
///
/// Threading: loop-confined — every method runs on the loop thread that owns the sockets.
public final class Hub: @unchecked Sendable {
    public let properties: PropertyTable
    /// Names a subscription may project onto (`fields`): registered properties.
    let projectable: (String) -> PropertyID?
    public let views = ViewTable()
    /// Subscription filters in use, each compiled once.
    public let filters = FilterTable()
    /// Handles the `publish` op (checks, validation, rate limits, `publish`): the reply's
    /// `result`, or the error to answer. Nil: the op is unsupported (1007). Loop thread.
    public var publisher: ((Session, PublishRequest, Int64) throws(ProtocolError) -> [UInt8])?
    public let config: ServeConfig
    public internal(set) var counters = ServeCounters()

    let encoder: PublicationEncoder
    let parser: JSONParser
    let now: () -> Int64
    let makeEpoch: () -> String
    /// Types history read back from the store (set by `restore`); without it, recovery from the
    /// store answers `recovered: false` rather than splice unchecked bytes.
    var storedValues: StoredValueDecoder?
    let registry: ChannelRegistry
    /// Persistence beyond the rings (Redis), when configured.
    public let history: HistoryStore?
    /// Hands work from other threads (history replies) back to the loop.
    let runOnLoop: @Sendable (@escaping @Sendable () -> Void) -> Void
    /// Authentication and authorisation; nil lets everyone do everything (tests, tools).
    public let access: AccessControl?
    var sessions: [UInt64: Session] = [:]
    var nextSessionID: UInt64 = 1
    /// Recoveries from the history store in flight across sessions.
    public internal(set) var recoveriesInFlight = 0
    /// Subscriptions per client address, across its connections (`maxSubscriptionsPerAddress`).
    var subscriptionsByAddress: [String: Int] = [:]
    /// Usage analytics: counted unless turned off (`usage.enabled`; the fan-out benchmark
    /// compares both).
    public var tracksUsage = true
    /// Usage since the last roll-up (`collectUsage`).
    var usage = UsageLedger()
    /// Receives evicted ticks' field arrays for reuse (set by `Pipeline`).
    public var fieldPool: FieldArrayPool?
    /// In a cluster: the leases this node holds. A publication is made only under a held lease
    /// (`producing`), and carries its fencing token to the store. Nil: a single node.
    public var leases: LeaseHolder?
    /// The lease the publications being made now belong to (set by `producing`).
    public internal(set) var currentLease = ""
    /// Sees every publication applied from another node (cross-venue enrichment; set by `Pipeline`).
    public var remoteObserver: ((Tick) -> Void)?
    /// Remote publications waiting for a gap before them to be fetched, per channel.
    var catchingUp: [ObjectIdentifier: RemoteCatchUp] = [:]

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
        access: AccessControl? = nil,
        runOnLoop: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void = { $0() }
    ) {
        self.history = history
        self.access = access
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

    /// Channels per source (venue).
    public func channelCounts() -> [String: Int] {
        var out: [String: Int] = [:]
        for c in registry.all { out[c.key.source, default: 0] += 1 }
        return out
    }
    public var allChannels: [Channel] { registry.all }
    public func channel(named name: String) -> Channel? { registry.channel(named: name) }

    func channel(for key: ChannelKey) -> Channel {
        if let c = registry.channel(key) { return c }
        return createChannel(key)
    }

    /// A new channel (a fresh epoch, or `epoch` continuing after `offset`), joined by the
    /// subscriptions waiting for it.
    func createChannel(_ key: ChannelKey, epoch: String? = nil, after offset: UInt64 = 0) -> Channel {
        let c = registry.create(key, epoch: epoch)
        if offset > 0 { c.ring.resume(after: offset) }
        counters.channels = registry.count
        for sub in registry.watchers(of: key) where sub.session.cursors[ObjectIdentifier(c)] == nil && sub.session.may(key) {
            enqueue(ServerMessage.channelJoined(c, subscription: sub.key), to: sub.session)
            attach(sub, to: c, next: 1)
        }
        return c
    }

    /// A channel's latest state as a publication (`{"ch","off","epoch","ts","rt","data"}`), or
    /// nil when the channel is unknown or has published nothing.
    /// `mask` limits the properties (a caller's policy); nil when there is no such channel
    /// with data, or `allowed` refuses it (a caller may not tell apart "hidden" and "absent").
    public func latestState(_ name: String, mask: PropertyMask = .all, allowed: (ChannelKey) -> Bool = { _ in true }) -> [UInt8]? {
        guard let channel = registry.channel(named: name), let tick = channel.latest, allowed(channel.key) else { return nil }
        // With the epoch: an HTTP reader has no subscribe reply to learn it from.
        return encoder.encode(channel: channel, offset: channel.ring.lastOffset, tick: tick, mask: mask, epoch: channel.epoch)
    }

    // MARK: Serve stage

    /// Publishes a tick on its channel and wakes the subscribers. O(subscribers) with no
    /// per-subscriber copies: bytes are made once per view when first written.
    /// Returns the offset, or 0 when this cluster node does not hold the current lease (the
    /// publication is not made; counted as `unownedPublications`).
    @discardableResult
    public func publish(_ tick: Tick) -> UInt64 {
        var fence: Fence?
        if let leases {
            guard let token = leases.token(for: currentLease) else {
                counters.unownedPublications += 1
                return 0
            }
            fence = Fence(lease: currentLease, token: token)
        }
        let channel = channel(for: ChannelKey(stream: tick.stream, source: tick.source, instrument: tick.instrument))
        if fence != nil {
            channel.producedUnder = currentLease
            channel.unconfirmed = false
        }
        return append(channel.absorb(tick), to: channel, fence: fence, record: true)
    }

    /// Runs `body` with its publications made under `lease` (the feed or role that makes them).
    public func producing<R>(_ lease: String, _ body: () throws -> R) rethrows -> R {
        let outer = currentLease
        currentLease = lease
        defer { currentLease = outer }
        return try body()
    }

    /// Whether this node may publish under `lease` now (always, on a single node).
    public func holds(_ lease: String) -> Bool { leases.map { $0.token(for: lease) != nil } ?? true }

    /// Appends `stored` (the tick as published: merged state or event) to `channel`, persists it
    /// when `record` (a publication made here), and wakes the subscribers.
    func append(_ stored: consuming Tick, to channel: Channel, fence: Fence?, record: Bool) -> UInt64 {
        let ring = channel.ring
        // Serialised once, at publish, only when someone listens (or it persists); projections
        // splice from it.
        var storage = ring.reclaim()
        let full =
            channel.cursors.isEmpty && (history == nil || !record)
            ? nil
            : encoder.encodeFull(channel: channel, offset: ring.lastOffset + 1, tick: stored, previous: ring.latestPublished, storage: &storage)
        fieldPool?.put(&storage.fields)
        let exchangeTime = stored.exchangeTime, receiveTime = stored.receiveTime
        // Moved into the ring where the caller has no other use for it (`publish`: a merged
        // state's copy, or an event); a copy retained its strings and arrays once more.
        let offset = ring.append(stored, full: full)
        if record, let history, let full {
            history.record(
                StoredPublication(
                    channel: channel.name, epoch: channel.epoch, offset: offset, exchangeTime: exchangeTime,
                    receiveTime: receiveTime, encoded: full, fence: fence, startsEpoch: offset == 1))
        }
        counters.publications += 1
        let event = channel.delivery == .event
        let cursors = channel.cursors
        for i in cursors.indices {
            // Borrowed, not retained (per subscriber, per publication): `cursors` holds the
            // cursors and their sessions outlive them.
            unowned(unsafe) let cursor = cursors[i]
            unowned(unsafe) let s = cursor.session
            guard !s.isClosing else { continue }
            // A paused cursor waits for a recovery: where the ring is does not say it is slow.
            if cursor.isPaused { continue }
            if event && (cursor.next < ring.firstOffset || ring.backlogBytes(from: cursor.next) > UInt64(config.maxPendingBytes)) {
                close(s, .slowConsumer)
                continue
            }
            if !cursor.isReady {
                cursor.isReady = true
                s.ready.append(cursor)
            }
            // Checked here, not only in `schedule`: a subscriber that is behind already has a
            // write coming, and calling `schedule` would retain and release it for nothing.
            if !s.writeScheduled { schedule(s) }
        }
        return offset
    }

    /// What `restore` made of the store's channels.
    public struct RestoreOutcome: Equatable {
        public var channels = 0
        /// Values (and unreadable channel names) skipped.
        public var skipped = 0
        /// Channels whose stored epoch or offset could not be true: they start a new epoch.
        public var newEpochs: [String] = []
    }

    /// The largest offset a channel may carry: clients read offsets as JSON numbers, exact up to 2^53.
    public static let maxOffset: UInt64 = 1 << 53 - 1

    /// Re-creates persisted channels (start-up, before serving): their epochs continue, their
    /// offsets go on from the last one persisted, their latest state is the snapshot — each
    /// checked as if it came off the wire. Bad values are skipped; an epoch that is not one the
    /// hub makes, or an offset no channel can reach, starts the channel on a new epoch (its
    /// clients then get `recovered: false` and a snapshot) instead of trusting it. `decoder` is
    /// kept for history read back during recovery.
    @discardableResult
    public func restore(_ channels: [RestoredChannel], decoder: StoredValueDecoder) -> RestoreOutcome {
        storedValues = decoder
        var outcome = RestoreOutcome()
        for r in channels {
            guard let key = ChannelKey(name: r.name) else {
                outcome.skipped += 1
                continue
            }
            guard registry.channel(key) == nil else { continue }
            let trusted = Self.isEpoch(r.epoch) && r.offset <= Self.maxOffset
            let c = registry.create(key, epoch: trusted ? r.epoch : nil)
            if trusted { c.ring.resume(after: r.offset) } else { outcome.newEpochs.append(r.name) }
            let decoded = decoder.fields(r.fields)
            outcome.skipped += decoded.skipped
            c.state = Tick(
                source: key.source, instrument: key.instrument, stream: key.stream, exchangeTime: r.exchangeTime,
                receiveTime: r.receiveTime, sequence: 0, fields: decoded.fields)
            outcome.channels += 1
        }
        counters.channels = registry.count
        return outcome
    }

    /// An epoch as `randomEpoch` makes them (and earlier runs did): 1–32 letters, digits, `-`, `_`.
    static func isEpoch(_ s: String) -> Bool {
        (1...32).contains(s.utf8.count)
            && s.utf8.allSatisfy { $0 < 0x80 && (Character(UnicodeScalar($0)).isLetter || Character(UnicodeScalar($0)).isNumber || $0 == 0x2D || $0 == 0x5F) }
    }

    // MARK: Sessions

    public var sessionCount: Int { sessions.count }

    /// Subscriptions across every session (O(sessions): for monitoring, not the hot path).
    public var subscriptionCount: Int { sessions.values.reduce(0) { $0 + $1.subscriptions.count } }

    /// A new connection. `token` (from the handshake's Authorization header or `access_token`)
    /// is verified off the loop; without one the session is anonymous when that is allowed, or
    /// must send `auth` within the deadline.
    public func open(transport: SessionTransport, remoteAddress: String, token: String? = nil) -> Session {
        let s = Session(id: nextSessionID, remoteAddress: remoteAddress, transport: transport, openedAt: now())
        nextSessionID += 1
        sessions[s.id] = s
        counters.sessions = sessions.count
        if let access {
            if let token {
                authenticate(s, token: token, requestID: nil, refresh: false)
            } else if let anonymous = access.anonymous {
                _ = apply(anonymous, to: s, access)
            }
        }
        return s
    }

    /// The connection is gone: drop its cursors and subscriptions.
    public func disconnect(_ s: Session) {
        if tracksUsage { foldSession(s, nowMicros: now(), into: &usage) }
        for c in s.cursors.values { retire(c) }
        s.cursors.removeAll()
        s.ready.removeAll()
        for sub in s.subscriptions.values { registry.unwatch(sub) }
        countSubscriptions(-s.subscriptions.count, from: s)
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
        s.lastMessageAt = now()
        if s.authPending {
            // Requests wait for the token check (a client may subscribe right after connecting).
            guard s.waitingRequests.count < 64 else { return close(s, .tooManyWaiting) }
            s.waitingRequests.append(Array(message))
            return
        }
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
}

/// Carries loop-confined values across a thread hop that ends back on the loop.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
