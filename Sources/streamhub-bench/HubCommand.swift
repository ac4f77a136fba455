import ArgumentParser
import Foundation
import HubAuth
import HubCore
import HubServer
import Logging
import WebSocketLoop

/// A hub with a synthetic ticker source at a fixed rate: the server side of the fan-out
/// benchmarks (run as its own process, so its memory and CPU are its own).
struct HubCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hub", abstract: "Serve synthetic ticks at a fixed rate (benchmark server).")

    @Option(help: "Port (0: any free port; the chosen one is printed).") var port = 0
    @Option(help: "Ticks per second across all channels.") var rate = 1000.0
    @Option(help: "Channels ticker.synthetic.S0 … S<n-1>.") var channels = 1
    @Flag(help: "Offer permessage-deflate.") var deflate = false
    @Option(help: "The deflate compressor's window bits (server.deflateWindowBits).") var deflateWindowBits = HubConfig.Server().deflateWindowBits
    @Option(help: "The deflate compressor's zlib memory level (server.deflateMemoryLevel).") var deflateMemoryLevel = HubConfig.Server().deflateMemoryLevel
    @Option(help: "Redis URL for state and history (write-behind); none by default.") var redis: String?
    @Option(help: "Run as this node of a cluster over --redis (cluster.enabled, cluster.nodeId).") var clusterNode: String?
    @Flag(help: "Wide ticks: sizes and a last price too (nine properties).") var wide = false
    @Option(help: "Create this many roles with distinct property grants, a user for each, and write their tokens to --tokens-file (JSON list).") var roleViews =
        0
    @Option(help: "Where --role-views / --flag-split write the tokens.") var tokensFile: String?
    @Option(help: "Create --users users of one premium role and roll premium-data out to this percentage of them (flag-dependent views).") var flagSplit: Int?
    @Option(help: "Users for --flag-split.") var users = 1000
    @Flag(help: "Usage analytics off (compare fan-out with and without usage counting).") var noUsage = false
    @Option(help: "The event loop (server.eventLoop): libuv (epoll) or poll.") var eventLoop = HubConfig.Server().eventLoop
    @Option(help: "Publications kept per state channel (serve.stateRingSize): a subscriber further behind conflates to the newest.")
    var stateRingSize = ServeConfig().stateRingSize
    @Option(help: "Backlog bytes past which a state subscriber conflates (serve.conflateBytes).") var conflateBytes = ServeConfig().conflateBytes
    @Option(help: "Most bytes one frame carries (serve.frameBytes).") var frameBytes = ServeConfig().frameBytes

    func validate() throws {
        guard LoopConfiguration.EventLibrary(rawValue: eventLoop) != nil else {
            throw ValidationError("--event-loop must be one of \(LoopConfiguration.EventLibrary.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (1...1_000_000).contains(stateRingSize) else { throw ValidationError("--state-ring-size must be between 1 and 1000000") }
        guard conflateBytes >= 1024 else { throw ValidationError("--conflate-bytes must be at least 1024") }
        guard (1024...(16 << 20)).contains(frameBytes) else { throw ValidationError("--frame-bytes must be between 1024 and 16777216") }
    }

    func run() throws {
        var config = HubConfig()
        config.server.port = port
        config.server.publicDir = nil
        config.server.permessageDeflate = deflate
        config.server.deflateWindowBits = deflateWindowBits
        config.server.deflateMemoryLevel = deflateMemoryLevel
        config.server.maxConnections = 70_000
        config.server.eventLoop = eventLoop
        config.serve.stateRingSize = stateRingSize
        config.serve.conflateBytes = conflateBytes
        config.serve.frameBytes = frameBytes
        config.serve.maxPendingBytes = max(config.serve.maxPendingBytes, frameBytes)
        // Every load connection comes from loopback: the per-address caps would cut the run short.
        config.server.maxConnectionsPerAddress = 0
        config.serve.maxSubscriptionsPerAddress = 0
        config.auth.anonymousIdleSeconds = 0
        config.feeds.synthetic.enabled = rate > 0
        config.feeds.synthetic.rate = max(rate, 1)
        config.feeds.synthetic.channels = channels
        config.feeds.synthetic.wide = wide
        config.usage.enabled = !noUsage
        // Connections without a token get the anonymous role; with --role-views, tokens pick roles.
        config.auth.jwtSecret = (0..<48).map { _ in String(UInt8.random(in: 97...122), radix: 36) }.joined()
        config.auth.anonymous = true
        config.auth.rolesFile = "config/roles.yaml"
        config.server.dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-hub-\(getpid())").path
        config.properties.seedDirectory = "config/properties"
        if let redis { config.redis.url = redis }
        if let clusterNode {
            config.cluster.enabled = true
            config.cluster.nodeId = clusterNode
        }
        try FileManager.default.createDirectory(atPath: config.server.dataDir, withIntermediateDirectories: true)
        var logger = Logger(label: "bench-hub")
        logger.logLevel = .warning
        ShutdownSignals.install { _ in Foundation.exit(0) }
        let users = try flagSplit.map { try makeFlagSplit(config, logger, rollout: $0) } ?? (roleViews > 0 ? try makeRoleViews(config, logger) : [])
        let server = try HubServer(config: config, venues: [], logger: logger)
        if let tokensFile, !users.isEmpty {
            let tokens = server.tokens
            let minted = try users.map { id in try blocking { try await tokens.issue(subject: "\(id)", lifetime: 86_400).token } }
            try JSONSerialization.data(withJSONObject: minted).write(to: URL(fileURLWithPath: tokensFile))
        }
        try server.start()
        FileHandle.standardOutput.write(Data("ready \(server.port)\n".utf8))
        server.waitUntilStopped()
    }

    /// One role seeing premium properties and `users` users holding it; premium-data rolled out
    /// to `rollout` % of them, so subscribers split into two views by flag.
    private func makeFlagSplit(_ config: HubConfig, _ logger: Logger, rollout: Int) throws -> [Int64] {
        let store = try IdentitySetup.openStore(config, logger: logger)
        let role = Role(id: "flagged", grants: Grants(channels: [ChannelRule(.allow, "*.*.*")], tiers: [.public, .premium]))
        try store.insertRole(role, actor: "bench")
        try store.importFlags(
            FlagSet(features: [
                FeatureFlag(
                    name: "premium-data", enabled: true,
                    strategies: [
                        FlagStrategy(name: "flexibleRollout", parameters: ["rollout": "\(rollout)", "stickiness": "userId", "groupId": "premium-data"])
                    ])
            ]), actor: "bench")
        return try (0..<users).map { try store.insertUser(username: "flag\($0)", passwordHash: nil, roles: [role.id], actor: "bench").id }
    }

    /// Roles `view0…` granting every channel and a distinct set of four or more of the wide
    /// tick's properties (so each role compiles to its own view), and a user holding each.
    private func makeRoleViews(_ config: HubConfig, _ logger: Logger) throws -> [Int64] {
        let properties = ["bid", "ask", "bidVolume", "askVolume", "last", "mid", "spread", "spreadBps", "microprice"]
        let subsets = (1..<(1 << properties.count)).filter { $0.nonzeroBitCount >= 4 }.prefix(roleViews)
        guard subsets.count == roleViews else { throw BenchError("at most \(subsets.count) distinct views") }
        let store = try IdentitySetup.openStore(config, logger: logger)
        var ids: [Int64] = []
        for (k, bits) in subsets.enumerated() {
            let allowed = properties.indices.filter { bits & (1 << $0) != 0 }.map { properties[$0] }
            let role = Role(id: "view\(k)", grants: Grants(channels: [ChannelRule(.allow, "*.*.*")], properties: PropertyRules(allow: allowed)))
            try store.insertRole(role, actor: "bench")
            ids.append(try store.insertUser(username: "bench\(k)", passwordHash: nil, roles: [role.id], actor: "bench").id)
        }
        return ids
    }
}
