import HubCore

/// How the Deribit simulator listens and behaves.
public struct DeribitSimulatorConfig: Sendable, Equatable {
    public var host = "127.0.0.1"
    /// 0 lets the OS choose a free port (`DeribitSimulator.port`).
    public var port = 0
    /// Deribit's WebSocket path.
    public var path = "/ws/api/v2"
    /// Market step: every step moves prices and sends ticker, book and (sometimes) trades.
    public var stepMilliseconds = 100
    public var seed: UInt64 = 42
    /// Smallest accepted `public/set_heartbeat` interval (Deribit: 10; tests use less).
    public var minHeartbeatSeconds = 10
    /// Credentials accepted by `public/auth`; `raw` channels need an authenticated connection.
    public var clientID = "sim-client"
    public var clientSecret = "sim-secret"
    /// Frames queued for a client that does not read before the simulator drops it.
    public var maxQueuedFrames = 50_000

    public init() {}
}
