import Foundation

/// What a session may receive, worked out from first principles — the documented rules of
/// docs/guides/rbac.md and docs/guides/feature-flags.md — without any of the hub's policy code
/// (`AccessPolicy`, `ChannelPattern`, `FlagEvaluator`): the oracle the live hub is checked against.
struct AccessModel {
    /// A role's grants as the REST API states them.
    struct Grants {
        var allow: [(pattern: String, flag: String?)] = []
        var deny: [String] = []
        var tiers: Set<String> = []
        var allowProperties: Set<String> = []
        var denyProperties: Set<String> = []
        var scopes: Set<String> = []
    }

    /// A property of the catalogue: its tier and the flag it needs, if any.
    struct Property {
        var tier: String
        var flag: String?
    }

    let grants: [Grants]
    let flagsOn: Set<String>
    let catalogue: [String: Property]

    /// A channel name or pattern matches another segment by segment, `*` matching any segment.
    static func matches(_ pattern: String, _ channel: String) -> Bool {
        let p = pattern.split(separator: ".", omittingEmptySubsequences: false)
        let c = channel.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard p.count == 3, c.count == 3 else { return false }
        return zip(p, c).allSatisfy { $0 == "*" || $0 == $1 }
    }

    /// Allowed: an allow rule of some role matches (its flag, if any, on) and no deny rule of any role does.
    func allows(channel: String) -> Bool {
        if grants.contains(where: { g in g.deny.contains { Self.matches($0, channel) } }) { return false }
        return grants.contains { g in g.allow.contains { Self.matches($0.pattern, channel) && ($0.flag.map(flagsOn.contains) ?? true) } }
    }

    /// Visible: its tier granted or it is allowed by name, not denied by name in any role, its flag on.
    func sees(property name: String) -> Bool {
        guard let p = catalogue[name] else { return false }
        if grants.contains(where: { $0.denyProperties.contains(name) }) { return false }
        guard grants.contains(where: { $0.tiers.contains(p.tier) || $0.allowProperties.contains(name) }) else { return false }
        return p.flag.map(flagsOn.contains) ?? true
    }

    func has(scope: String) -> Bool { grants.contains { $0.scopes.contains(scope) || $0.scopes.contains("*") } }
}

/// A feature flag as the oracle defines it (the subset of Unleash the generated cases use).
struct ModelFlag {
    enum Strategy {
        case standard
        case userWithId([String])
        case userWithRole([String])
        case flexibleRollout(rollout: Int, groupId: String)
    }
    struct Constraint {
        var field: String  // "roles" or "userId"
        var notIn: Bool
        var values: [String]
        var inverted: Bool
    }
    var name: String
    var enabled: Bool
    var strategies: [(Strategy, [Constraint])]

    /// On: enabled, and no strategies or one whose constraints all hold and which matches.
    func isOn(userId: String, roles: [String]) -> Bool {
        guard enabled else { return false }
        if strategies.isEmpty { return true }
        return strategies.contains { strategy, constraints in
            constraints.allSatisfy { $0.holds(userId: userId, roles: roles) } && Self.matches(strategy, userId: userId, roles: roles)
        }
    }

    static func matches(_ s: Strategy, userId: String, roles: [String]) -> Bool {
        switch s {
        case .standard: return true
        case .userWithId(let ids): return ids.contains(userId)
        case .userWithRole(let listed): return roles.contains(where: listed.contains)
        case .flexibleRollout(let rollout, let groupId):
            // Unleash: murmur3_32("groupId:userId", seed 0) % 100 + 1, on when ≤ rollout.
            return rollout > 0 && Int(Murmur3.hash32("\(groupId):\(userId)") % 100) + 1 <= rollout
        }
    }
}

extension ModelFlag.Constraint {
    /// IN: the field's value (for `roles`: any of the roles) is listed; NOT_IN the opposite; `inverted` negates.
    func holds(userId: String, roles: [String]) -> Bool {
        let hit = field == "roles" ? roles.contains(where: values.contains) : values.contains(userId)
        let result = notIn ? !hit : hit
        return inverted ? !result : result
    }
}

/// MurmurHash3 x86 32-bit (Austin Appleby's reference), as Unleash uses for stickiness — written
/// again on purpose rather than imported from HubCore: the oracle shares no code with the hub.
enum Murmur3 {
    static func hash32(_ text: String, seed: UInt32 = 0) -> UInt32 {
        let bytes = Array(text.utf8)
        let c1: UInt32 = 0xcc9e_2d51, c2: UInt32 = 0x1b87_3593
        func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }
        var h = seed
        let blocks = bytes.count / 4
        for i in 0..<blocks {
            var k = UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24
            k = rotl(k &* c1, 15) &* c2
            h = rotl(h ^ k, 13) &* 5 &+ 0xe654_6b64
        }
        var k: UInt32 = 0
        let tail = blocks * 4
        switch bytes.count & 3 {
        case 3:
            k ^= UInt32(bytes[tail + 2]) << 16
            fallthrough
        case 2:
            k ^= UInt32(bytes[tail + 1]) << 8
            fallthrough
        case 1:
            k ^= UInt32(bytes[tail])
            h ^= rotl(k &* c1, 15) &* c2
        default: break
        }
        h ^= UInt32(bytes.count)
        h ^= h >> 16
        h = h &* 0x85eb_ca6b
        h ^= h >> 13
        h = h &* 0xc2b2_ae35
        h ^= h >> 16
        return h
    }
}
