import HubCore

/// The demo's venues: for every enabled section with `simulate: true`, the venue's simulator
/// started on loopback and the section pointed at it. The executable (and tests) start this
/// beside the hub, which only ever connects to the URLs it is given.
///
/// Threading: start and stop from one thread; the simulators run on their own loops.
public final class Simulation: @unchecked Sendable {
    /// The sections to give the hub: simulated venues pointed at their simulators.
    public let sections: VenueSections
    /// The running simulators by venue id.
    public let simulators: [String: any VenueSimulator]

    /// Starts the simulators `sections` asks for (none when no section says `simulate: true`).
    public init(_ sections: VenueSections, venues: [any SimulatedVenue] = VenueRegistry.all, context: SimulationContext = SimulationContext()) throws {
        var pointed = sections
        var running: [String: any VenueSimulator] = [:]
        do {
            for v in venues {
                if let sim = try v.simulate(&pointed, context) { running[v.id] = sim }
            }
        } catch {
            for s in running.values { s.stop() }
            throw error
        }
        self.sections = pointed
        simulators = running
    }

    /// The simulator of one type (tests drive its prices and faults).
    public func simulator<S: VenueSimulator>(_ type: S.Type) -> S? {
        simulators.values.lazy.compactMap { $0 as? S }.first
    }

    /// Stops every simulator.
    public func stop() {
        for s in simulators.values { s.stop() }
    }
}
