import HubCore
import Venues

/// The `GET /healthz` body: overall status, uptime, connections and each source's state.
struct HealthReport: Encodable {
    /// `ok` when every source is live and the history store is up; `degraded` otherwise.
    let status: String
    let uptimeSeconds: Double
    let connections: Int
    let channels: Int
    let sources: [SourceMonitor.Report]
    let pipeline: [String: Stage]
    /// The state/history store: `memory`, or `redis` with its writer's counters.
    let history: HistoryStoreHealth
    let serve: Serve

    struct Stage: Encodable {
        let count: UInt64
        let p50Ns: UInt64
        let p99Ns: UInt64
        let maxNs: UInt64
    }

    struct Serve: Encodable {
        let publications: UInt64
        let messagesOut: UInt64
        let framesOut: UInt64
        let bytesOut: UInt64
        let requests: UInt64
        let protocolErrors: UInt64
        let slowConsumers: UInt64
        let conflations: UInt64
        let quarantined: UInt64
        /// Tokens refused on WebSockets (handshake, `auth`, `refresh`).
        let authFailures: UInt64
    }
}
