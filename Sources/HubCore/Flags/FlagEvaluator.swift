import Foundation

/// Evaluates flags as Unleash's client specification defines it: strategies (with
/// constraints and segments), dependencies, variants. Adds `userWithRole` (parameter `roles`,
/// comma-separated) and the `roles` context field.
///
/// Threading: immutable; safe from any thread.
public final class FlagEvaluator: Sendable {
    public let flags: FlagSet
    private let features: [String: CompiledFlag]
    private let segments: [Int: [CompiledFlag.Constraint]]
    private let random: @Sendable () -> UInt32

    /// The seed Unleash hashes variant stickiness with.
    public static let variantSeed: UInt32 = 86_028_157

    public init(_ flags: FlagSet, random: @escaping @Sendable () -> UInt32 = { UInt32.random(in: 1...100) }) {
        self.flags = flags
        var byName: [String: CompiledFlag] = [:]
        for f in flags.features { byName[f.name] = CompiledFlag(f) }
        features = byName
        segments = Dictionary(flags.segments.map { ($0.id, $0.constraints.map(CompiledFlag.Constraint.init)) }, uniquingKeysWith: { $1 })
        self.random = random
    }

    public func feature(_ name: String) -> FeatureFlag? { features[name]?.flag }

    // MARK: Enabled

    public func isEnabled(_ name: String, _ ctx: FlagContext) -> Bool {
        guard let f = features[name] else { return false }
        return evaluate(f, ctx).enabled
    }

    /// Every flag on for `ctx` (a session's flags).
    public func enabledFlags(_ ctx: FlagContext) -> Set<String> {
        var on: Set<String> = []
        for (name, f) in features where evaluate(f, ctx).enabled { on.insert(name) }
        return on
    }

    private func evaluate(_ f: CompiledFlag, _ ctx: FlagContext) -> (enabled: Bool, variant: FlagVariant?) {
        guard f.flag.enabled, dependenciesHold(f.flag, ctx) else { return (false, nil) }
        if f.strategies.isEmpty { return (true, nil) }
        for s in f.strategies where matches(s, ctx) {
            let variants = s.base.variants
            guard !variants.isEmpty else { return (true, nil) }
            let groupId = s.base.parameters["groupId"].flatMap { $0.isEmpty ? nil : $0 } ?? f.flag.name
            return (true, select(variants, groupId: groupId, stickiness: s.base.parameters["stickiness"], ctx))
        }
        return (false, nil)
    }

    private func dependenciesHold(_ f: FeatureFlag, _ ctx: FlagContext) -> Bool {
        f.dependencies.allSatisfy { dep in
            // Unleash allows one level: a parent with dependencies of its own fails the child.
            guard let parent = features[dep.feature], parent.flag.dependencies.isEmpty else { return false }
            guard dep.enabled else { return !evaluate(parent, ctx).enabled }
            if dep.variants.isEmpty { return evaluate(parent, ctx).enabled }
            // The parent's variant, `disabled` included (an enabled parent without variants).
            let v = variant(parent.flag.name, ctx)
            return v.featureEnabled && dep.variants.contains(v.name)
        }
    }

    // MARK: Strategies

    private func matches(_ s: CompiledFlag.Strategy, _ ctx: FlagContext) -> Bool {
        for id in s.base.segments {
            guard let constraints = segments[id], constraints.allSatisfy({ matches($0, ctx) }) else { return false }
        }
        guard s.constraints.allSatisfy({ matches($0, ctx) }) else { return false }
        switch s.kind {
        case .always:
            return true
        case .userWithId:
            return ctx.userId.map(s.members.contains) ?? false
        case .userWithRole:
            return ctx.roles.contains(where: s.members.contains)
        case .rolloutUserId, .rolloutSessionId:
            guard let id = s.kind == .rolloutUserId ? ctx.userId : ctx.sessionId, let pct = s.percentage, pct > 0 else { return false }
            return MurmurHash3.normalized(id, groupId: s.groupId) <= pct
        case .rolloutRandom:
            guard let pct = s.percentage, pct > 0 else { return false }
            return random() <= pct
        case .flexibleRollout:
            guard let rollout = s.percentage, rollout > 0 else { return false }
            switch s.stickiness {
            case "random": return random() <= rollout
            case "default":
                guard let id = ctx.userId ?? ctx.sessionId else { return random() <= rollout }
                return MurmurHash3.normalized(id, groupId: s.groupId) <= rollout
            case let field:
                guard let id = ctx.value(field) else { return false }
                return MurmurHash3.normalized(id, groupId: s.groupId) <= rollout
            }
        case .remoteAddress:
            guard let addr = ctx.remoteAddress else { return false }
            return s.addresses.contains(addr) || s.ranges.contains { $0.contains(addr) }
        case .unknown:
            return false  // an unknown strategy never enables
        }
    }

    // MARK: Constraints

    /// A constraint on `ctx` (for callers outside a strategy: tests, tools).
    func matches(_ c: FlagConstraint, _ ctx: FlagContext) -> Bool { matches(CompiledFlag.Constraint(c), ctx) }

    private func matches(_ c: CompiledFlag.Constraint, _ ctx: FlagContext) -> Bool {
        guard let result = test(c, ctx) else { return false }  // unknown operator: false, inverted or not
        return c.base.inverted ? !result : result
    }

    private func test(_ c: CompiledFlag.Constraint, _ ctx: FlagContext) -> Bool? {
        let name = c.base.contextName
        switch c.op {
        case .in, .notIn:
            // `roles` is a list: IN/NOT_IN ask about any of the session's roles.
            let hit = name == "roles" ? ctx.roles.contains(where: c.values.contains) : ctx.value(name).map(c.values.contains) ?? false
            return c.op == .in ? hit : !hit
        case .contains, .startsWith, .endsWith:
            guard let v = ctx.value(name) else { return false }
            let subject = c.base.caseInsensitive ? v.lowercased() : v
            return c.lowered.contains { x in
                switch c.op {
                case .contains: return subject.contains(x)
                case .startsWith: return subject.hasPrefix(x)
                default: return subject.hasSuffix(x)
                }
            }
        case .numEq, .numGt, .numGte, .numLt, .numLte:
            guard let a = ctx.value(name).flatMap(Self.number), let b = c.number else { return false }
            switch c.op {
            case .numEq: return a == b
            case .numGt: return a > b
            case .numGte: return a >= b
            case .numLt: return a < b
            default: return a <= b
            }
        case .dateAfter, .dateBefore:
            let at = name == "currentTime" ? (ctx.currentTime ?? Date()) : ctx.value(name).flatMap(Self.date)
            guard let a = at, let b = c.date else { return false }
            return c.op == .dateAfter ? a > b : a < b
        case .semverEq, .semverGt, .semverGte, .semverLt, .semverLte:
            guard let a = ctx.value(name).flatMap(SemanticVersion.init), let b = c.version else { return false }
            switch c.op {
            case .semverEq: return a == b
            case .semverGt: return a > b
            case .semverGte: return a >= b
            case .semverLt: return a < b
            default: return a <= b
            }
        case .regex:
            guard let v = ctx.value(name), let re = c.regex else { return false }
            return re.firstMatch(in: v, range: NSRange(v.startIndex..., in: v)) != nil
        case .inCIDR:
            guard let v = ctx.value(name) else { return false }
            return c.ranges.contains { $0.contains(v) }
        case .unknown:
            return nil
        }
    }

    static func number(_ s: String) -> Double? {
        let t = s.trimmingCharacters(in: .whitespaces)
        guard let d = Double(t), d.isFinite else { return nil }
        return d
    }

    static func date(_ s: String) -> Date? { InternetDateTime.parse(s) }

    // MARK: Variants

    /// The variant `name` gives for `ctx` (Unleash's `getVariant`).
    public func variant(_ name: String, _ ctx: FlagContext) -> VariantResult {
        guard let f = features[name] else { return .disabled(featureEnabled: false) }
        let r = evaluate(f, ctx)
        guard r.enabled else { return .disabled(featureEnabled: false) }
        if let v = r.variant { return VariantResult(name: v.name, payload: v.payload, enabled: true, featureEnabled: true) }
        guard let v = select(f.flag.variants, groupId: f.flag.name, ctx) else { return .disabled(featureEnabled: true) }
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
