/// Usage counting on the serving stage. Fan-out adds to its cursors' counters (two plain
/// increments per cursor per frame); `collectUsage` folds every cursor and session into rows
/// once per roll-up, and a cursor that goes is folded when it goes, so nothing is lost.
extension Hub {
    /// Who a session is, as usage rows name it (cached until its identity changes).
    func usageIdentity(_ s: Session) -> (user: String, roles: String) {
        if let label = s.usageLabel { return label }
        let user = s.principal.map { access?.usageName(of: $0) ?? Principal.usageName(of: $0) } ?? "unauthenticated"
        let label = (user, UsageKey.roles(s.policy?.roles ?? []))
        s.usageLabel = label
        return label
    }

    /// A subscribe request that was accepted.
    func countSubscription(_ s: Session) {
        guard tracksUsage else { return }
        let id = usageIdentity(s)
        usage.add(UsageKey(.user, id.user, user: id.user, roles: id.roles)) { $0.subscriptions &+= 1 }
    }

    /// A channel joined a subscription (a cursor was attached).
    func countAttach(_ cursor: Cursor) {
        guard tracksUsage else { return }
        let id = usageIdentity(cursor.session)
        usage.add(UsageKey(.channel, cursor.channel.name, user: id.user, roles: id.roles)) { $0.subscriptions &+= 1 }
    }

    /// Moves a cursor's delivery counters into the ledger: its channel, its user, and every
    /// property of its view that the channel carries (deliveries by role).
    func fold(_ cursor: Cursor, into ledger: inout UsageLedger) {
        let messages = cursor.usageMessages, bytes = cursor.usageBytes
        guard messages > 0 else { return }
        cursor.usageMessages = 0
        cursor.usageBytes = 0
        let s = cursor.session, id = usageIdentity(s)
        ledger.add(UsageKey(.channel, cursor.channel.name, user: id.user, roles: id.roles)) {
            $0.messages &+= messages
            $0.bytes &+= bytes
        }
        ledger.add(UsageKey(.user, id.user, user: id.user, roles: id.roles)) {
            $0.messages &+= messages
            $0.bytes &+= bytes
        }
        guard let tick = cursor.channel.latest else { return }
        let mask = views.mask(cursor.view)
        for f in tick.fields where mask.contains(f.id) {
            ledger.add(UsageKey(.property, properties.name(f.id), user: "", roles: id.roles)) { $0.messages &+= messages }
        }
    }

    /// Folds a session's connect time (since it opened or the last roll-up) and, once, the
    /// session itself into its user's row.
    func foldSession(_ s: Session, nowMicros: Int64, into ledger: inout UsageLedger) {
        let id = usageIdentity(s)
        let from = max(s.openedAt, s.usageCountedUntil)
        let counted = s.usageSessionCounted
        s.usageCountedUntil = nowMicros
        s.usageSessionCounted = true
        ledger.add(UsageKey(.user, id.user, user: id.user, roles: id.roles)) {
            if !counted { $0.sessions &+= 1 }
            $0.connectSeconds += Double(max(0, nowMicros - from)) / 1e6
            $0.lastSeen = max($0.lastSeen, nowMicros / 1_000_000)
        }
    }

    /// Detaches a cursor from its channel, keeping what it delivered.
    func retire(_ cursor: Cursor) {
        cancelRecovery(cursor)
        if tracksUsage { fold(cursor, into: &usage) }
        cursor.channel.detach(cursor)
        cursor.isDetached = true
    }

    /// A session's identity changed: its usage from now on counts under the new one.
    func identityChanged(_ s: Session) {
        // Called before the session's principal or policy changes: what it delivered so far
        // is folded under the identity it had.
        guard tracksUsage else { return }
        for c in s.cursors.values { fold(c, into: &usage) }
        foldSession(s, nowMicros: now(), into: &usage)
        s.usageLabel = nil
        s.usageSessionCounted = false
    }

    /// Everything counted since the last call, as rows (the roll-up; loop thread). Sessions
    /// still open contribute their connect time so far.
    public func collectUsage() -> [UsageRow] {
        guard tracksUsage else { return [] }
        let nowMicros = now()
        for s in sessions.values {
            for c in s.cursors.values { fold(c, into: &usage) }
            foldSession(s, nowMicros: nowMicros, into: &usage)
        }
        return usage.drain()
    }

    /// Counts one REST call (the router calls this once the response is sent).
    public func countCall(route: String, user: String, roles: String, status: Int, nanoseconds: UInt64) {
        guard tracksUsage else { return }
        let seen = now() / 1_000_000
        usage.add(UsageKey(.route, route, user: user, roles: roles)) { $0.call(status: status, nanoseconds: nanoseconds) }
        usage.add(UsageKey(.user, user, user: user, roles: roles)) {
            $0.call(status: status, nanoseconds: nanoseconds)
            $0.lastSeen = max($0.lastSeen, seen)
        }
    }
}
