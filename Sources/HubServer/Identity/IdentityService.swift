import Foundation
import HubAuth
import HubCore
import HubStore
import Synchronization

/// Who may do what, live. Verifies tokens off the loop; keeps roles and users in memory for the
/// loop's checks (policies compiled once per distinct role set); applies changes from the
/// store — REST writes at once, the CLI's within a poll interval — to connected sessions.
///
/// Threading: `verify` and `issue` from anywhere (the work runs on Swift's pool); the rest on
/// the loop thread, except `reload`, which reads the store on the store queue and hops back.
final class IdentityService: AccessControl, @unchecked Sendable {
    static let anonymousPrincipal = Principal(subject: "anonymous", issuer: "streamhub", isAnonymous: true)

    let tokens: TokenService
    let config: HubConfig.Auth
    let issuer: String
    private let registry: PropertyRegistry
    private let store: HubStore
    private let storeQueue: DispatchQueue
    private let runOnLoop: @Sendable (@escaping @Sendable () -> Void) -> Void
    /// Set once the hub exists (the hub is built with this as its access control).
    weak var hub: Hub?

    private var roles: [String: Role] = [:]
    private var users: [Int64: (enabled: Bool, roles: [String])] = [:]
    /// The feature flags, evaluated per session (rollouts stick to users and connections).
    private(set) var flags: FlagEvaluator
    /// (role set, flags on) → policy and its property mask; cleared on any change.
    private var compiled: [PolicyKey: (policy: AccessPolicy, mask: PropertyMask)] = [:]

    struct PolicyKey: Hashable {
        let roles: [String]
        let flags: [String]
    }
    /// The audit entry the in-memory state reflects (every identity change writes one).
    private let appliedHead = Atomic<Int64>(0)
    private let pollQueued = Atomic<Bool>(false)

    /// `environment` and `appName` of every evaluation context.
    let flagEnvironment: HubConfig.Flags

    /// Audit-only RBAC (a phased rollout): would-be denials recorded, not enforced; nil: enforced.
    let audit: AccessAudit?

    init(
        tokens: TokenService, config: HubConfig.Auth, flags flagConfig: HubConfig.Flags = HubConfig.Flags(), registry: PropertyRegistry,
        store: HubStore, storeQueue: DispatchQueue, runOnLoop: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void,
        audit: AccessAudit? = nil
    ) throws(StoreError) {
        self.audit = audit
        flagEnvironment = flagConfig
        self.tokens = tokens
        self.config = config
        issuer = AuthConfig(jwtSecret: "").issuer
        self.registry = registry
        self.store = store
        self.storeQueue = storeQueue
        self.runOnLoop = runOnLoop
        let head = try store.auditHead()
        flags = FlagEvaluator(try store.flagSet())
        install(try store.identitySnapshot())
        appliedHead.store(head, ordering: .relaxed)
    }

    // MARK: AccessControl

    func verify(token: String, reply: @escaping @Sendable (Result<Principal, AccessFailure>) -> Void) {
        let tokens = self.tokens
        Task { reply(await tokens.verify(token: token)) }
    }

    var anonymous: Principal? { config.anonymous ? Self.anonymousPrincipal : nil }
    var expiryWarningSeconds: Double { config.expiryWarningSeconds }
    var leewaySeconds: Double { config.leewaySeconds }
    var authDeadlineSeconds: Double { config.authDeadlineSeconds }
    var anonymousIdleSeconds: Double { config.anonymousIdleSeconds }

    func policy(for principal: Principal, on connection: ConnectionInfo?) -> AccessPolicy? {
        guard let ids = roleIDs(of: principal) else { return nil }
        return compile(ids, flags: flags.enabledFlags(context(principal, ids, connection))).policy
    }

    func mask(for policy: AccessPolicy) -> PropertyMask {
        compiled[PolicyKey(roles: policy.roles, flags: policy.flags.sorted())]?.mask ?? policy.mask(registry)
    }

    /// The flag evaluation context of a session: its user, connection, roles and token claims.
    func context(_ p: Principal, _ roles: [String], _ connection: ConnectionInfo?) -> FlagContext {
        FlagContext(
            userId: p.isAnonymous ? nil : p.subject, sessionId: connection.map { String($0.id) },
            remoteAddress: connection.map { Self.host($0.remoteAddress) }, environment: flagEnvironment.environment,
            appName: flagEnvironment.appName, roles: roles, properties: p.claims)
    }

    /// The address without a port (`[::1]:5000`, `1.2.3.4:5000`, `1.2.3.4`).
    static func host(_ address: String) -> String {
        if address.hasPrefix("["), let end = address.firstIndex(of: "]") { return String(address[address.index(after: address.startIndex)..<end]) }
        if address.filter({ $0 == ":" }).count == 1, let colon = address.firstIndex(of: ":") { return String(address[..<colon]) }
        return address
    }

    /// The roles that apply to `principal` now; nil when it may not connect (unknown or
    /// disabled local user).
    func roleIDs(of p: Principal) -> [String]? {
        if p.isAnonymous { return roles["anonymous"] == nil ? [] : ["anonymous"] }
        if p.issuer == issuer {
            guard let id = Int64(p.subject), let u = users[id], u.enabled else { return nil }
            return u.roles.filter { roles[$0] != nil }
        }
        return Array(Set(p.claimedRoles.filter { roles[$0] != nil })).sorted()
    }

    private func compile(_ ids: [String], flags on: Set<String>) -> (policy: AccessPolicy, mask: PropertyMask) {
        let key = PolicyKey(roles: ids, flags: on.sorted())
        if let c = compiled[key] { return c }
        let policy = AccessPolicy(roles: ids.compactMap { roles[$0] }, flags: on, audit: audit)
        let c = (policy, policy.mask(registry))
        if compiled.count > 10_000 { compiled.removeAll() }  // bounded: per-user rollouts can make many keys
        compiled[key] = c
        return c
    }

    /// Roles with a channel rule that needs `flag`.
    func rolesNeeding(flag: String) -> [String] {
        roles.values.filter { $0.grants.channels.contains { $0.effect == .allow && $0.flag == flag } }.map(\.id).sorted()
    }

    /// A role as the live checks know it.
    func role(_ id: String) -> Role? { roles[id] }

    /// Why `caller` may not hand out `granted` (nil when it may): nobody grants rights —
    /// scopes, tiers, properties, channels — they do not hold, so `users:write` alone cannot
    /// mint an admin and `roles:write` cannot widen a role past its writer.
    func escalation(by caller: Caller, granting granted: [Role]) -> HTTPError? {
        guard !caller.policy.has(scope: Scope.all) else { return nil }
        var missing: [String] = []
        for r in granted { missing += caller.policy.excess(of: r.grants, tierOf: tierOf) }
        guard !missing.isEmpty else { return nil }
        return Self.refusal("you cannot grant rights you do not hold", missing)
    }

    /// Why `caller` may not manage user `id` — its password, keys, roles, state (nil when it
    /// may): only itself, or a user whose roles give nothing beyond the caller's own.
    func management(by caller: Caller, of id: Int64) -> HTTPError? {
        guard caller.userID != id else { return nil }
        let held = (users[id]?.roles ?? []).compactMap { roles[$0] }
        guard let e = escalation(by: caller, granting: held) else { return nil }
        return HTTPError(403, "forbidden", "user \(id) holds rights you do not: \(e.message.components(separatedBy: ": ").dropFirst().joined(separator: ": "))")
    }

    /// A property's tier, for the checks above.
    private func tierOf(_ name: String) -> PropertyTier? { registry.definition(name)?.tier }

    /// Why `caller` may not leave user `id` with `rolesAfter` (nil when it may). A change that
    /// widens what the user may do — a role with a deny taken away, a deny removed from a role
    /// the user holds — is a grant of what it uncovers: the caller must hold everything the user
    /// would then hold. Taking a role from yourself counts: a deny cannot be shed by its holder.
    func widening(by caller: Caller, of id: Int64, to rolesAfter: [Role]) -> HTTPError? {
        guard !caller.policy.has(scope: Scope.all), let before = users[id] else { return nil }
        let after = Grants.union(rolesAfter)
        let current = AccessPolicy(roles: before.roles.compactMap { roles[$0] })
        guard !current.excess(of: after, tierOf: tierOf).isEmpty else { return nil }  // narrower or the same
        let missing = caller.policy.excess(of: after, tierOf: tierOf)
        guard !missing.isEmpty else { return nil }
        return Self.refusal("this change would give \(caller.userID == id ? "you" : "user \(id)") rights you do not hold", missing)
    }

    /// 403 naming each missing right once, in the order found.
    private static func refusal(_ what: String, _ missing: [String]) -> HTTPError {
        let unique = Array(NSOrderedSet(array: missing)) as? [String] ?? missing
        return HTTPError(403, "forbidden", "\(what): \(unique.joined(separator: ", "))")
    }

    /// `widening` for every user holding role `changed.id` once it becomes `changed`.
    func widening(by caller: Caller, changing changed: Role) -> HTTPError? {
        for (id, user) in users.sorted(by: { $0.key < $1.key }) where user.roles.contains(changed.id) {
            let after = user.roles.compactMap { $0 == changed.id ? changed : roles[$0] }
            if let e = widening(by: caller, of: id, to: after) { return e }
        }
        return nil
    }

    /// `widening` for user `id` once `role` is taken from it.
    func widening(by caller: Caller, of id: Int64, removing role: String) -> HTTPError? {
        guard let user = users[id] else { return nil }
        return widening(by: caller, of: id, to: user.roles.filter { $0 != role }.compactMap { roles[$0] })
    }

    /// The user id of a local principal.
    func userID(of p: Principal) -> Int64? {
        p.isAnonymous || p.issuer != issuer ? nil : Int64(p.subject)
    }

    /// `user:<id>` for local users (as the audit log names them), else `<issuer>:<subject>`.
    func usageName(of p: Principal) -> String {
        userID(of: p).map { "user:\($0)" } ?? Principal.usageName(of: p)
    }

    // MARK: Changes

    /// Reads roles and users from the store and applies them. Call on the store queue after a
    /// write (or from the poll); `reason` goes into the `unsubscribed` pushes.
    func reload(reason: String) {
        do {
            let head = try store.auditHead()
            let snapshot = try store.identitySnapshot()
            let flagSet = try store.flagSet()
            runOnLoop { [self] in
                if flagSet != flags.flags {
                    // Flags changed too (another process): every session is evaluated again.
                    install(snapshot)
                    flagsChanged(flagSet, reason: reason)
                } else {
                    apply(snapshot, reason: reason)
                }
                appliedHead.store(max(head, appliedHead.load(ordering: .relaxed)), ordering: .relaxed)
            }
        } catch {
            // The store is unreadable: the in-memory state stays as it was; the next poll retries.
        }
    }

    /// Checks for changes made by another process (the CLI) — on the store queue; one check at
    /// a time (a slow or unreachable store never piles checks up on the queue).
    func poll() {
        guard !pollQueued.exchange(true, ordering: .acquiringAndReleasing) else { return }
        storeQueue.async { [self] in
            defer { pollQueued.store(false, ordering: .releasing) }
            guard let head = try? store.auditHead(), head != appliedHead.load(ordering: .relaxed) else { return }
            reload(reason: "permissions changed")
        }
    }

    /// New flag definitions (a REST write or import): every session is evaluated again —
    /// views recompiled, a `flags` push where its flags changed, channels no longer allowed
    /// unsubscribed with `reason`.
    func flagsChanged(_ set: FlagSet, reason: String, auditHead head: Int64? = nil) {
        if let head { appliedHead.store(max(head, appliedHead.load(ordering: .relaxed)), ordering: .relaxed) }
        flags = FlagEvaluator(set)
        compiled.removeAll()
        hub?.reevaluate(reason: reason) { _ in true }
    }

    /// Property definitions changed: views are recompiled for every session.
    func propertiesChanged() {
        compiled.removeAll()
        hub?.reevaluate(reason: "properties changed") { _ in true }
    }

    /// Installs `snapshot` and re-evaluates the sessions it affects: users whose roles or
    /// state changed, and holders of roles whose grants changed.
    func apply(_ snapshot: IdentitySnapshot, reason: String) {
        let newRoles = Dictionary(uniqueKeysWithValues: snapshot.roles.map { ($0.id, $0) })
        var changedRoles: Set<String> = []
        for id in Set(roles.keys).union(newRoles.keys) where roles[id] != newRoles[id] { changedRoles.insert(id) }
        var changedUsers: Set<Int64> = []
        for id in Set(users.keys).union(snapshot.users.keys) {
            let old = users[id], new = snapshot.users[id]
            if old?.enabled != new?.enabled || old?.roles != new?.roles || !changedRoles.isDisjoint(with: old?.roles ?? []) {
                changedUsers.insert(id)
            }
        }
        guard !changedRoles.isEmpty || !changedUsers.isEmpty else { return }
        install(snapshot)
        hub?.reevaluate(reason: reason) { [self] p in
            if p.isAnonymous { return changedRoles.contains("anonymous") }
            if let id = userID(of: p) { return changedUsers.contains(id) }
            return !changedRoles.isDisjoint(with: p.claimedRoles)
        }
    }

    private func install(_ snapshot: IdentitySnapshot) {
        roles = Dictionary(uniqueKeysWithValues: snapshot.roles.map { ($0.id, $0) })
        users = snapshot.users
        compiled.removeAll()
    }
}
