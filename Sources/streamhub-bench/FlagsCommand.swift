import ArgumentParser
import Foundation
import HubCore
import HubServer

/// Flag evaluation speed on a realistic flag set: the default flags plus flags of every
/// strategy and constraint kind, for many distinct users.
struct FlagsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flags", abstract: "Feature-flag evaluations per second.")

    @Option(help: "Seconds per measurement.") var seconds = 2.0
    @Option(help: "Distinct evaluation contexts (users).") var users = 10_000
    @Option(help: "Default flags file.") var defaults = "config/flags.yaml"

    /// The defaults, and 20 flags like a product team keeps: rollouts with constraints,
    /// segments, user lists, variants, a dependency.
    static func realistic(_ base: FlagSet) -> FlagSet {
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

    func run() throws {
        let set = Self.realistic(try FlagSeedLoader.load(file: defaults))
        let e = FlagEvaluator(set)
        let roles = [["viewer"], ["trader"], ["premium"], ["analyst"]]
        let contexts = (0..<users).map { i in
            FlagContext(
                userId: "\(i)", sessionId: "\(i * 7)", remoteAddress: "127.0.\(i % 256).\(i / 256 % 256)", environment: "production", appName: "streamhub",
                roles: roles[i % 4], properties: ["plan": i % 3 == 0 ? "pro-\(i)" : "free", "clientVersion": "2.\(i % 6).0"])
        }
        func measure(_ body: (FlagContext) -> Void) -> (perSecond: Int, evaluations: Int) {
            var n = 0
            let start = Date()
            repeat {
                for c in contexts.prefix(1000) { body(c) }
                n += 1000
            } while Date().timeIntervalSince(start) < seconds
            return (Int(Double(n) / Date().timeIntervalSince(start)), n)
        }
        var sink = 0
        var results: [String: Int] = [:]
        for (label, flag) in [
            ("rollout+constraints", "flag-0"), ("userWithId(100)", "flag-1"), ("rollout+segment", "flag-2"), ("regex+cidr", "flag-3"),
            ("role+semver", "flag-4"), ("dependency", "flag-19"),
        ] {
            results["isEnabled/s \(label)"] = measure { if e.isEnabled(flag, $0) { sink += 1 } }.perSecond
        }
        results["variant/s"] = measure { if e.variant("flag-0", $0).enabled { sink += 1 } }.perSecond
        // A session's whole evaluation (what connect and every flag change do per session).
        let all = measure { sink += e.enabledFlags($0).count }.perSecond
        results["sessions/s (all \(set.features.count) flags)"] = all
        results["flags"] = set.features.count
        let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        if sink < 0 { print(sink) }
    }
}
