import CoreMetrics
import Foundation
import HubCache
import HubCore
import Prometheus
import Synchronization

/// `GET /metrics`: the hub's state in the Prometheus text format, through a
/// `PrometheusCollectorRegistry` of its own (a hub per process in production, several in tests).
///
/// Counters and gauges mirror the loop's plain counters at each scrape (the hot path never
/// touches an atomic); REST and store calls are observed as they happen through swift-metrics
/// `Timer`s backed by the registry's histograms. The per-stage histograms come from the
/// pipeline's own buckets (a tick costs a few additions; swift-prometheus's histogram takes a
/// lock per value, about 5 % of a 500k ticks/s loop) and are written in the same exposition.
///
/// Threading: loop-confined, except `observeCall` (any thread).
final class MetricsExporter {
    let registry = PrometheusCollectorRegistry()
    private let pipeline: Pipeline
    private let performance: PerformanceMonitor
    private let monitor: SourceMonitor
    private let history: HistoryStore
    private let config: HubConfig.Metrics
    /// The alert rules and their states (0 inactive, 1 pending, 2 firing).
    var alertStates: () -> [(rule: String, state: Int)] = { [] }
    private let startedAt = Date().timeIntervalSince1970

    /// Seconds: 100 µs … 10 s, for REST and store calls.
    static let callBuckets: [Duration] = [
        .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
        .seconds(5), .seconds(10),
    ]
    /// Stage histogram bounds in nanoseconds: 1, 2.5, 5 per decade from 1 µs to 10 s (each an
    /// exact bound of `LatencyHistogram`).
    static let stageBounds: [UInt64] = {
        var out: [UInt64] = []
        var scale: UInt64 = 1_000
        for _ in 0..<7 {
            out += [scale, scale * 5 / 2, scale * 5]
            scale *= 10
        }
        return out + [scale]
    }()

    private var routeTimers: [String: CoreMetrics.Timer] = [:]
    private var alertGauges: [String: Prometheus.Gauge] = [:]
    private lazy var cpuSeconds: (counter: Prometheus.Counter, last: Double) = (
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "process", metricName: "cpu", unitName: "seconds_total", helpText: "CPU time of the process (user and system)")), 0
    )
    private var mirrored: [String: (counter: Prometheus.Counter, last: UInt64)] = [:]

    init(pipeline: Pipeline, performance: PerformanceMonitor, monitor: SourceMonitor, history: HistoryStore, config: HubConfig.Metrics) {
        self.pipeline = pipeline
        self.performance = performance
        self.monitor = monitor
        self.history = history
        self.config = config
        let registry = self.registry
        let storeHistograms = Mutex<[CallTimings.CallKey: CoreMetrics.Timer]>([:])
        for timings in performance.callTimings {
            timings.observe { key, ns in
                let timer = storeHistograms.withLock { timers in
                    if let t = timers[key] { return t }
                    let t = CoreMetrics.Timer(
                        label: "streamhub_store_call_duration_seconds", dimensions: [("store", key.store), ("operation", key.operation)],
                        handler: registry.makeDurationHistogram(
                            descriptor: Self.name("store_call_duration", "seconds", "Control-plane (SQLite) and history (Redis) calls, by store and operation"),
                            labels: [("store", key.store), ("operation", key.operation)], buckets: Self.callBuckets))
                    timers[key] = t
                    return t
                }
                timer.recordNanoseconds(Int64(clamping: ns))
            }
        }
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "streamhub", metricName: metric, unitName: unit, helpText: help)
    }

    /// One REST call answered (`route` is the pattern, `METHOD /api/users/:id`; loop thread).
    func observeRequest(method: String, route: String, status: Int, nanoseconds: UInt64) {
        let key = "\(method) \(route) \(status)"
        let timer =
            routeTimers[key]
            ?? {
                let labels = [("method", method), ("route", route), ("status", String(status))]
                let t = CoreMetrics.Timer(
                    label: "streamhub_http_request_duration_seconds", dimensions: labels,
                    handler: registry.makeDurationHistogram(
                        descriptor: Self.name("http_request_duration", "seconds", "REST requests, by method, route pattern and status"), labels: labels,
                        buckets: Self.callBuckets))
                routeTimers[key] = t
                return t
            }()
        timer.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    // MARK: Scrape

    /// The exposition now (loop thread).
    func render() -> [UInt8] {
        sync()
        var out: [UInt8] = []
        out.reserveCapacity(32 << 10)
        registry.emit(into: &out)
        appendStageHistograms(to: &out)
        return out
    }

    private func counter(_ metric: String, _ help: String, _ value: UInt64, _ labels: [(String, String)] = []) {
        let key = metric + labels.map { "\u{1}\($0.0)=\($0.1)" }.joined()
        var entry =
            mirrored[key]
            ?? (registry.makeCounter(descriptor: Self.name(metric, "total", help), labels: labels), 0)
        // A value below the last one is a source that started again from 0 (a new adapter, a
        // channel gone from a sum): everything it counted since is new.
        let increase = value >= entry.last ? value - entry.last : value
        if increase > 0 { entry.counter.increment(by: Int64(clamping: increase)) }
        entry.last = value
        mirrored[key] = entry
    }

    private func gauge(_ metric: String, _ unit: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double, namespace: String? = "streamhub") {
        let descriptor = MetricNameDescriptor(namespace: namespace, metricName: metric, unitName: unit, helpText: help)
        registry.makeGauge(descriptor: descriptor, labels: labels).set(value)
    }

    private func sync() {
        let hub = pipeline.hub, c = hub.counters
        counter("publications", "Publications made by the serve stage", c.publications)
        counter("deliveries", "Publications delivered to sessions (messages)", c.messagesOut)
        counter("frames_sent", "WebSocket frames written to sessions", c.framesOut)
        counter("sent_bytes", "Bytes of publications and replies written to sessions", c.bytesOut)
        counter("conflations", "State cursors that skipped to the newest publication", c.conflations)
        counter("slow_consumer_closes", "Sessions closed as slow consumers", c.slowConsumers)
        counter("client_requests", "Protocol requests received from sessions", c.requests)
        counter("protocol_errors", "Protocol requests answered with an error", c.protocolErrors)
        counter("auth_failures", "Tokens refused on WebSockets", c.authFailures)
        counter("rejected_stored_values", "History values read back from the store that failed validation (skipped)", c.rejectedStoredValues)
        counter("recoveries_refused", "Recoveries answered recovered:false because too many were in flight", c.recoveriesRefused)
        counter("quarantined_values", "Venue values refused by validation", pipeline.transform.quarantinedCount)
        gauge("connections", "", "Open WebSocket sessions", [], Double(hub.sessionCount))
        gauge("subscriptions", "", "Subscriptions across sessions", [], Double(hub.subscriptionCount))
        gauge("views", "", "Distinct projections in use (a publication is serialised once per view)", [], Double(hub.views.count))
        gauge("filters", "", "Distinct subscription filters in use (each compiled once)", [], Double(hub.filters.count))
        gauge("channels", "", "Channels known to the hub", [], Double(hub.channelCount))

        for r in monitor.reports(hub: hub) {
            let l = [("source", r.name)]
            for state in FeedStatus.State.allCases {
                gauge(
                    "source_state", "", "1 for the source's current state (connecting, live, degraded, down)", l + [("state", state.rawValue)],
                    r.state == state.rawValue ? 1 : 0)
            }
            gauge("source_messages_rate", "per_second", "Frames per second from the source over the last second", l, r.msgsPerSecond)
            counter("source_messages", "Frames received from the source", r.messages, l)
            counter("source_gaps", "Sequence gaps detected on the source", r.gaps, l)
            counter("source_resyncs", "Resynchronisations (snapshots) of the source", r.resyncs, l)
            counter("source_reconnects", "Reconnections to the source", r.reconnects, l)
            counter("source_decode_errors", "Frames from the source that did not decode", r.decodeErrors, l)
            if let age = r.lastMessageAgeMs { gauge("source_last_message_age", "seconds", "Seconds since the source's last frame", l, age / 1000) }
        }

        let h = history.health
        gauge("history_up", "", "1 when the history store (memory or Redis) is reachable", [("backend", h.backend)], h.state == .ok ? 1 : 0)
        gauge("history_queue_depth", "", "Publications waiting for the history writer", [], Double(h.pending))
        counter("history_writes", "Commands written to the history store", h.writes)
        counter("history_failed_writes", "History store writes that failed", h.failedWrites)
        counter("history_dropped", "History entries dropped before reaching the store", h.droppedHistory)

        gauge("loop_busy_ratio", "", "Share of the last second the loop thread spent on the CPU", [], performance.busyRatio)
        gauge("resident_memory", "bytes", "Resident memory size", [], Double(ProcessStats.residentBytes()), namespace: "process")
        gauge("virtual_memory", "bytes", "Virtual memory size", [], Double(ProcessStats.virtualBytes()), namespace: "process")
        gauge("open_fds", "", "Open file descriptors", [], Double(ProcessStats.openDescriptors()), namespace: "process")
        gauge("max_fds", "", "Limit of open file descriptors", [], Double(ProcessStats.maxDescriptors()), namespace: "process")
        gauge("start_time", "seconds", "Start time of the process since the epoch", [], startedAt, namespace: "process")
        let cpu = ProcessStats.processCPUSeconds()
        if cpu > cpuSeconds.last {
            cpuSeconds.counter.increment(by: cpu - cpuSeconds.last)
            cpuSeconds.last = cpu
        }

        let levels = alertStates()
        let current = Set(levels.map(\.rule))
        // A rule that is gone leaves the exposition (its last value would stand forever).
        for (rule, g) in alertGauges where !current.contains(rule) {
            registry.unregisterGauge(g)
            alertGauges[rule] = nil
        }
        for (rule, state) in levels {
            let g = registry.makeGauge(
                descriptor: Self.name("alert_state", "", "Alert rules: 0 inactive, 1 pending, 2 firing"), labels: [("rule", rule)])
            g.set(Double(state))
            alertGauges[rule] = g
        }
        if config.channelLabels { syncChannels(hub) }
    }

    /// Per-channel series, the busiest `maxChannelLabels` by name and the rest as `other`.
    private func syncChannels(_ hub: Hub) {
        let channels = hub.allChannels.sorted {
            $0.deliveredMessages > $1.deliveredMessages || ($0.deliveredMessages == $1.deliveredMessages && $0.name < $1.name)
        }
        var other: (published: UInt64, delivered: UInt64, subscribers: Int) = (0, 0, 0)
        // Names once labelled stay labelled (a series must not jump between name and `other`).
        for ch in channels {
            let named = mirrored["channel_deliveries\u{1}channel=\(ch.name)"] != nil
            if named || labelledChannels < config.maxChannelLabels {
                if !named { labelledChannels += 1 }
                let l = [("channel", ch.name)]
                counter("channel_publications", "Publications on the channel", ch.ring.lastOffset, l)
                counter("channel_deliveries", "Messages delivered from the channel", ch.deliveredMessages, l)
                gauge("channel_subscribers", "", "Sessions receiving the channel", l, Double(ch.subscriberCount))
            } else {
                other.published &+= ch.ring.lastOffset
                other.delivered &+= ch.deliveredMessages
                other.subscribers += ch.subscriberCount
            }
        }
        if channels.count > labelledChannels {
            let l = [("channel", "other")]
            counter("channel_publications", "Publications on the channel", other.published, l)
            counter("channel_deliveries", "Messages delivered from the channel", other.delivered, l)
            gauge("channel_subscribers", "", "Sessions receiving the channel", l, Double(other.subscribers))
        }
    }
    private var labelledChannels = 0

    /// `streamhub_stage_latency_seconds{stage}` from the pipeline's buckets.
    private func appendStageHistograms(to out: inout [UInt8]) {
        let name = "streamhub_stage_latency_seconds"
        out.append(contentsOf: "# HELP \(name) Pipeline stage latency per tick (ingest per frame)\n# TYPE \(name) histogram\n".utf8)
        for stage in StageLatency.Stage.allCases {
            let h = pipeline.latency.sliding(stage).lifetime
            let label = "stage=\"\(stage.rawValue)\""
            for bound in Self.stageBounds {
                out.append(contentsOf: "\(name)_bucket{\(label),le=\"\(Double(bound) / 1e9)\"} \(h.cumulativeCount(atMost: bound))\n".utf8)
            }
            out.append(contentsOf: "\(name)_bucket{\(label),le=\"+Inf\"} \(h.count)\n".utf8)
            out.append(contentsOf: "\(name)_sum{\(label)} \(Double(h.sumNanoseconds) / 1e9)\n".utf8)
            out.append(contentsOf: "\(name)_count{\(label)} \(h.count)\n".utf8)
        }
    }
}
