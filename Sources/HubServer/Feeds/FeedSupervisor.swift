import HubCore
import Logging
import WebSocketLoop

/// Every upstream source of one hub: a connection per enabled venue section, the synthetic
/// load source, the source monitor that reports on them, and the recorder they write to.
///
/// Threading: `plan` anywhere before the loop runs; everything else on the loop thread.
final class FeedSupervisor {
    /// The hub's own publications (source monitor) and the synthetic source have schemas too.
    static let schemas = [SyntheticFeed.schema, SourceMonitor.schema]

    /// One venue feed, ready to connect. Made before the loop runs and handed to it whole, so
    /// the adapter is only ever used on the loop thread.
    struct Planned: @unchecked Sendable {
        let adapter: FeedAdapter
        let url: String
        let secretFields: [String]
    }

    let monitor: SourceMonitor
    private(set) var connections: [FeedConnection] = []
    private var synthetic: SyntheticFeed?
    private let pipeline: Pipeline
    private unowned let loop: EventLoop
    private let clock: HubClock
    private let logger: Logger
    /// Set before `start`: every connection records to it.
    var recorder: FeedRecorder?
    private var recordingFailureLogged = false
    /// Conditions re-checked after every feed event; each is dropped once it returns true.
    private var waiters: [() -> Bool] = []

    init(pipeline: Pipeline, loop: EventLoop, clock: HubClock, logger: Logger) {
        self.pipeline = pipeline
        self.loop = loop
        self.clock = clock
        self.logger = logger
        monitor = SourceMonitor(pipeline: pipeline, clock: clock)
    }

    /// The feeds of every enabled venue section, settings prepared (key files read): a bad
    /// setting fails here, before the hub serves. Sections still asking to be simulated connect
    /// to `url` all the same — simulators are started by the executable, never the hub.
    static func plan(venues: [any Venue], sections: VenueSections, logger: Logger) throws(ConfigError) -> [Planned] {
        var planned: [Planned] = []
        for v in venues {
            guard let feed = try v.feed(in: sections) else { continue }
            if sections.simulates(v) {
                logger.warning("simulate is set but no simulator was started; connecting to url", metadata: ["source": "\(v.id)", "url": "\(feed.url)"])
            }
            planned.append(Planned(adapter: feed.adapter, url: feed.url, secretFields: v.secretFields))
        }
        return planned
    }

    /// Connects every planned feed and starts the synthetic source when configured. A cluster
    /// node (`waitForLeases`) connects a feed only while it holds its lease (`setRunning`); the
    /// synthetic source runs on every node, publishing only on the one holding its lease.
    func start(_ planned: [Planned], synthetic s: HubConfig.Synthetic, waitForLeases: Bool = false) {
        for p in planned {
            do {
                let feed = FeedConnection(
                    adapter: p.adapter, url: try WebSocketURL(parsing: p.url), secretFields: p.secretFields, pipeline: pipeline, loop: loop, clock: clock,
                    logger: logger)
                feed.recorder = recorder
                feed.onEvent = { [unowned self] in feedEvent() }
                connections.append(feed)
                monitor.add(feed.monitored)
                if !waitForLeases { feed.start() }
            } catch {
                logger.error("feed not started", metadata: ["source": "\(p.adapter.source)", "error": "\(error)"])
            }
        }
        if s.enabled {
            let feed = SyntheticFeed(rate: s.rate, channels: s.channels, wide: s.wide, pipeline: pipeline, loop: loop, clock: clock)
            synthetic = feed
            feed.start()
        }
    }

    /// Connects (`running`) or disconnects the feed of `source`: this cluster node gained or
    /// lost its lease.
    func setRunning(_ source: String, _ running: Bool) {
        guard let feed = connections.first(where: { $0.adapter.source == source }) else { return }
        if running { feed.start() } else { feed.stop(reason: "lease moved to another node") }
    }

    /// Once a second: every source's status is published.
    func tick() {
        monitor.tick()
        flushRecording()
        feedEvent()
    }

    /// The recording is written at least once a second (a crash loses at most a second of it);
    /// a failed write — a full disk — is logged once, and the hub serves on without recording.
    private func flushRecording() {
        guard let r = recorder, !recordingFailureLogged else { return }
        r.flush()
        if let failure = r.failure {
            recordingFailureLogged = true
            logger.error("recording stopped", metadata: ["path": "\(r.path)", "error": "\(failure)", "lines": "\(r.lines)"])
        }
    }

    /// Runs `condition` now and after every feed event until it returns true.
    func whenever(_ condition: @escaping () -> Bool) {
        if !condition() { waiters.append(condition) }
    }

    private func feedEvent() {
        guard !waiters.isEmpty else { return }
        waiters.removeAll { $0() }
    }

    func stop() {
        for f in connections { f.stop() }
        synthetic?.stop()
    }
}
