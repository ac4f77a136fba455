import ArgumentParser
import Foundation
import Histogram
import HubCore
import HubServer
import HubStore

/// The control plane's cost: the reads a node makes when another node announces a change
/// (identity snapshot, flag set) and the writes of the REST API (a flag toggled, a user made),
/// on SQLite or PostgreSQL; with `--writers`, that many nodes (stores) writing at once.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store", abstract: "Control-plane store calls per second and their latency.")

    @Option(help: "PostgreSQL URL (a new schema is used); empty: a SQLite file in a temporary directory.") var postgres = ""
    @Option(help: "Seconds per measurement.") var seconds = 2.0
    @Option(help: "Users in the store.") var users = 1000
    @Option(help: "Stores writing at once in the last measurement (nodes of a cluster).") var writers = 3
    @Option(help: "Default flags file.") var flags = "config/flags.yaml"

    func run() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let schema = "bench_\(ProcessInfo.processInfo.processIdentifier)_\(Int(Date().timeIntervalSince1970))"
        let open = { () throws -> HubStore in
            postgres.isEmpty ? try HubStore(dataDirectory: dir) : try HubStore(postgres: postgres + (postgres.contains("?") ? "&" : "?") + "schema=\(schema)")
        }
        let store = try open()
        try store.migrate()
        try store.seedRoles([Role(id: "admin"), Role(id: "viewer")])
        try store.importFlags(try FlagSeedLoader.load(file: flags), actor: "bench")
        var ids: [Int64] = []
        for i in 0..<users { ids.append(try store.insertUser(username: "user\(i)", passwordHash: nil, roles: ["viewer"], actor: "bench").id) }
        let flag = try flagToToggle(store)

        var results: [String: Any] = ["store": store.dialect.rawValue, "users": users, "flags": try store.featureCount()]
        results["identitySnapshot"] = try measure { _ in _ = try store.identitySnapshot() }
        results["flagSet"] = try measure { _ in _ = try store.flagSet() }
        results["featureToggle"] = try measure { n in
            var f = flag
            f.enabled = n % 2 == 0
            try store.updateFeature(f, actor: "bench")
        }
        var next = users
        results["insertUser"] = try measure { _ in
            next += 1
            _ = try store.insertUser(username: "user\(next)", passwordHash: nil, roles: ["viewer"], actor: "bench")
        }
        // Several nodes editing users at once (distinct users: contention on the audit log only).
        let nodes = try (0..<writers).map { _ in try open() }
        let targets = ids
        let counts = Counter()
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: writers) { w in
            var n = 0
            while Date().timeIntervalSince(start) < seconds {
                let id = targets[(w + n * writers) % targets.count]
                if (try? nodes[w].updateUser(id: id, displayName: .some("n\(n)"), actor: "bench")) != nil { counts.add(ok: 1) } else { counts.add(failed: 1) }
                n += 1
            }
        }
        results["concurrentUpdates"] = [
            "writers": writers, "per_s": Int(Double(counts.ok) / Date().timeIntervalSince(start)), "failed": counts.failed,
        ]
        let data = try JSONSerialization.data(withJSONObject: results, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    /// Calls `body` for `seconds`; calls per second and latency percentiles (µs).
    func measure(_ body: (Int) throws -> Void) throws -> [String: Int] {
        var h = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var n = 0
        let start = Date()
        repeat {
            let t = MonotonicClock.nanoseconds()
            try body(n)
            h.record(max(1, (MonotonicClock.nanoseconds() &- t) / 1000))
            n += 1
        } while Date().timeIntervalSince(start) < seconds
        return [
            "per_s": Int(Double(n) / Date().timeIntervalSince(start)), "p50_us": Int(h.valueAtPercentile(50)), "p99_us": Int(h.valueAtPercentile(99)),
        ]
    }

    /// A flag of the seed to toggle.
    private func flagToToggle(_ store: HubStore) throws -> FeatureFlag {
        guard let f = try store.flagSet().features.first else { throw ValidationError("\(flags) holds no flag") }
        return f
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var ok = 0
        private(set) var failed = 0
        func add(ok: Int = 0, failed: Int = 0) {
            lock.withLock {
                self.ok += ok
                self.failed += failed
            }
        }
    }
}
