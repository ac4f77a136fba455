import ArgumentParser
import Foundation
import HubServer
import Logging

/// A hub with a synthetic ticker source at a fixed rate: the server side of the fan-out
/// benchmarks (run as its own process, so its memory and CPU are its own).
struct HubCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hub", abstract: "Serve synthetic ticks at a fixed rate (benchmark server).")

    @Option(help: "Port (0: any free port; the chosen one is printed).") var port = 0
    @Option(help: "Ticks per second across all channels.") var rate = 1000.0
    @Option(help: "Channels ticker.synthetic.S0 … S<n-1>.") var channels = 1
    @Flag(help: "Offer permessage-deflate.") var deflate = false
    @Option(help: "Redis URL for state and history (write-behind); none by default.") var redis: String?

    func run() throws {
        var config = HubConfig()
        config.server.port = port
        config.server.publicDir = nil
        config.server.permessageDeflate = deflate
        config.server.maxConnections = 70_000
        config.feeds.synthetic.enabled = rate > 0
        config.feeds.synthetic.rate = max(rate, 1)
        config.feeds.synthetic.channels = channels
        config.server.dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-hub-\(getpid())").path
        config.properties.seedDirectory = "config/properties"
        if let redis { config.redis.url = redis }
        try FileManager.default.createDirectory(atPath: config.server.dataDir, withIntermediateDirectories: true)
        var logger = Logger(label: "bench-hub")
        logger.logLevel = .warning
        ShutdownSignals.install { _ in Foundation.exit(0) }
        let server = try HubServer(config: config, logger: logger)
        try server.start()
        FileHandle.standardOutput.write(Data("ready \(server.port)\n".utf8))
        server.waitUntilStopped()
    }
}
