import ArgumentParser
import Foundation
import VenueSimulators

/// `venue-sim deribit --port 9101`: a venue simulator on loopback, until SIGINT/SIGTERM.
@main
struct VenueSim: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "venue-sim", abstract: "Venue simulators that speak each venue's real protocol.",
        subcommands: [DeribitCommand.self])
}

struct DeribitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deribit", abstract: "Deribit JSON-RPC 2.0 over WebSocket (/ws/api/v2).")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0: any free port).") var port = 9101
    @Option(name: .customLong("step-ms"), help: "Market step in milliseconds.") var stepMilliseconds = 100
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(name: .customLong("min-heartbeat"), help: "Smallest accepted heartbeat interval (s).") var minHeartbeat = 10

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard (10...60_000).contains(stepMilliseconds) else { throw ValidationError("--step-ms must be between 10 and 60000") }
        guard minHeartbeat >= 1 else { throw ValidationError("--min-heartbeat must be at least 1") }
    }

    func run() throws {
        var c = DeribitSimulatorConfig()
        c.host = host
        c.port = port
        c.stepMilliseconds = stepMilliseconds
        c.seed = seed
        c.minHeartbeatSeconds = minHeartbeat
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let sim = try DeribitSimulator(config: c)
        sim.start()
        print("deribit simulator on \(sim.url) (instruments: \(sim.instrumentNames.joined(separator: ", ")))")
        var sig: Int32 = 0
        sigwait(&set, &sig)
        sim.stop()
        while !sim.isStopped { usleep(1000) }
    }
}
