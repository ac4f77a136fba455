import PropertyBased

/// One generated combination: the roles a fresh user holds, the flags as they stand, the
/// subscriptions its session makes and the channels it asks about over REST.
struct OracleCase: Sendable, CustomStringConvertible {
    var roles: [RoleSpec]
    var flags: [FlagSpec]
    var subscriptions: [SubscriptionSpec]
    var probes: [String]

    var description: String {
        "roles: \(roles)\nflags: \(flags)\nsubscriptions: \(subscriptions)\nprobes: \(probes)"
    }
}

/// A channel rule of a generated role.
struct RuleSpec: Sendable, CustomStringConvertible {
    var allow: Bool
    var pattern: String
    var flag: String?
    var description: String { "\(allow ? "allow" : "deny") \(pattern)\(flag.map { " if \($0)" } ?? "")" }
}

/// A role: a default one by name, or generated grants.
struct RoleSpec: Sendable, CustomStringConvertible {
    var builtIn: String?
    var rules: [RuleSpec] = []
    var tiers: [String] = []
    var allowProperties: [String] = []
    var denyProperties: [String] = []
    var scopes: [String] = []

    var description: String {
        builtIn ?? "{\(rules) tiers \(tiers) +\(allowProperties) -\(denyProperties) \(scopes)}"
    }
}

/// A targeting constraint; `roles` values are indexes into the case's roles.
struct ConstraintSpec: Sendable {
    var onRoles: Bool
    var notIn: Bool
    var roleIndexes: [Int]
    var includesUser: Bool
    var inverted: Bool
}

/// A strategy of a generated flag.
struct StrategySpec: Sendable {
    enum Kind: Sendable { case standard, userWithId, userWithRole, flexibleRollout }
    var kind: Kind
    var includesUser: Bool
    var roleIndexes: [Int]
    var rollout: Int
    var groupId: String
    var constraint: ConstraintSpec?
}

/// The definition one of the oracle's flags gets for a case.
struct FlagSpec: Sendable {
    var enabled: Bool
    var strategies: [StrategySpec]
}

/// A subscription: a channel or pattern, optional `fields`, and (exact channels) a `since`.
struct SubscriptionSpec: Sendable, CustomStringConvertible {
    var channel: String
    var fields: [String]?
    var since: Bool
    var description: String { channel + (fields.map { " fields \($0)" } ?? "") + (since ? " since" : "") }
}

/// The generators: segments, property names and flags drawn from what the oracle hub carries.
enum OracleGen {
    static let streams = ["ticker", "trades", "book", "arb", "sources"]
    static let venues = ["deribit", "binance", "coinbase", "composite", "crypto", "hub"]
    static let instruments = ["X-PERP", "Y-PERP", "BTC-USD", "BTC/USDT", "BTC/USD", "binance"]
    /// Properties the channels carry, across tiers (public, premium with and without a flag, internal).
    static let properties = ["bid", "ask", "mid", "spread", "microprice", "price", "amount", "tradeSeq", "edge", "legs", "bidVolume", "feedState", "bids"]
    static let ruleFlags = ["beta-features", "oracle-a", "oracle-b"]
    /// The flags redefined for every case; `premium-data` gates premium properties.
    static let flagNames = ["premium-data", "beta-features", "oracle-a", "oracle-b"]
    static let builtInRoles = ["viewer", "trader", "premium", "analyst", "admin", "anonymous"]

    static func pattern(_ rng: inout some SeededRandomNumberGenerator, wildcard: Double) -> String {
        func seg(_ choices: [String]) -> String { Double.random(in: 0..<1, using: &rng) < wildcard ? "*" : choices.randomElement(using: &rng)! }
        return [seg(streams), seg(venues), seg(instruments)].joined(separator: ".")
    }

    static func subset(_ all: [String], _ rng: inout some SeededRandomNumberGenerator, rate: Double) -> [String] {
        all.filter { _ in Double.random(in: 0..<1, using: &rng) < rate }
    }

    static let rule = Generator<RuleSpec, Shrink.None<RuleSpec>> { rng in
        let allow = Double.random(in: 0..<1, using: &rng) < 0.7
        let flag = allow && Bool.random(using: &rng) ? ruleFlags.randomElement(using: &rng) : nil
        return RuleSpec(allow: allow, pattern: pattern(&rng, wildcard: 0.55), flag: flag)
    }

    static let role = zip(
        rule.array(of: 0...4),
        Generator<RoleSpec, Shrink.None<RoleSpec>> { rng in
            if Double.random(in: 0..<1, using: &rng) < 0.2 { return RoleSpec(builtIn: builtInRoles.randomElement(using: &rng)) }
            return RoleSpec(
                tiers: subset(["public", "premium", "internal"], &rng, rate: 0.5), allowProperties: subset(properties, &rng, rate: 0.1),
                denyProperties: subset(properties, &rng, rate: 0.1), scopes: subset(["state:read", "streams:read"], &rng, rate: 0.7))
        }
    ).map { rules, base in
        var r = base
        if r.builtIn == nil { r.rules = rules }
        return r
    }

    static let strategy = Generator<StrategySpec, Shrink.None<StrategySpec>> { rng in
        let kinds: [StrategySpec.Kind] = [.standard, .userWithId, .userWithRole, .flexibleRollout]
        let rollouts = [0, 1, 25, 50, 75, 99, 100]
        var constraint: ConstraintSpec?
        if Double.random(in: 0..<1, using: &rng) < 0.4 {
            constraint = ConstraintSpec(
                onRoles: Bool.random(using: &rng), notIn: Bool.random(using: &rng), roleIndexes: (0..<3).filter { _ in Bool.random(using: &rng) },
                includesUser: Bool.random(using: &rng), inverted: Double.random(in: 0..<1, using: &rng) < 0.2)
        }
        return StrategySpec(
            kind: kinds.randomElement(using: &rng)!, includesUser: Bool.random(using: &rng), roleIndexes: (0..<3).filter { _ in Bool.random(using: &rng) },
            rollout: rollouts.randomElement(using: &rng)!, groupId: "g\(Int.random(in: 0..<100, using: &rng))", constraint: constraint)
    }

    static let flag = zip(Gen.bool(0.85), strategy.array(of: 0...2)).map { FlagSpec(enabled: $0, strategies: $1) }

    static let subscription = Generator<SubscriptionSpec, Shrink.None<SubscriptionSpec>> { rng in
        // A third are channels that exist (so `since` has something to recover), the rest any pattern.
        let existing = Double.random(in: 0..<1, using: &rng) < 0.35
        let channel = existing ? (OracleHub.injected + OracleHub.simulated).randomElement(using: &rng)! : pattern(&rng, wildcard: 0.3)
        let fields = Double.random(in: 0..<1, using: &rng) < 0.35 ? subset(properties, &rng, rate: 0.25) : nil
        let since = !channel.contains("*") && Double.random(in: 0..<1, using: &rng) < 0.4
        return SubscriptionSpec(channel: channel, fields: fields?.isEmpty == true ? nil : fields, since: since)
    }

    /// Channels with state (mostly), or any name.
    static let probe = Generator<String, Shrink.None<String>> { rng in
        Bool.random(using: &rng) ? pattern(&rng, wildcard: 0) : (OracleHub.injected + OracleHub.simulated).randomElement(using: &rng)!
    }

    /// Eight subscriptions per case: 1,250 cases make 10,000 (roles, flags, subscription) combinations.
    static let oracleCase = zip(role.array(of: 1...3), flag.array(of: flagNames.count), subscription.array(of: 8), probe.array(of: 3)).map {
        OracleCase(roles: $0, flags: $1, subscriptions: $2, probes: $3)
    }
}
