/// Authentication, permissions and their changes on live sessions.
extension Hub {
    /// The mask of a subscription's view: what the session's policy lets through ∩ its fields.
    func viewMask(_ s: Session, _ fields: PropertyMask?) -> PropertyMask {
        fields.map { s.policyMask.intersection($0) } ?? s.policyMask
    }

    /// Verifies `token` off the loop; the session's requests wait until the answer is in.
    func authenticate(_ s: Session, token: String, requestID: Int64?, refresh: Bool) {
        guard let access else { return }
        s.authPending = true
        let box = UncheckedSendable((self, s))
        access.verify(token: token) { [runOnLoop] result in
            runOnLoop {
                let (hub, s) = box.value
                hub.completeAuthentication(s, result, requestID: requestID, refresh: refresh)
            }
        }
    }

    private func completeAuthentication(_ s: Session, _ result: Result<Principal, AccessFailure>, requestID: Int64?, refresh: Bool) {
        guard sessions[s.id] === s, let access else { return }
        s.authPending = false
        switch result {
        case .success(let principal):
            if refresh, let current = s.principal, current.subject != principal.subject || current.issuer != principal.issuer {
                fail(s, ProtocolError(.forbidden, "refresh must keep the same subject", id: requestID))
            } else if apply(principal, to: s, access) {
                if let id = requestID { enqueue(ServerMessage.reply(id: id, result: ServerMessage.identity(principal, s.policy)), to: s) }
            } else {
                closeOrAnswer(s, requestID, ProtocolError(.forbidden, "account disabled or unknown", id: requestID), .forbidden)
            }
        case .failure(let failure):
            counters.authFailures += 1
            let code: ProtocolError.Code = .unauthorized
            let reason = failure.kind == .expired ? "token expired: \(failure.reason)" : "invalid token: \(failure.reason)"
            // A handshake token that fails ends the connection; an `auth`/`refresh` message gets an answer.
            closeOrAnswer(s, requestID, ProtocolError(code, reason, id: requestID), failure.kind == .expired ? .tokenExpired : .unauthorized)
        }
        let waiting = s.waitingRequests
        s.waitingRequests = []
        for request in waiting where s.closeReason == nil {
            request.withUnsafeBytes { receive(s, message: $0) }
        }
    }

    private func closeOrAnswer(_ s: Session, _ requestID: Int64?, _ error: ProtocolError, _ reason: CloseReason) {
        if requestID == nil && s.principal == nil {
            close(s, reason)
        } else {
            fail(s, error)
        }
    }

    /// Sets the session's identity and policy; false when the account may not connect.
    @discardableResult
    func apply(_ principal: Principal, to s: Session, _ access: AccessControl) -> Bool {
        guard let policy = access.policy(for: principal, on: s.connection) else { return false }
        // A session that changes identity (`auth` again) is told what it lost.
        let reason = s.principal.map { $0.subject != principal.subject || $0.issuer != principal.issuer ? "re-authenticated" : nil } ?? nil
        // Usage so far is booked to the identity the session had.
        if reason != nil { identityChanged(s) }
        s.principal = principal
        s.expiryWarned = false
        update(s, policy: policy, mask: access.mask(for: policy), reason: reason, identityFolded: reason != nil)
        return true
    }

    /// Installs a new policy: subscriptions and channels no longer allowed are removed (with an
    /// `unsubscribed` push naming the reason when `reason` is given), views are recompiled, and
    /// wildcard subscriptions pick up channels the new policy allows.
    private func update(_ s: Session, policy: AccessPolicy, mask: PropertyMask, reason: String?, identityFolded: Bool = false) {
        // Pushed when what the client can name changes (roles, scopes); flags have their own push.
        let old = s.policy
        let changed = old?.roles != policy.roles || old?.scopes != policy.scopes
        // New roles: usage so far goes to the old ones (a first policy has nothing to fold).
        if let old, old.roles != policy.roles, !identityFolded { identityChanged(s) }
        s.policy = policy
        s.policyMask = mask
        for sub in Array(s.subscriptions.values).sorted(by: { $0.key < $1.key }) {
            guard policy.mayMatch(sub.pattern) else {
                unsubscribe(sub, s)
                if let reason { enqueue(ServerMessage.unsubscribed(channel: sub.key, reason: reason), to: s) }
                continue
            }
            // A filter on a property no longer visible would tell its values: the subscription ends.
            if let filter = sub.filter, !filter.properties.allSatisfy(mask.contains) {
                unsubscribe(sub, s)
                enqueue(ServerMessage.unsubscribed(channel: sub.key, reason: reason ?? "filter names a property your roles no longer allow"), to: s)
                continue
            }
            sub.project(viewMask(s, sub.fields))
            for (key, cursor) in s.cursors where cursor.subscription === sub && !policy.allows(cursor.channel.key) {
                retire(cursor)
                s.cursors[key] = nil
                if let reason { enqueue(ServerMessage.unsubscribed(channel: cursor.channel.name, reason: reason), to: s) }
            }
            if !sub.pattern.isExact {
                for channel in registry.matching(sub.pattern) where s.cursors[ObjectIdentifier(channel)] == nil && policy.allows(channel.key) {
                    enqueue(ServerMessage.channelJoined(channel, subscription: sub.key), to: s)
                    // A state channel starts from its current state; an event channel from the next event.
                    let last = channel.ring.lastOffset
                    attach(sub, to: channel, next: channel.key.stream.delivery == .state && last > 0 ? last : last + 1)
                }
            }
        }
        if changed && reason != nil { enqueue(ServerMessage.permissions(policy), to: s) }
        if let old, old.flags != policy.flags { enqueue(ServerMessage.flags(policy.flags), to: s) }
    }

    /// Re-evaluates the live sessions whose principal matches (a role assigned or edited, a
    /// user disabled, a flag toggled): new policies take effect at once; a session whose account
    /// may no longer connect is closed with 4003.
    public func reevaluate(reason: String, where matches: (Principal) -> Bool) {
        guard let access else { return }
        for s in sessions.values where s.closeReason == nil {
            guard let p = s.principal, matches(p) else { continue }
            guard let policy = access.policy(for: p, on: s.connection) else {
                close(s, .accountDisabled)
                continue
            }
            update(s, policy: policy, mask: access.mask(for: policy), reason: reason)
        }
    }

    /// Periodic checks (about once a second): tokens about to expire get an `expiring` push,
    /// expired ones close with 4004, connections that never authenticated close with 4001,
    /// anonymous ones idle (no subscription, nothing sent) past `anonymousIdleSeconds` with 4002.
    public func sweep() {
        guard let access else { return }
        let t = now()
        let idle = access.anonymousIdleSeconds
        for s in sessions.values where s.closeReason == nil {
            guard let p = s.principal else {
                if !s.authPending && Double(t - s.openedAt) / 1e6 > access.authDeadlineSeconds { close(s, .unauthorized) }
                continue
            }
            if p.isAnonymous, idle > 0, s.subscriptions.isEmpty, Double(t - s.lastMessageAt) / 1e6 > idle {
                close(s, .idle)
                continue
            }
            guard let exp = p.expiresAt else { continue }
            if t >= exp + Int64(access.leewaySeconds * 1e6) {
                close(s, .tokenExpired)
            } else if !s.expiryWarned && Double(exp - t) / 1e6 <= access.expiryWarningSeconds {
                s.expiryWarned = true
                enqueue(ServerMessage.expiring(at: exp, now: t), to: s)
            }
        }
    }

    /// Sessions of one subject (for admin views and tests).
    public func sessions(of subject: String) -> [Session] {
        sessions.values.filter { $0.principal?.subject == subject }
    }
}

extension Session {
    /// A concrete channel this session may receive (everything without access control).
    @inline(__always)
    func may(_ key: ChannelKey) -> Bool { policy?.allows(key) ?? true }
}
