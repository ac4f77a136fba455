import Foundation
import HubCache
import HubCore
import HubStore
import Logging
import WebSocketLoop

/// Everything the hub tells about itself beyond `/healthz`: performance windows, the Prometheus
/// exposition, usage analytics, and the REST routes that serve them. Built by the hub, driven by
/// its once-a-second timer and by every answered request.
///
/// Threading: loop-confined.
final class Observability {
    let performance: PerformanceMonitor
    let exporter: MetricsExporter
    let usage: UsageRecorder
    let metricsConfig: HubConfig.Metrics
    let alerts: AlertEngine
    let webhooks: WebhookSender
    let evaluateSeconds: Double
    private let hub: Hub
    private var sinceFlush = 0.0
    private let flushSeconds: Double

    init(
        config: HubConfig, plane: DataPlane, monitor: SourceMonitor, store: HubStore, storeQueue: DispatchQueue, loop: EventLoop, clock: HubClock,
        logger: Logger
    ) {
        hub = plane.hub
        var timings = [store.timings]
        if let redis = plane.history as? RedisHistoryStore { timings.append(redis.timings) }
        performance = PerformanceMonitor(pipeline: plane.pipeline, clock: clock, callTimings: timings)
        exporter = MetricsExporter(pipeline: plane.pipeline, performance: performance, monitor: monitor, history: plane.history, config: config.metrics)
        usage = UsageRecorder(hub: plane.hub, store: store, storeQueue: storeQueue, loop: loop, clock: clock, config: config.usage, logger: logger)
        flushSeconds = config.usage.flushSeconds
        metricsConfig = config.metrics
        evaluateSeconds = config.alerts.evaluateSeconds
        alerts = AlertEngine(
            rules: Self.alertRules(store: store, seed: config.alerts.rules, logger: logger),
            inputs: AlertInputs(pipeline: plane.pipeline, performance: performance, monitor: monitor, history: plane.history), clock: clock, logger: logger)
        webhooks = WebhookSender(webhooks: config.alerts.webhooks, loop: loop, logger: logger)
        alerts.onTransition = { [webhooks] in webhooks.send($0) }
        exporter.alertStates = { [alerts] in alerts.levels() }
    }

    /// The stored rule set; on first start the configuration's rules, stored as the seed.
    static func alertRules(store: HubStore, seed: [AlertRule], logger: Logger) -> [AlertRule] {
        do {
            return try store.seedAlertRules(seed)
        } catch {
            logger.error("alert rules: the stored set is unusable; using the configuration's", metadata: ["error": "\(error)"])
        }
        return seed
    }

    /// Once a second: windows move on, usage rolls up every `usage.flushSeconds`.
    func tick() {
        performance.tick()
        sinceFlush += 1
        if sinceFlush >= flushSeconds {
            sinceFlush = 0
            usage.flush()
        }
    }

    /// Counts an answered REST request everywhere it counts.
    func answered(_ a: HTTPRouter.Answered) {
        let route = "\(a.method) \(a.route)"
        performance.recordRoute(route, status: a.status, nanoseconds: a.nanoseconds)
        exporter.observeRequest(method: a.method, route: a.route, status: a.status, nanoseconds: a.nanoseconds)
        let user = a.caller?.actor ?? "unauthenticated"
        hub.countCall(
            route: route, user: user, roles: UsageKey.roles(a.caller?.policy.roles ?? []), status: a.status, nanoseconds: a.nanoseconds)
    }
}
