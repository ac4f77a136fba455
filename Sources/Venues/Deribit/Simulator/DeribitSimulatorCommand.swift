import ArgumentParser
import Foundation
import HubCore

/// `venue-sim deribit`: the Deribit simulator on loopback until SIGINT/SIGTERM.
public struct DeribitSimulatorCommand: ParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(commandName: "deribit", abstract: "Deribit JSON-RPC 2.0 over WebSocket (/ws/api/v2).")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9101
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(name: .customLong("min-heartbeat"), help: "Smallest accepted heartbeat interval (s).") var minHeartbeat = 10

    public func validate() throws {
        try validateListen(port: port, stepMilliseconds: stepMilliseconds)
        guard minHeartbeat >= 1 else { throw ValidationError("--min-heartbeat must be at least 1") }
    }

    public func run() throws {
        var c = DeribitSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.seed = seed
        c.minHeartbeatSeconds = minHeartbeat
        let sim = try serveUntilSignalled({ try DeribitSimulator(config: c) }) { sim in
            "deribit simulator on \(sim.url) (instruments: \(sim.instrumentNames.joined(separator: ", ")))"
        }
        sim.waitUntilStopped()
    }
}
