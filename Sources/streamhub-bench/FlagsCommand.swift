import ArgumentParser
import Foundation
import HubCore
import HubServer
import Workloads

/// Flag evaluation speed on a realistic flag set: the default flags plus flags of every
/// strategy and constraint kind, for many distinct users.
struct FlagsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flags", abstract: "Feature-flag evaluations per second.")

    @Option(help: "Seconds per measurement.") var seconds = 2.0
    @Option(help: "Distinct evaluation contexts (users).") var users = 10_000
    @Option(help: "Default flags file.") var defaults = "config/flags.yaml"

    func run() throws {
        let set = FlagWorkload.realistic(try FlagSeedLoader.load(file: defaults))
        let e = FlagEvaluator(set)
        let contexts = FlagWorkload.contexts(users)
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
