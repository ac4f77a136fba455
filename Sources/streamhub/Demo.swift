import HubCore
import HubServer
import Logging
import Venues

/// The hub with the simulators its configuration asks for (`feeds.<venue>.simulate: true`):
/// they start on loopback beside it, simulated prediction markets of one mapping alike, and the
/// hub connects its real adapters to them. The hub itself never knows they are simulators.
struct Demo {
    let server: HubServer
    let simulation: Simulation

    /// Builds the hub, then starts the simulators (they need the hub's mappings).
    static func make(_ config: HubConfig, logger: Logger) throws -> Demo {
        let server = try HubServer(config: config, venues: VenueRegistry.all, logger: logger)
        let simulation = try Simulation(config.feeds.venues, context: SimulationContext(mappings: server.mappings))
        for (venue, sim) in simulation.simulators.sorted(by: { $0.key < $1.key }) {
            logger.info("simulator listening", metadata: ["venue": "\(venue)", "url": "\(sim.url)"])
        }
        return Demo(server: server, simulation: simulation)
    }

    /// Serves on the calling thread until shut down, then stops the simulators.
    func run() throws(ConfigError) {
        defer { simulation.stop() }
        try server.run(sections: simulation.sections)
    }
}
