import DequeModule
import HubCache
import HubCore
import HubStore

/// The hub's performance over sliding windows (1 m, 5 m, 1 h): latency percentiles per
/// pipeline stage, REST route and store call; throughput; the loop thread's busy ratio;
/// memory. What `GET /api/monitoring/performance`, `/metrics` and the alert rules read.
///
/// Windows advance with the hub's clock (tests move a manual clock); the busy ratio is the
/// loop thread's CPU time over real time.
///
/// Threading: loop-confined (store timings are thread-safe themselves).
final class PerformanceMonitor {
    /// Counters read at each ten-second slot, to turn totals into rates over a window.
    struct Sample {
        let at: UInt64
        let publications: UInt64
        let messages: UInt64
        let bytes: UInt64
        let requests: UInt64
        let errors: UInt64
        let slowConsumers: UInt64
        /// CPU time of the loop thread (nil for the sample taken at construction, off the loop).
        let loopCPU: UInt64?
        let realNanoseconds: UInt64
        let residentBytes: UInt64
    }

    private let pipeline: Pipeline
    private let clock: HubClock
    /// SQLite (store queue) and Redis (writer thread) call timings.
    let callTimings: [CallTimings]
    private(set) var routes: [String: SlidingLatency] = [:]
    /// REST calls answered, and those answered 5xx.
    private(set) var requests: UInt64 = 0
    private(set) var serverErrors: UInt64 = 0
    private var slots: SlotClock
    private var samples: Deque<Sample> = []
    /// Loop CPU and real time at the last second's reading, and the busy ratio over it.
    private var lastCPU: (cpu: UInt64, real: UInt64)
    private(set) var busyRatio = 0.0
    /// Resident memory, read from /proc once a second (not at every report or alert evaluation).
    private(set) var residentBytes = ProcessStats.residentBytes()

    init(pipeline: Pipeline, clock: HubClock, callTimings: [CallTimings]) {
        self.pipeline = pipeline
        self.clock = clock
        self.callTimings = callTimings
        slots = SlotClock(nowNanoseconds: clock.monotonicNanoseconds())
        lastCPU = (0, MonotonicClock.nanoseconds())
        samples.append(sample(onLoop: false))
    }

    /// REST route patterns are bounded (the route table); unmatched paths count as `other`.
    func recordRoute(_ route: String, status: Int, nanoseconds: UInt64) {
        routes[route, default: SlidingLatency()].record(max(1, nanoseconds))
        requests &+= 1
        if status >= 500 { serverErrors &+= 1 }
    }

    /// Once a second on the loop: the busy ratio of the last second, and the windows moved on by
    /// the slots that passed.
    func tick() {
        let cpu = ProcessStats.threadCPUNanoseconds(), real = MonotonicClock.nanoseconds()
        if lastCPU.cpu > 0, real > lastCPU.real {
            busyRatio = min(1, Double(cpu &- lastCPU.cpu) / Double(real - lastCPU.real))
        }
        lastCPU = (cpu, real)
        residentBytes = ProcessStats.residentBytes()
        let passed = slots.advance(nowNanoseconds: clock.monotonicNanoseconds())
        guard passed > 0 else { return }
        pipeline.rotateLatency(passed)
        for key in routes.keys { for _ in 0..<passed { routes[key]!.rotate() } }
        for t in callTimings { t.rotate(passed) }
        samples.append(sample())
        // An hour of ten-second samples, and one more to measure the whole hour from.
        while samples.count > 362 { samples.removeFirst() }
    }

    private func sample(onLoop: Bool = true) -> Sample {
        let c = pipeline.hub.counters
        return Sample(
            at: clock.monotonicNanoseconds(), publications: c.publications, messages: c.messagesOut, bytes: c.bytesOut, requests: requests,
            errors: serverErrors, slowConsumers: c.slowConsumers, loopCPU: onLoop ? ProcessStats.threadCPUNanoseconds() : nil,
            realNanoseconds: MonotonicClock.nanoseconds(),
            residentBytes: residentBytes)
    }

    /// The oldest sample no older than `window` seconds, and now (nil before any sample).
    func span(_ window: SlidingLatency.Window) -> (from: Sample, to: Sample)? {
        let now = sample()
        let length = UInt64(Self.seconds(window) * 1e9)
        let limit = now.at > length ? now.at - length : 0
        guard let from = samples.first(where: { $0.at >= limit }) ?? samples.last else { return nil }
        return (from, now)
    }

    static func seconds(_ w: SlidingLatency.Window) -> Double {
        switch w {
        case .oneMinute: return 60
        case .fiveMinutes: return 300
        case .oneHour: return 3600
        }
    }

    // MARK: Report

    struct Latency: Encodable {
        let count: UInt64
        let p50Ms: Double
        let p90Ms: Double
        let p99Ms: Double
        let maxMs: Double
        let meanMs: Double

        init(_ h: LatencyHistogram) {
            count = h.count
            p50Ms = Double(h.percentile(50)) / 1e6
            p90Ms = Double(h.percentile(90)) / 1e6
            p99Ms = Double(h.percentile(99)) / 1e6
            maxMs = Double(h.maxNanoseconds) / 1e6
            meanMs = h.meanNanoseconds / 1e6
        }
    }

    struct Throughput: Encodable {
        /// The span the rates were measured over (shorter than the window just after start).
        let seconds: Double
        let publicationsPerSecond: Double
        let messagesPerSecond: Double
        let bytesPerSecond: Double
        let requestsPerSecond: Double
        /// Share of REST calls answered 5xx.
        let errorRate: Double
        let slowConsumerCloses: UInt64
        let loopBusyRatio: Double
        /// Resident memory change per hour over the span (nil under a minute: start-up growth
        /// extrapolated to an hour says nothing).
        let residentGrowthBytesPerHour: Double?
    }

    struct Window: Encodable {
        let stages: [String: Latency]
        let routes: [String: Latency]
        let stores: [String: Latency]
        let throughput: Throughput?
    }

    struct Report: Encodable {
        let windows: [String: Window]
        let memory: Memory
        let openDescriptors: Int
        let maxDescriptors: UInt64
        /// Over the last second.
        let loopBusyRatio: Double
        let connections: Int
        let subscriptions: Int
        let channels: Int
        /// Distinct projections in use (each publication is serialised once per view).
        let views: Int
        /// Distinct subscription filters in use (each compiled once).
        let filters: Int
    }

    struct Memory: Encodable {
        let residentBytes: UInt64
        let virtualBytes: UInt64
    }

    func throughput(_ w: SlidingLatency.Window) -> Throughput? {
        guard let (a, b) = span(w) else { return nil }
        let seconds = Double(b.at &- a.at) / 1e9
        // The loop's CPU time from the first sample taken on the loop within the span.
        let cpuFrom = a.loopCPU != nil ? a : samples.first { $0.at >= a.at && $0.loopCPU != nil }
        var busy = busyRatio
        if let f = cpuFrom, let fromCPU = f.loopCPU, let toCPU = b.loopCPU, b.realNanoseconds > f.realNanoseconds, toCPU >= fromCPU {
            busy = min(1, Double(toCPU - fromCPU) / Double(b.realNanoseconds - f.realNanoseconds))
        }
        func rate(_ x: UInt64, _ y: UInt64) -> Double { seconds > 0 ? Double(y &- x) / seconds : 0 }
        let calls = b.requests &- a.requests
        return Throughput(
            seconds: seconds, publicationsPerSecond: rate(a.publications, b.publications), messagesPerSecond: rate(a.messages, b.messages),
            bytesPerSecond: rate(a.bytes, b.bytes), requestsPerSecond: rate(a.requests, b.requests),
            errorRate: calls == 0 ? 0 : Double(b.errors &- a.errors) / Double(calls), slowConsumerCloses: b.slowConsumers &- a.slowConsumers,
            loopBusyRatio: busy,
            residentGrowthBytesPerHour: seconds >= 60 ? (Double(b.residentBytes) - Double(a.residentBytes)) / seconds * 3600 : nil)
    }

    func window(_ w: SlidingLatency.Window) -> Window {
        var stages: [String: Latency] = [:]
        for s in StageLatency.Stage.allCases { stages[s.rawValue] = Latency(pipeline.latency.sliding(s).histogram(w)) }
        var stores: [String: Latency] = [:]
        for t in callTimings {
            for (key, series) in t.snapshot() { stores["\(key.store).\(key.operation)"] = Latency(series.histogram(w)) }
        }
        return Window(stages: stages, routes: routes.mapValues { Latency($0.histogram(w)) }, stores: stores, throughput: throughput(w))
    }

    func report() -> Report {
        let hub = pipeline.hub
        var windows: [String: Window] = [:]
        for w in SlidingLatency.Window.allCases { windows[w.rawValue] = window(w) }
        return Report(
            windows: windows, memory: Memory(residentBytes: residentBytes, virtualBytes: ProcessStats.virtualBytes()),
            openDescriptors: ProcessStats.openDescriptors(), maxDescriptors: ProcessStats.maxDescriptors(), loopBusyRatio: busyRatio,
            connections: hub.sessionCount, subscriptions: hub.subscriptionCount, channels: hub.channelCount,
            views: hub.views.count, filters: hub.filters.count)
    }
}
