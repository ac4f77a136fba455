/// What one session may do, compiled from its roles' grants: channels (deny wins over allow),
/// visible properties, API scopes. Feature flags narrow it further (`flags`).
public struct AccessPolicy: Sendable, Equatable {
    public let roles: [String]
    public let scopes: Set<String>
    private let allow: [(pattern: ChannelPattern, flag: String?)]
    private let deny: [ChannelPattern]
    private let tiers: Set<PropertyTier>
    private let allowProperties: Set<String>
    private let denyProperties: Set<String>
    /// Channels the roles may publish to.
    private let publish: [ChannelPattern]
    /// Flags on for this session (rules and properties that need a flag apply only when it is on).
    public let flags: Set<String>
    /// Audit-only RBAC: channels, properties and read scopes the roles would refuse are let
    /// through and recorded here (nil: enforced).
    public let audit: AccessAudit?

    public static func == (a: AccessPolicy, b: AccessPolicy) -> Bool {
        a.roles == b.roles && a.scopes == b.scopes && a.tiers == b.tiers && a.allowProperties == b.allowProperties
            && a.denyProperties == b.denyProperties && a.flags == b.flags && a.deny == b.deny
            && a.allow.map(\.pattern) == b.allow.map(\.pattern) && a.allow.map(\.flag) == b.allow.map(\.flag) && a.publish == b.publish
    }

    /// The union of the roles' grants (a deny in any role wins).
    public init(roles: [Role], flags: Set<String> = [], audit: AccessAudit? = nil) {
        self.roles = roles.map(\.id).sorted()
        self.flags = flags
        self.audit = audit
        var scopes: Set<String> = [], tiers: Set<PropertyTier> = [], ap: Set<String> = [], dp: Set<String> = []
        var allow: [(ChannelPattern, String?)] = [], deny: [ChannelPattern] = [], publish: [ChannelPattern] = []
        for r in roles {
            publish += r.grants.publish.compactMap { try? ChannelPattern(parsing: $0) }
            scopes.formUnion(r.grants.scopes)
            tiers.formUnion(r.grants.tiers)
            ap.formUnion(r.grants.properties.allow)
            dp.formUnion(r.grants.properties.deny)
            for rule in r.grants.channels {
                guard let p = try? ChannelPattern(parsing: rule.pattern) else { continue }  // checked when stored
                if rule.effect == .allow { allow.append((p, rule.flag)) } else { deny.append(p) }
            }
        }
        self.scopes = scopes
        self.tiers = tiers
        allowProperties = ap
        denyProperties = dp
        self.allow = allow
        self.deny = deny
        self.publish = publish
    }

    /// Everything allowed (no access control configured).
    public static let unrestricted = AccessPolicy(roles: [
        Role(
            id: "unrestricted",
            grants: Grants(
                channels: [ChannelRule(.allow, "*.*.*")], tiers: PropertyTier.allCases, scopes: [Scope.all], publish: ["*.*.*"]))
    ])

    public func has(scope: String) -> Bool {
        if scopes.contains(Scope.all) || scopes.contains(scope) { return true }
        // Audit-only lets reads through; writes stay enforced.
        guard let audit, scope.hasSuffix(":read") else { return false }
        return audit.wouldDeny(.scope, scope, roles: roles)
    }

    /// A concrete channel: some allow rule (with its flag on) matches and no deny rule does.
    public func allows(_ key: ChannelKey) -> Bool {
        if enforcedAllows(key) { return true }
        guard let audit else { return false }
        return audit.wouldDeny(.channel, "\(key.stream.rawValue).\(key.source).\(key.instrument)", roles: roles)
    }

    private func enforcedAllows(_ key: ChannelKey) -> Bool {
        guard !deny.contains(where: { $0.matches(key) }) else { return false }
        return allow.contains { $0.pattern.matches(key) && ($0.flag.map(flags.contains) ?? true) }
    }

    /// Publishing to a concrete channel: `publish:write`, a publish pattern of the roles covers
    /// it, and no deny rule of theirs matches it.
    public func mayPublish(_ key: ChannelKey) -> Bool {
        guard scopes.contains(Scope.all) || scopes.contains("publish:write"), !deny.contains(where: { $0.matches(key) }) else { return false }
        return publish.contains { $0.matches(key) }
    }

    /// Whether a subscription pattern can ever yield an allowed channel (else it is refused):
    /// some allow rule overlaps it and no deny rule covers all of it.
    public func mayMatch(_ pattern: ChannelPattern) -> Bool {
        if pattern.isExact, let s = pattern.stream.flatMap(StreamKind.init(rawValue:)) {
            return allows(ChannelKey(stream: s, source: pattern.venue!, instrument: pattern.instrument!))
        }
        let enforced = !deny.contains(where: { $0.covers(pattern) }) && allow.contains { ($0.flag.map(flags.contains) ?? true) && $0.pattern.overlaps(pattern) }
        if enforced { return true }
        guard let audit else { return false }
        return audit.wouldDeny(.channel, "\(pattern)", roles: roles)
    }

    /// What `grants` would give beyond this policy (empty: nothing): nobody hands out rights
    /// they do not hold. Conservative: an allow pattern must be covered by one of ours, and
    /// each of our deny rules — channels and properties — must be kept (denied too, or not
    /// reached). `tierOf` names a property's tier; without it, any tier may reach a property.
    public func excess(of grants: Grants, tierOf: (String) -> PropertyTier? = { _ in nil }) -> [String] {
        var missing: [String] = []
        for name in denyProperties.sorted() where !grants.properties.deny.contains(name) {
            let reached = grants.properties.allow.contains(name) || tierOf(name).map(grants.tiers.contains) ?? !grants.tiers.isEmpty
            if reached { missing.append("property \(name) (denied to you)") }
        }
        for scope in grants.scopes where !(scopes.contains(Scope.all) || scopes.contains(scope)) { missing.append("scope \(scope)") }
        for pattern in grants.publish {
            guard let p = try? ChannelPattern(parsing: pattern) else { continue }
            if !publish.contains(where: { $0.covers(p) }) { missing.append("publish \(pattern)") }
        }
        for tier in grants.tiers where !tiers.contains(tier) { missing.append("tier \(tier.rawValue)") }
        let allTiers = tiers.count == PropertyTier.allCases.count && denyProperties.isEmpty
        for name in grants.properties.allow where !allTiers && !allowProperties.contains(name) { missing.append("property \(name)") }
        let theirDeny = grants.channels.filter { $0.effect == .deny }.compactMap { try? ChannelPattern(parsing: $0.pattern) }
        for rule in grants.channels where rule.effect == .allow {
            guard let p = try? ChannelPattern(parsing: rule.pattern) else { continue }
            if !allow.contains(where: { $0.pattern.covers(p) && ($0.flag == nil || $0.flag == rule.flag) }) {
                missing.append("channels \(rule.pattern)")
                continue
            }
            for d in deny where d.overlaps(p) && !theirDeny.contains(where: { $0.covers(d) }) {
                missing.append("channels \(d) (denied to you)")
            }
        }
        return missing
    }

    /// A property: its tier is granted or it is allowed by name, it is not denied by name, and
    /// the flag it needs (if any) is on.
    public func allows(_ def: PropertyDefinition) -> Bool {
        if enforcedAllows(def) { return true }
        guard let audit else { return false }
        return audit.wouldDeny(.property, def.name, roles: roles)
    }

    private func enforcedAllows(_ def: PropertyDefinition) -> Bool {
        guard !denyProperties.contains(def.name) else { return false }
        guard tiers.contains(def.tier) || allowProperties.contains(def.name) else { return false }
        return def.flag.map(flags.contains) ?? true
    }

    /// The properties of `registry` this policy lets through, as a view mask.
    public func mask(_ registry: PropertyRegistry) -> PropertyMask {
        if tiers.count == PropertyTier.allCases.count && denyProperties.isEmpty && registry.all.allSatisfy({ $0.flag == nil || flags.contains($0.flag!) }) {
            return .all
        }
        return PropertyMask(registry.all.filter(allows).compactMap { registry.id($0.name) })
    }
}
