import HubCache
import HubCore

/// What a rule observes now: whether its condition holds, the value it compared, and a message
/// naming what is concerned.
struct AlertObservation {
    let holds: Bool
    let value: Double
    let message: String
}

/// The readings alert rules are evaluated against (the hub's monitors, read on the loop).
struct AlertInputs {
    let pipeline: Pipeline
    let performance: PerformanceMonitor
    let monitor: SourceMonitor
    let history: HistoryStore

    func observe(_ rule: AlertRule) -> AlertObservation {
        switch rule.kind {
        case .stageLatency:
            let stage = StageLatency.Stage(rawValue: rule.stage ?? "") ?? .serve
            let h = pipeline.latency.sliding(stage).histogram(.oneMinute)
            let p99 = Double(h.percentile(99)) / 1e9
            return AlertObservation(
                holds: h.count > 0 && p99 > rule.threshold, value: p99, message: "\(stage.rawValue) p99 over the last minute: \(Self.seconds(p99))")
        case .routeLatency:
            var worst: (route: String, p99: Double)?
            for (route, series) in performance.routes where rule.route == nil || rule.route == route {
                let h = series.histogram(.oneMinute)
                guard h.count > 0 else { continue }
                let p99 = Double(h.percentile(99)) / 1e9
                if worst == nil || p99 > worst!.p99 { worst = (route, p99) }
            }
            guard let worst else { return AlertObservation(holds: false, value: 0, message: "no calls of \(rule.route ?? "any route") in the last minute") }
            return AlertObservation(
                holds: worst.p99 > rule.threshold, value: worst.p99, message: "\(worst.route) p99 over the last minute: \(Self.seconds(worst.p99))")
        case .errorRate:
            let t = performance.throughput(.oneMinute)
            let rate = t?.errorRate ?? 0
            return AlertObservation(
                holds: rate > rule.threshold, value: rate, message: "REST calls answered 5xx over the last minute: \(Int((rate * 100).rounded())) %")
        case .rssGrowth:
            // A rate needs a span: less than a minute of samples tells nothing.
            guard let growth = performance.throughput(.fiveMinutes)?.residentGrowthBytesPerHour, let t = performance.throughput(.fiveMinutes) else {
                return AlertObservation(holds: false, value: 0, message: "less than a minute measured")
            }
            return AlertObservation(
                holds: growth > rule.threshold, value: growth,
                message: "resident memory grows \(Int(growth / 1_048_576)) MiB per hour (over \(Int(t.seconds)) s)")
        case .sourceNotLive:
            let down = monitor.reports(hub: pipeline.hub).filter {
                (rule.source == nil || $0.name == rule.source) && $0.state != FeedStatus.State.live.rawValue
            }
            let message = down.isEmpty ? "every source is live" : down.map { "\($0.name) \($0.state)" }.joined(separator: ", ")
            return AlertObservation(holds: !down.isEmpty, value: Double(down.count), message: message)
        case .redisDown:
            let h = history.health
            let down = h.backend == "redis" && h.state == .down
            return AlertObservation(holds: down, value: down ? 1 : 0, message: down ? "Redis is down: \(h.lastError ?? "unreachable")" : "Redis is up")
        case .slowConsumers:
            let closes = Double(performance.throughput(.oneMinute)?.slowConsumerCloses ?? 0)
            return AlertObservation(holds: closes > rule.threshold, value: closes, message: "\(Int(closes)) slow-consumer closes in the last minute")
        }
    }

    static func seconds(_ s: Double) -> String {
        s >= 1 ? "\((s * 100).rounded() / 100) s" : s >= 0.001 ? "\((s * 1e5).rounded() / 100) ms" : "\((s * 1e8).rounded() / 100) µs"
    }
}
