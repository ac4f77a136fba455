import HubCore

/// What every venue simulator offers its runners (`venue-sim`, the demo, tests).
///
/// Threading: `start`, `stop` and `inject` are thread-safe; the simulator runs on its own loop.
public protocol VenueSimulator: AnyObject, Sendable {
    /// The WebSocket URL clients connect to.
    var url: String { get }
    /// Starts its event loop thread.
    func start()
    /// Stops it (thread-safe).
    func stop()
    /// Injects a fault; it takes effect on the simulator's loop.
    func inject(_ fault: SimulatorFault)
}
