/// A named set of grants (config/roles.yaml seeds the defaults; the store keeps them).
public struct Role: Equatable, Sendable, Codable {
    public var id: String
    public var description: String
    public var grants: Grants

    public init(id: String, description: String = "", grants: Grants = Grants()) {
        self.id = id
        self.description = description
        self.grants = grants
    }

    enum Keys: String, CodingKey, CaseIterable { case id, description, grants }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        id = try c.decode(String.self, forKey: .id)
        description = try c.value(.description, "")
        grants = try c.value(.grants, Grants())
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(id, forKey: .id)
        try c.encode(description, forKey: .description)
        try c.encode(grants, forKey: .grants)
    }

    /// Role ids are `[a-z0-9_-]{1,32}`, but not `export` or `import` (`/api/roles/export` is a route).
    public static func isValidID(_ s: String) -> Bool { PropertyDefinition.isValidSource(s) && !["export", "import"].contains(s) }
}

/// What a role allows: channels (allow/deny patterns, deny wins), property tiers and explicit
/// properties (deny wins), API scopes, and the channels it may publish to (with `publish:write`).
public struct Grants: Equatable, Sendable, Codable {
    public var channels: [ChannelRule]
    public var tiers: [PropertyTier]
    public var properties: PropertyRules
    public var scopes: [String]
    /// Channel patterns the role may publish to (`POST /api/publish`, the `publish` op).
    public var publish: [String]

    public init(
        channels: [ChannelRule] = [], tiers: [PropertyTier] = [], properties: PropertyRules = PropertyRules(), scopes: [String] = [],
        publish: [String] = []
    ) {
        self.channels = channels
        self.tiers = tiers
        self.properties = properties
        self.scopes = scopes
        self.publish = publish
    }

    enum Keys: String, CodingKey, CaseIterable { case channels, tiers, properties, scopes, publish }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        channels = try c.value(.channels, [])
        tiers = try c.value(.tiers, [])
        properties = try c.value(.properties, PropertyRules())
        scopes = try c.value(.scopes, [])
        publish = try c.value(.publish, [])
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(channels, forKey: .channels)
        try c.encode(tiers, forKey: .tiers)
        try c.encode(properties, forKey: .properties)
        try c.encode(scopes, forKey: .scopes)
        try c.encode(publish, forKey: .publish)
    }

    /// What holding all of `roles` grants, as one set of grants (a deny in any of them stays).
    public static func union(_ roles: [Role]) -> Grants {
        var g = Grants()
        for r in roles {
            g.channels += r.grants.channels
            g.tiers += r.grants.tiers.filter { !g.tiers.contains($0) }
            g.properties.allow += r.grants.properties.allow.filter { !g.properties.allow.contains($0) }
            g.properties.deny += r.grants.properties.deny.filter { !g.properties.deny.contains($0) }
            g.scopes += r.grants.scopes.filter { !g.scopes.contains($0) }
            g.publish += r.grants.publish.filter { !g.publish.contains($0) }
        }
        return g
    }

    /// Checks patterns and scope names; the error names the field.
    public func check() throws(DefinitionError) {
        for (i, rule) in channels.enumerated() {
            do {
                _ = try ChannelPattern(parsing: rule.pattern)
            } catch {
                throw DefinitionError(field: "grants.channels[\(i)]", "'\(rule.pattern)': \(error)")
            }
            if let flag = rule.flag, !PropertyDefinition.isValidSource(flag) {
                throw DefinitionError(field: "grants.channels[\(i)].flag", "'\(flag)' is not a flag name")
            }
        }
        for (i, scope) in scopes.enumerated() where !Scope.isValid(scope) {
            throw DefinitionError(field: "grants.scopes[\(i)]", "'\(scope)' is not a scope (resource:read|write, or *)")
        }
        for (i, pattern) in publish.enumerated() {
            do {
                _ = try ChannelPattern(parsing: pattern)
            } catch {
                throw DefinitionError(field: "grants.publish[\(i)]", "'\(pattern)': \(error)")
            }
        }
    }
}

/// `{allow: "ticker.*.*"}` or `{deny: "*.synthetic.*"}`, optionally needing a feature flag.
public struct ChannelRule: Equatable, Sendable, Codable {
    public enum Effect: String, Sendable { case allow, deny }
    public var effect: Effect
    public var pattern: String
    /// The feature flag a session needs for this rule to apply (allow rules).
    public var flag: String?

    public init(_ effect: Effect, _ pattern: String, flag: String? = nil) {
        self.effect = effect
        self.pattern = pattern
        self.flag = flag
    }

    enum Keys: String, CodingKey, CaseIterable { case allow, deny, flag }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        let allow = try c.decodeIfPresent(String.self, forKey: .allow)
        let deny = try c.decodeIfPresent(String.self, forKey: .deny)
        switch (allow, deny) {
        case (let a?, nil): (effect, pattern) = (.allow, a)
        case (nil, let d?): (effect, pattern) = (.deny, d)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a channel rule has exactly one of allow or deny"))
        }
        flag = try c.decodeIfPresent(String.self, forKey: .flag)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(pattern, forKey: effect == .allow ? .allow : .deny)
        try c.encodeIfPresent(flag, forKey: .flag)
    }
}

/// Properties granted or withheld by name, on top of the tiers.
public struct PropertyRules: Equatable, Sendable, Codable {
    public var allow: [String]
    public var deny: [String]

    public init(allow: [String] = [], deny: [String] = []) {
        self.allow = allow
        self.deny = deny
    }

    enum Keys: String, CodingKey, CaseIterable { case allow, deny }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        allow = try c.value(.allow, [])
        deny = try c.value(.deny, [])
    }
}

/// API scopes: `resource:read` / `resource:write`, or `*` for all.
public enum Scope {
    public static let all = "*"
    /// The scopes routes declare (docs/rest.md lists which route needs which).
    public static let known: [String] = [
        "users:read", "users:write", "roles:read", "roles:write", "features:read", "features:write",
        "properties:read", "properties:write", "state:read", "streams:read", "analytics:read", "monitoring:read", "monitoring:write", "audit:read",
        "mappings:read", "mappings:write", "publish:write",
    ]

    static func isValid(_ s: String) -> Bool {
        if s == all { return true }
        let parts = s.split(separator: ":")
        return parts.count == 2 && PropertyDefinition.isValidSource(String(parts[0])) && ["read", "write"].contains(parts[1])
    }
}
