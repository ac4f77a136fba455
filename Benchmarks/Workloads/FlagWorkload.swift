import HubCore

/// A realistic flag set and the users it is evaluated for, for `streamhub-bench flags` and the
/// micro-benchmarks.
public enum FlagWorkload {
    /// The defaults, and 20 flags like a product team keeps: rollouts with constraints,
    /// segments, user lists, variants, a dependency.
    public static func realistic(_ base: FlagSet) -> FlagSet {
        var set = base
        set.segments = [FlagSegment(id: 1, name: "desks", constraints: [FlagConstraint(contextName: "roles", operator: "IN", values: ["trader", "premium"])])]
        let ids = (0..<100).map { "\($0 * 37)" }.joined(separator: ",")
        for i in 0..<20 {
            let strategy: FlagStrategy
            switch i % 5 {
            case 0:
                strategy = FlagStrategy(
                    name: "flexibleRollout", parameters: ["rollout": "\(10 + i * 4)", "stickiness": "default", "groupId": "f\(i)"],
                    constraints: [
                        FlagConstraint(contextName: "environment", operator: "IN", values: ["production", "staging"]),
                        FlagConstraint(contextName: "appName", operator: "STR_STARTS_WITH", values: ["stream"]),
                    ])
            case 1:
                strategy = FlagStrategy(name: "userWithId", parameters: ["userIds": ids])
            case 2:
                strategy = FlagStrategy(name: "flexibleRollout", parameters: ["rollout": "50", "stickiness": "userId", "groupId": "f\(i)"], segments: [1])
            case 3:
                strategy = FlagStrategy(
                    name: "default",
                    constraints: [
                        FlagConstraint(contextName: "plan", operator: "REGEX", value: "^(pro|team)-[0-9]+$"),
                        FlagConstraint(contextName: "remoteAddress", operator: "IN_CIDR", values: ["10.0.0.0/8", "127.0.0.0/8"]),
                    ])
            default:
                strategy = FlagStrategy(
                    name: "userWithRole", parameters: ["roles": "analyst,admin"],
                    constraints: [
                        FlagConstraint(contextName: "clientVersion", operator: "SEMVER_GTE", value: "2.3.0")
                    ])
            }
            set.features.append(
                FeatureFlag(
                    name: "flag-\(i)", enabled: true, strategies: [strategy],
                    variants: i % 4 == 0 ? [FlagVariant(name: "a", weight: 50), FlagVariant(name: "b", weight: 50)] : [],
                    dependencies: i == 19 ? [FlagDependency(feature: "flag-0")] : []))
        }
        return set
    }

    /// `count` distinct users: roles in turn, plans and client versions that some flags' constraints match.
    public static func contexts(_ count: Int) -> [FlagContext] {
        let roles = [["viewer"], ["trader"], ["premium"], ["analyst"]]
        return (0..<count).map { i in
            FlagContext(
                userId: "\(i)", sessionId: "\(i * 7)", remoteAddress: "127.0.\(i % 256).\(i / 256 % 256)", environment: "production", appName: "streamhub",
                roles: roles[i % 4], properties: ["plan": i % 3 == 0 ? "pro-\(i)" : "free", "clientVersion": "2.\(i % 6).0"])
        }
    }
}
