import SimdJSON

/// Client requests: subscribe, unsubscribe, ping (and errors).
extension Hub {
    func fail(_ s: Session, _ e: ProtocolError) {
        counters.protocolErrors += 1
        s.protocolErrors += 1
        if s.protocolErrors > config.maxProtocolErrors {
            close(s, .badRequest)
            return
        }
        enqueue(ServerMessage.error(e), to: s)
    }

    func handle(_ command: ClientCommand, _ s: Session) throws(ProtocolError) {
        if access != nil && s.principal == nil {
            switch command.op {
            case .auth, .ping: break
            default: throw ProtocolError(.unauthorized, "authenticate first: send {\"op\":\"auth\",\"token\":…}", id: command.id)
            }
        }
        switch command.op {
        case .auth(let token):
            guard access != nil else { throw ProtocolError(.unsupported, "this server does not authenticate", id: command.id) }
            authenticate(s, token: token, requestID: command.id, refresh: false)
        case .refresh(let token):
            guard access != nil, s.principal != nil, s.principal?.isAnonymous == false else {
                throw ProtocolError(.unauthorized, "refresh needs an authenticated session", id: command.id)
            }
            authenticate(s, token: token, requestID: command.id, refresh: true)
        case .ping:
            var result: [UInt8] = []
            JSONWriter.appendLiteral("{\"ts\":", to: &result)
            JSONWriter.appendInt(now(), to: &result)
            result.append(UInt8(ascii: "}"))
            enqueue(ServerMessage.reply(id: command.id, result: result), to: s)
        case .subscribe(let sub):
            try subscribe(sub, id: command.id, s)
        case .publish(let request):
            guard let publisher else { throw ProtocolError(.unsupported, "this server does not take publications", id: command.id) }
            let result = try publisher(s, request, command.id)
            enqueue(ServerMessage.reply(id: command.id, result: result), to: s)
        case .unsubscribe(let channel):
            guard let sub = s.subscriptions[channel] else {
                throw ProtocolError(.notSubscribed, "not subscribed to '\(channel.prefix(200))'", id: command.id)
            }
            unsubscribe(sub, s)
            enqueue(ServerMessage.reply(id: command.id, result: Array("{}".utf8)), to: s)
        }
    }

    func subscribe(_ request: ClientCommand.Subscribe, id: Int64, _ s: Session) throws(ProtocolError) {
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
        guard config.maxSubscriptionsPerAddress == 0 || subscriptionsByAddress[s.remoteAddress, default: 0] < config.maxSubscriptionsPerAddress else {
            throw ProtocolError(.tooManySubscriptions, "at most \(config.maxSubscriptionsPerAddress) subscriptions per client address", id: id)
        }
        if request.since != nil && !pattern.isExact {
            throw ProtocolError(.badRequest, "since needs an exact channel, not a pattern", id: id)
        }
        if let policy = s.policy, !policy.mayMatch(pattern) {
            throw ProtocolError(.forbidden, "your roles do not allow '\(request.channel.prefix(200))'", id: id)
        }
        var fields: PropertyMask?
        if let names = request.fields {
            var mask = PropertyMask([])
            for name in names {
                guard let pid = projectable(name) else {
                    throw ProtocolError(.unknownProperty, "unknown property '\(name.prefix(64))' in fields", id: id)
                }
                guard s.policyMask.contains(pid) else {
                    throw ProtocolError(.forbidden, "property '\(name.prefix(64))' is not available to your roles and flags", id: id)
                }
                mask.insert(pid)
            }
            fields = mask
        }
        // A filter may name only what the session may see (as `fields`); compiled once per distinct filter.
        var filter: CompiledFilter?
        if let f = request.filter {
            for name in f.properties.sorted() {
                guard let pid = projectable(name) else {
                    throw ProtocolError(.unknownProperty, "unknown property '\(name.prefix(64))' in filter", id: id)
                }
                guard s.policyMask.contains(pid) else {
                    throw ProtocolError(.forbidden, "property '\(name.prefix(64))' is not available to your roles and flags", id: id)
                }
            }
            filter = filters.retain(f, resolve: projectable)
        }

        let sub = Subscription(
            pattern: pattern, key: request.channel, fields: fields, mask: viewMask(s, fields), views: views, session: s, filter: filter, filters: filters)
        s.subscriptions[request.channel] = sub
        countSubscriptions(1, from: s)
        registry.watch(sub)
        countSubscription(s)

        var result: [UInt8] = []
        JSONWriter.appendLiteral("{\"channels\":[", to: &result)
        var snapshots: [[UInt8]] = []
        var recovered: Bool?
        var first = true
        let view = sub.view
        for channel in registry.matching(pattern) where s.cursors[ObjectIdentifier(channel)] == nil && s.may(channel.key) {
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
                    if admitsRecovery(s) {
                        let cursor = attach(sub, to: channel, next: through + 1, paused: true)
                        recoverFromHistory(s, cursor: cursor, id: id, since: since, through: through)
                        return
                    }
                    recovered = false
                case .impossible:
                    recovered = false
                }
            }
            if recovered != true, let tick = channel.latest, sub.passes(tick) {
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
    func attach(_ sub: Subscription, to channel: Channel, next: UInt64, paused: Bool = false) -> Cursor {
        let s = sub.session
        let cursor = Cursor(session: s, channel: channel, next: next, subscription: sub)
        cursor.isPaused = paused
        s.cursors[ObjectIdentifier(channel)] = cursor
        channel.attach(cursor)
        countAttach(cursor)
        if cursor.hasPending {
            cursor.isReady = true
            s.ready.append(cursor)
            schedule(s)
        }
        return cursor
    }

    /// Keeps `subscriptionsByAddress` (entries go when they reach zero).
    func countSubscriptions(_ delta: Int, from s: Session) {
        let n = subscriptionsByAddress[s.remoteAddress, default: 0] + delta
        subscriptionsByAddress[s.remoteAddress] = n > 0 ? n : nil
    }

    func unsubscribe(_ sub: Subscription, _ s: Session) {
        guard s.subscriptions.removeValue(forKey: sub.key) != nil else { return }
        countSubscriptions(-1, from: s)
        registry.unwatch(sub)
        for (key, cursor) in s.cursors where cursor.subscription === sub {
            // Another subscription of this session that matches keeps the channel flowing.
            if let other = s.subscriptions.values.first(where: { $0.pattern.matches(cursor.channel.key) }), s.may(cursor.channel.key) {
                cursor.subscription = other
                continue
            }
            retire(cursor)
            s.cursors[key] = nil
        }
    }

}
