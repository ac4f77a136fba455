/// What every venue simulator offers its runners (`venue-sim`, the hub's in-process mode).
public protocol VenueSimulator: AnyObject {
    /// The WebSocket URL clients connect to.
    var url: String { get }
    /// Starts its event loop thread.
    func start()
    /// Stops it (thread-safe).
    func stop()
}

extension BinanceSimulator: VenueSimulator {}
extension CoinbaseSimulator: VenueSimulator {}
extension DeribitSimulator: VenueSimulator {}
extension KalshiSimulator: VenueSimulator {}
extension OrcaSimulator: VenueSimulator {}
extension PolymarketSimulator: VenueSimulator {}
