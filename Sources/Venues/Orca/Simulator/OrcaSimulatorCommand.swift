import ArgumentParser
import Foundation
import HubCore

/// `venue-sim orca`: the ORCA simulator on loopback until SIGINT/SIGTERM.
public struct OrcaSimulatorCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "orca", abstract: "ORCA odds stream orca.v1 (/orca/v1/stream, docs/feeds/orca.md): snapshots, numbered deltas, heartbeats, resume.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9106
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(name: .customLong("heartbeat-ms"), help: "Heartbeat period in milliseconds.") var heartbeatMs = 5000
    @Option(help: "Deltas kept per stream for resuming.") var retention = 10_000
    @Option(help: "Random seed.") var seed: UInt64 = 23

    public func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        guard (100...60_000).contains(heartbeatMs) else { throw ValidationError("--heartbeat-ms must be between 100 and 60000") }
        guard (1...1_000_000).contains(retention) else { throw ValidationError("--retention must be between 1 and 1000000") }
    }

    public func run() throws {
        var c = OrcaSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.heartbeatMs = heartbeatMs
        c.retention = retention
        c.seed = seed
        try serveUntilSignalled({ try OrcaSimulator(config: c) }) { sim in "orca simulator on \(sim.url) (streams: \(c.streams.joined(separator: ", ")))" }
    }
}
