import Foundation
import Synchronization

/// Evaluates flags as Unleash's client specification defines it: strategies (with
/// constraints and segments), dependencies, variants. Adds `userWithRole` (parameter `roles`,
/// comma-separated) and the `roles` context field.
///
/// Threading: immutable but for a cache of compiled regular expressions; safe from any thread.
public final class FlagEvaluator: Sendable {
    public let flags: FlagSet
    private let features: [String: FeatureFlag]
    private let segments: [Int: FlagSegment]
    private let regexCache = Mutex<[String: NSRegularExpression?]>([:])
    private let random: @Sendable () -> UInt32

    /// The seed Unleash hashes variant stickiness with.
    public static let variantSeed: UInt32 = 86_028_157

    public init(_ flags: FlagSet, random: @escaping @Sendable () -> UInt32 = { UInt32.random(in: 1...100) }) {
        self.flags = flags
        var byName: [String: FeatureFlag] = [:]
        for f in flags.features { byName[f.name] = f }
        features = byName
        segments = Dictionary(flags.segments.map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        self.random = random
    }

    public func feature(_ name: String) -> FeatureFlag? { features[name] }

    // MARK: Enabled

    public func isEnabled(_ name: String, _ ctx: FlagContext) -> Bool {
        guard let f = features[name] else { return false }
        return evaluate(f, ctx).enabled
    }

    /// Every flag's state for `ctx` (the `flags` push, `/evaluate`).
    public func enabledFlags(_ ctx: FlagContext) -> Set<String> {
        Set(flags.features.filter { evaluate($0, ctx).enabled }.map(\.name))
    }

    private func evaluate(_ f: FeatureFlag, _ ctx: FlagContext) -> (enabled: Bool, variant: FlagVariant?) {
        guard f.enabled, dependenciesHold(f, ctx) else { return (false, nil) }
        if f.strategies.isEmpty { return (true, nil) }
        for s in f.strategies where matches(s, feature: f, ctx) {
            guard !s.variants.isEmpty else { return (true, nil) }
            let groupId = s.parameters["groupId"].flatMap { $0.isEmpty ? nil : $0 } ?? f.name
            return (true, select(s.variants, groupId: groupId, stickiness: s.parameters["stickiness"], ctx))
        }
        return (false, nil)
    }

    private func dependenciesHold(_ f: FeatureFlag, _ ctx: FlagContext) -> Bool {
        f.dependencies.allSatisfy { dep in
            // Unleash allows one level: a parent with dependencies of its own fails the child.
            guard let parent = features[dep.feature], parent.dependencies.isEmpty else { return false }
            guard dep.enabled else { return !evaluate(parent, ctx).enabled }
            if dep.variants.isEmpty { return evaluate(parent, ctx).enabled }
            // The parent's variant, `disabled` included (an enabled parent without variants).
            let v = variant(parent.name, ctx)
            return v.featureEnabled && dep.variants.contains(v.name)
        }
    }

    // MARK: Strategies

    private func matches(_ s: FlagStrategy, feature f: FeatureFlag, _ ctx: FlagContext) -> Bool {
        for id in s.segments {
            guard let seg = segments[id], seg.constraints.allSatisfy({ matches($0, ctx) }) else { return false }
        }
        guard s.constraints.allSatisfy({ matches($0, ctx) }) else { return false }
        let p = s.parameters
        func list(_ key: String) -> [String] { (p[key] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        func percentage(_ key: String) -> UInt32? { Double(p[key] ?? "").map { UInt32(max(0, min(100, $0.rounded(.down)))) } }
        switch s.name {
        case "default":
            return true
        case "userWithId":
            return ctx.userId.map(list("userIds").contains) ?? false
        case "userWithRole":
            let wanted = Set(list("roles"))
            return ctx.roles.contains(where: wanted.contains)
        case "gradualRolloutUserId", "gradualRolloutSessionId":
            guard let id = s.name == "gradualRolloutUserId" ? ctx.userId : ctx.sessionId, let pct = percentage("percentage"), pct > 0 else { return false }
            return MurmurHash3.normalized(id, groupId: p["groupId"] ?? "") <= pct
        case "gradualRolloutRandom":
            guard let pct = percentage("percentage"), pct > 0 else { return false }
            return random() <= pct
        case "flexibleRollout":
            guard let rollout = percentage("rollout"), rollout > 0 else { return false }
            let groupId = p["groupId"] ?? f.name
            switch p["stickiness"] ?? "default" {
            case "random": return random() <= rollout
            case "default":
                guard let id = ctx.userId ?? ctx.sessionId else { return random() <= rollout }
                return MurmurHash3.normalized(id, groupId: groupId) <= rollout
            case let field:
                guard let id = ctx.value(field) else { return false }
                return MurmurHash3.normalized(id, groupId: groupId) <= rollout
            }
        case "remoteAddress":
            guard let addr = ctx.remoteAddress else { return false }
            return list("IPs").contains { $0 == addr || (IPRange($0)?.contains(addr) ?? false) }
        default:
            return false  // an unknown strategy never enables
        }
    }

    // MARK: Constraints

    func matches(_ c: FlagConstraint, _ ctx: FlagContext) -> Bool {
        guard let result = test(c, ctx) else { return false }  // unknown operator: false, inverted or not
        return c.inverted ? !result : result
    }

    private func test(_ c: FlagConstraint, _ ctx: FlagContext) -> Bool? {
        let value = ctx.value(c.contextName)
        // `roles` is a list: IN/NOT_IN ask about any of the session's roles.
        let candidates = c.contextName == "roles" ? ctx.roles : value.map { [$0] } ?? []
        switch c.operator {
        case "IN": return candidates.contains(where: c.values.contains)
        case "NOT_IN": return !candidates.contains(where: c.values.contains)
        case "STR_CONTAINS", "STR_STARTS_WITH", "STR_ENDS_WITH":
            guard let v = value else { return false }
            let subject = c.caseInsensitive ? v.lowercased() : v
            return c.values.contains { raw in
                let x = c.caseInsensitive ? raw.lowercased() : raw
                switch c.operator {
                case "STR_CONTAINS": return subject.contains(x)
                case "STR_STARTS_WITH": return subject.hasPrefix(x)
                default: return subject.hasSuffix(x)
                }
            }
        case "NUM_EQ", "NUM_GT", "NUM_GTE", "NUM_LT", "NUM_LTE":
            guard let a = value.flatMap(Self.number), let b = c.value.flatMap(Self.number) else { return false }
            switch c.operator {
            case "NUM_EQ": return a == b
            case "NUM_GT": return a > b
            case "NUM_GTE": return a >= b
            case "NUM_LT": return a < b
            default: return a <= b
            }
        case "DATE_AFTER", "DATE_BEFORE":
            let now = ctx.currentTime ?? (c.contextName == "currentTime" ? Date() : value.flatMap(Self.date))
            guard let a = now, let b = c.value.flatMap(Self.date) else { return false }
            return c.operator == "DATE_AFTER" ? a > b : a < b
        case "SEMVER_EQ", "SEMVER_GT", "SEMVER_GTE", "SEMVER_LT", "SEMVER_LTE":
            guard let a = value.flatMap(SemanticVersion.init), let b = c.value.flatMap(SemanticVersion.init) else { return false }
            switch c.operator {
            case "SEMVER_EQ": return a == b
            case "SEMVER_GT": return a > b
            case "SEMVER_GTE": return a >= b
            case "SEMVER_LT": return a < b
            default: return a <= b
            }
        case "REGEX":
            guard let v = value, let pattern = c.value, let re = regex(pattern, caseInsensitive: c.caseInsensitive) else { return false }
            return re.firstMatch(in: v, range: NSRange(v.startIndex..., in: v)) != nil
        case "IN_CIDR":
            guard let v = value else { return false }
            return c.values.contains { IPRange($0)?.contains(v) ?? false }
        default:
            return nil
        }
    }

    static func number(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard let d = Double(t), d.isFinite else { return nil }
        return d
    }

    static func date(_ s: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) { return d }
        f.formatOptions = [.withInternetDateTime]
        return f.date(from: s)
    }

    /// A compiled pattern, or nil for one that is invalid or needs what RE2 (Unleash's
    /// reference) lacks — lookaround and backreferences — so results match other clients.
    private func regex(_ pattern: String, caseInsensitive: Bool) -> NSRegularExpression? {
        let key = (caseInsensitive ? "i:" : "s:") + pattern
        if let cached = regexCache.withLock({ $0[key] }) { return cached }
        var re: NSRegularExpression?
        let unsupported = ["(?=", "(?!", "(?<=", "(?<!", "\\k<"].contains(where: pattern.contains)
            || pattern.range(of: #"\\[1-9]"#, options: .regularExpression) != nil
        if !unsupported {
            re = try? NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive] : [])
        }
        regexCache.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[key] = re
        }
        return re
    }

    // MARK: Variants

    /// The variant `name` gives for `ctx` (Unleash's `getVariant`).
    public func variant(_ name: String, _ ctx: FlagContext) -> VariantResult {
        guard let f = features[name] else { return .disabled(featureEnabled: false) }
        let r = evaluate(f, ctx)
        guard r.enabled else { return .disabled(featureEnabled: false) }
        if let v = r.variant { return VariantResult(name: v.name, payload: v.payload, enabled: true, featureEnabled: true) }
        guard let v = select(f.variants, groupId: f.name, ctx) else { return .disabled(featureEnabled: true) }
        return VariantResult(name: v.name, payload: v.payload, enabled: true, featureEnabled: true)
    }

    /// `stickiness`: the strategy's, which strategy variants inherit when they name none.
    private func select(_ variants: [FlagVariant], groupId: String, stickiness: String? = nil, _ ctx: FlagContext) -> FlagVariant? {
        let total = variants.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0 else { return nil }
        if let o = variants.first(where: { v in v.overrides.contains { o in ctx.value(o.contextName).map(o.values.contains) ?? false } }) {
            return o
        }
        let seed: String
        switch variants[0].stickiness ?? stickiness ?? "default" {
        case "default": seed = ctx.userId ?? ctx.sessionId ?? ctx.remoteAddress ?? String(random())
        case "random": seed = String(random())
        case let field: seed = ctx.value(field) ?? String(random())
        }
        let target = MurmurHash3.normalized(seed, groupId: groupId, normalizer: UInt32(total), seed: Self.variantSeed)
        var counter: UInt32 = 0
        for v in variants where v.weight > 0 {
            counter += UInt32(v.weight)
            if counter >= target { return v }
        }
        return nil
    }
}

/// `{name, payload?, enabled, feature_enabled}` as Unleash clients return it.
public struct VariantResult: Equatable, Sendable, Encodable {
    public var name: String
    public var payload: FlagVariant.Payload?
    public var enabled: Bool
    public var featureEnabled: Bool

    public static func disabled(featureEnabled: Bool) -> VariantResult {
        VariantResult(name: "disabled", payload: nil, enabled: false, featureEnabled: featureEnabled)
    }

    enum CodingKeys: String, CodingKey {
        case name, payload, enabled
        case featureEnabled = "feature_enabled"
    }
}
