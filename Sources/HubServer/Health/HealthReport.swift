import HubCore

/// The `GET /healthz` body: overall status, uptime, connections and each source's state.
struct HealthReport: Encodable {
    /// What `/healthz` tells a caller without `monitoring:read`: the status alone.
    struct Summary: Encodable {
        let status: String
    }

    /// `ok` when every source is live (or, on a cluster node, runs on another node: `standby`)
    /// and the history store is up; `degraded` otherwise.
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
        /// History values read back from the store that failed the checks (skipped).
        let rejectedStoredValues: UInt64
        /// `since` requests answered `recovered: false` because too many recoveries were in flight.
        let recoveriesRefused: UInt64
        /// Messages published through the API, and attempts refused (grants, validation, rate).
        let published: UInt64
        let publishRefused: UInt64
        /// A phased rollout's audit-only counts: values that would have been quarantined, and
        /// RBAC denials that were not enforced.
        let validationAudited: UInt64
        let rbacWouldDeny: UInt64
    }
}

extension HealthReport {
    /// The report now: sources from `monitor`, latency and counters from `pipeline`. Loop thread.
    init(pipeline: Pipeline, history: HistoryStore, monitor: SourceMonitor, publisher: Publisher, rbacAudit: AccessAudit?, uptimeSeconds: Double) {
        let hub = pipeline.hub
        let sources = monitor.reports(hub: hub)
        var stages: [String: Stage] = [:]
        for stage in StageLatency.Stage.allCases {
            let x = pipeline.latency.summary(stage)
            stages[stage.rawValue] = .init(count: x.count, p50Ns: x.p50, p99Ns: x.p99, maxNs: x.max)
        }
        let c = hub.counters
        let store = history.health
        self.init(
            status: sources.allSatisfy { $0.state == FeedStatus.State.live.rawValue || $0.state == SourceMonitor.standby } && store.state == .ok
                ? "ok" : "degraded",
            uptimeSeconds: uptimeSeconds, connections: hub.sessionCount, channels: hub.channelCount,
            sources: sources, pipeline: stages, history: store,
            serve: .init(
                publications: c.publications, messagesOut: c.messagesOut, framesOut: c.framesOut, bytesOut: c.bytesOut,
                requests: c.requests, protocolErrors: c.protocolErrors, slowConsumers: c.slowConsumers,
                conflations: c.conflations, quarantined: pipeline.transform.quarantinedCount, authFailures: c.authFailures,
                rejectedStoredValues: c.rejectedStoredValues, recoveriesRefused: c.recoveriesRefused, published: publisher.published,
                publishRefused: publisher.refused, validationAudited: pipeline.transform.auditedCount, rbacWouldDeny: rbacAudit?.total ?? 0))
    }
}
