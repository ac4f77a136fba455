import ArgumentParser
import Foundation
import HubServer
import Logging
import Venues

struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Record one venue's traffic (frames in and out, REST snapshots) to JSON Lines for `streamhub replay`.",
        discussion:
            "Runs the venue's feed from the configuration (only that feed; simulate: true records the simulator) until --seconds pass or SIGINT/SIGTERM.")

    @OptionGroup var options: ConfigOptions

    @Option(help: "The venue to record: \(VenueRegistry.ids.joined(separator: ", ")).")
    var venue: String

    @Option(help: "The recording to write (JSON Lines).")
    var out: String

    @Option(help: "Stop after this many seconds (default: until interrupted).")
    var seconds: Double?

    @Flag(help: "Replace --out if it exists.")
    var force = false

    func validate() throws {
        guard VenueRegistry.ids.contains(venue) else {
            throw ValidationError("--venue must be one of \(VenueRegistry.ids.joined(separator: ", ")), not '\(venue)'")
        }
        if let seconds, !(seconds > 0) { throw ValidationError("--seconds must be positive") }
        guard !out.isEmpty else { throw ValidationError("--out must name a file") }
    }

    func run() throws {
        ShutdownSignals.block()  // before any thread starts: SIGTERM must reach the graceful path
        var config = try options.resolve()
        // Only the recorded venue runs; the hub listens on a free port (nobody needs it).
        config.feeds.venues.enableOnly(venue, among: VenueRegistry.all)
        config.feeds.synthetic.enabled = false
        config.server.port = options.port ?? 0
        if config.auth.jwtSecret.isEmpty {
            config.auth.jwtSecret = (0..<4).map { _ in UUID().uuidString }.joined()  // a recording hub issues no tokens
        }
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = options.logLevel.level
            return h
        }
        let demo: Demo
        let logger = Logger(label: "streamhub.record")
        do {
            demo = try Demo.make(config, logger: logger)
            try demo.server.record(to: out, overwrite: force)
        } catch {
            throw CLIError(message: "\(error)", code: 1)
        }
        let server = demo.server
        ShutdownSignals.install { _ in server.shutdown() }
        if let seconds {
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { server.shutdown() }
        }
        // The recording hub serves too (watch what is recorded, or check it is alive).
        logger.info("listening", metadata: server.listeningMetadata)
        do {
            try demo.run()
        } catch {
            throw CLIError(message: "\(error)", code: 1)
        }
        let r = server.recorder
        if let failure = r?.failure { throw CLIError(message: failure, code: 1) }
        print("recorded \(r?.frames ?? 0) frames (\(r?.lines ?? 0) lines) from \(venue) to \(out)")
    }
}
