import Foundation
import HubAuth
import HubCache
import HubCore
import HubStore
import Logging
import Synchronization
import WebSocketLoop

/// The running hub: one libwebsockets context serving `/ws` (subscribers), `/healthz`, `/api`,
/// static files, and the upstream venue connections, with the pipeline inline on the loop
/// thread. This is the composition root: identity, the data plane, the feeds and the routes
/// are built by their own types; the hub knows no venue by name (the executable passes the
/// registry and starts any simulators).
///
/// Threading: construct anywhere; `start`/`run`, `shutdown`, `onLoop`, `whenever` and `port`
/// are thread-safe. Everything else runs on the loop thread.
public final class HubServer: @unchecked Sendable {
    public let config: HubConfig
    public let store: HubStore
    public let logger: Logger
    public let clock: HubClock
    /// Registry, history and pipeline (shared in shape with `streamhub replay`).
    public let plane: DataPlane
    public var pipeline: Pipeline { plane.pipeline }
    public var hub: Hub { plane.hub }
    public var registry: PropertyRegistry { plane.registry }
    /// Latest state and history beyond the rings (Redis when `redis.url` is set).
    public var history: HistoryStore { plane.history }
    /// Tokens, roles and users, live.
    let identity: IdentityService
    /// Signs and verifies the hub's tokens (`streamhub token` and tests mint with it).
    public var tokens: TokenService { identity.tokens }
    /// The first admin created by this start, with its API key when one was generated (print
    /// it once); nil when the store already had users.
    public let bootstrapAdmin: (username: String, generatedKey: String?)?
    /// Control-plane writes (SQLite) run here, never on the loop thread.
    let storeQueue = DispatchQueue(label: "streamhub.store")
    let feeds: FeedSupervisor
    private let venues: [any Venue]
    private let loop: EventLoop
    /// The event library the loop runs on (`server.eventLoop`, or poll when libuv is unavailable).
    public var eventLibrary: LoopConfiguration.EventLibrary { loop.eventLibrary }
    private let sockets: ClientSockets
    private let router = HTTPRouter()
    private var routes: HubRoutes?
    /// Performance windows, `/metrics`, usage analytics.
    let observability: Observability
    /// The publish API's checks, limits and counters (REST and the `publish` op).
    let publisher: Publisher
    /// This hub as a cluster node (`cluster.enabled`), else nil.
    let cluster: ClusterNode?
    /// External issuers' keys fetched from their JWKS URLs.
    let jwks: JWKSRefresher
    /// Would-be RBAC denials while `rollout.enforceRBAC` is `audit-only` (nil: enforced).
    let rbacAudit: AccessAudit?
    private var timers: [LoopTimer] = []
    private let startedAt: UInt64
    private let stopped = Mutex(false)
    private let stoppedCondition = NSCondition()
    private var shuttingDown = false

    /// - Parameters:
    ///   - venues: the venues whose `feeds.<id>` sections may be enabled (the executable passes
    ///     `VenueRegistry.all`); each enabled section gets a feed connection at start.
    ///   - clock: where session rules and timestamps read time (a manual clock in tests).
    public init(config: HubConfig, venues: [any Venue], clock: HubClock = SystemClock(), logger: Logger = Logger(label: "streamhub")) throws {
        self.config = config
        self.logger = logger
        self.clock = clock
        self.venues = venues
        startedAt = clock.monotonicNanoseconds()
        store = try IdentitySetup.openStore(config, logger: logger)
        let tokens = try IdentitySetup.tokenService(config.auth, clock: clock)
        // Issuers publishing their keys at a URL: fetched now (tokens work from the first
        // request), then kept current.
        jwks = try JWKSRefresher(issuers: config.auth.issuers, tokens: tokens, clock: clock, logger: logger)
        jwks.start()
        bootstrapAdmin = try IdentitySetup.bootstrapAdmin(store, config.auth, logger: logger)
        let registry = try PropertySeedLoader.seeded(store: store, seedDirectory: config.properties.seedDirectory, logger: logger)
        let loopRef = LoopReference()
        let runOnLoop: @Sendable (@escaping @Sendable () -> Void) -> Void = { work in loopRef.loop?.execute(work) }
        // Audit-only RBAC: the first would-be denial of each name is logged (then only counted).
        let auditLogger = logger
        rbacAudit =
            config.rollout.enforceRBAC == .auditOnly
            ? AccessAudit { kind, name, roles in
                auditLogger.warning(
                    "RBAC audit-only: would deny", metadata: ["kind": "\(kind.rawValue)", "name": "\(name)", "roles": "\(roles.joined(separator: ","))"])
            } : nil
        identity = try IdentityService(
            tokens: tokens, config: config.auth, flags: config.flags, registry: registry, store: store, storeQueue: storeQueue, runOnLoop: runOnLoop,
            audit: rbacAudit)
        cluster = config.cluster.enabled ? try ClusterNode(config: config, logger: logger) : nil
        plane = try DataPlane(
            config: config, store: store, registry: registry, schemas: venues.map(\.schema) + FeedSupervisor.schemas, clock: clock, access: identity,
            runOnLoop: runOnLoop, cluster: cluster, logger: logger)
        identity.hub = plane.hub
        sockets = ClientSockets(hub: plane.hub)
        loop = try EventLoop(configuration: .hub(config, logger: logger), webSocketHandler: sockets, httpHandler: router)
        loopRef.loop = loop
        if let reason = loop.eventLibraryFallback {
            logger.warning("event loop: poll instead of \(config.server.eventLoop)", metadata: ["reason": "\(reason)"])
        }
        // A credential the hub cannot read is refused, not taken for no credential (anonymous);
        // one address holds a bounded number of connections.
        let perAddress = config.server.maxConnectionsPerAddress
        loop.upgradeFilter = { [sockets] request in
            if let header = request.authorization, BearerAuthorizer.bearerToken(header) == nil {
                return .refuse(status: 401, message: "the Authorization header must be 'Bearer <token>'")
            }
            if perAddress > 0, sockets.connectionsByAddress[request.remoteAddress, default: 0] >= perAddress {
                return .refuse(status: 429, message: "too many connections from this address")
            }
            return .accept
        }
        feeds = FeedSupervisor(pipeline: plane.pipeline, loop: loop, clock: clock, logger: logger)
        observability = Observability(
            config: config, plane: plane, monitor: feeds.monitor, store: store, storeQueue: storeQueue, loop: loop, clock: clock, logger: logger)
        router.observer = { [observability] in observability.answered($0) }
        publisher = Publisher(pipeline: plane.pipeline, config: config.publish, clock: clock)
        // The `publish` op: the session's policy, its principal's bucket, the same checks as REST.
        plane.pipeline.hub.publisher = { [publisher] session, request, id throws(ProtocolError) in
            // Without access control a session has no principal: its own bucket.
            let caller = session.principal.map(Principal.usageName(of:)) ?? "session:\(session.id)"
            switch publisher.publish(request, policy: session.policy ?? .unrestricted, caller: caller) {
            case .success(let published): return published.json
            case .failure(let r): throw ProtocolError(r.protocolCode, r.message, id: id)
            }
        }
        routes = HubRoutes(
            router: router, identity: identity, store: store, storeQueue: storeQueue, loop: loop, plane: plane, feeds: feeds,
            observability: observability, publisher: publisher, publishMaxBytes: config.publish.maxBytes, clock: clock, logger: logger,
            health: { [unowned self] in health() }, cluster: { [unowned self] in cluster?.report(hub: hub, history: history) ?? ClusterNode.off },
            afterStoreWork: cluster.map { node in { node.announceIfChanged($0) } })
    }

    /// The instrument mappings in force (simulators of mapped markets start alike).
    public var mappings: [InstrumentMapping] { pipeline.enrich.mappings }

    /// The listening port (the OS-chosen one when configured with 0).
    public var port: Int { loop.port }

    /// Where it serves — `https`/`wss` when `server.tls` is set — for the start-up log line.
    public var listeningMetadata: Logger.Metadata {
        let (http, ws) = config.server.tls == nil ? ("http", "ws") : ("https", "wss")
        let base = "\(config.server.host):\(port)"
        return ["url": "\(http)://\(base)", "ws": "\(ws)://\(base)/ws"]
    }

    /// Every REST route with its declared access: `open`, `authenticated` or the scope.
    public var routeTable: [(method: String, path: String, access: String)] { router.table.map { ($0.method, $0.path, $0.access.name) } }

    /// Records every feed connection's traffic to `path` (call before `start`/`run`).
    public func record(to path: String, overwrite: Bool = false) throws {
        feeds.recorder = try FeedRecorder(path: path, overwrite: overwrite, clock: clock)
    }

    /// The recording `record(to:)` opened.
    public var recorder: FeedRecorder? { feeds.recorder }

    // MARK: Lifecycle

    /// Starts feeds and serves on a new thread; returns once the loop runs.
    /// - Parameter sections: the venue sections to connect (default: the configuration's; the
    ///   demo passes them pointed at its simulators). A bad one fails here, before serving.
    public func start(sections: VenueSections? = nil) throws(ConfigError) {
        let planned = try FeedSupervisor.plan(venues: venues, sections: sections ?? config.feeds.venues, logger: logger)
        loop.start(name: "streamhub-loop")
        loop.execute { [self] in begin(planned) }
    }

    /// Starts feeds and serves on the calling thread until shut down.
    public func run(sections: VenueSections? = nil) throws(ConfigError) {
        let planned = try FeedSupervisor.plan(venues: venues, sections: sections ?? config.feeds.venues, logger: logger)
        loop.execute { [self] in begin(planned) }
        loop.run()
        finish()
    }

    /// Once a second: token expiry and auth deadlines on sessions, identity changes made by
    /// another process (the CLI), every source's status.
    private func begin(_ planned: [FeedSupervisor.Planned]) {
        timers.append(
            loop.every(1.0) { [unowned self] in
                hub.sweep()
                identity.poll()
                jwks.tick()
                feeds.tick()
                observability.tick()
            })
        // In a cluster the coordinator alone evaluates alerts (one webhook per transition).
        timers.append(
            loop.every(observability.evaluateSeconds) { [unowned self] in
                if hub.holds(Pipeline.coordinatorLease) { observability.alerts.evaluate() }
            })
        feeds.start(planned, synthetic: config.feeds.synthetic, waitForLeases: cluster != nil)
        if let cluster {
            feeds.monitor.node = cluster.id
            let feedLeases = planned.map(\.adapter.source) + (config.feeds.synthetic.enabled ? [SyntheticFeed.source] : [])
            publisher.leases = Set(feedLeases)
            cluster.onLeaseChange = { [unowned self] lease, held in
                feeds.setRunning(lease, held)
                // Alerts are the coordinator's: a node that stops being it forgets their states.
                if lease == Pipeline.coordinatorLease && !held { observability.alerts.forgetStates() }
            }
            // Another node changed the control plane: re-read it now (not at the next poll).
            cluster.start(leases: feedLeases + [Pipeline.coordinatorLease], loop: loop, hub: hub) { [unowned self] in controlPlaneChanged() }
        }
    }

    /// Another cluster node changed the shared store: identity and flags are re-read (sessions
    /// re-evaluated), and mappings, property definitions and alert rules that differ applied.
    private func controlPlaneChanged() {
        identity.poll()
        storeQueue.async { [self] in
            guard let refresh = try? ControlPlaneRefresh.read(store) else { return }
            loop.execute { [self] in
                refresh.apply(
                    pipeline: pipeline, registry: registry, alerts: observability.alerts, nowMillis: clock.wallMilliseconds(),
                    propertiesChanged: { identity.propertiesChanged() })
            }
        }
    }

    /// Graceful shutdown (thread-safe): feeds stop, every subscriber gets a 1001 close frame,
    /// and the loop ends when they are gone or after `server.shutdownGraceSeconds`.
    public func shutdown() {
        loop.execute { [self] in
            guard !shuttingDown else { return }
            shuttingDown = true
            timers.removeAll()
            logger.info("shutting down", metadata: ["connections": "\(hub.sessionCount)"])
            feeds.stop()
            cluster?.handOver(history: history)
            hub.closeAll(.goingAway)
            // Real time: the grace period bounds how long the process waits for its clients.
            let deadline = MonotonicClock.nanoseconds() + UInt64(config.server.shutdownGraceSeconds * 1e9)
            loop.every(0.01) { [self] in
                if hub.sessionCount == 0 || MonotonicClock.nanoseconds() >= deadline { loop.stop() }
            }
        }
    }

    /// Blocks until the loop has ended (after `shutdown`).
    public func waitUntilStopped() {
        stoppedCondition.lock()
        while !stopped.withLock({ $0 }) { stoppedCondition.wait() }
        stoppedCondition.unlock()
    }

    /// Stops the loop thread started by `start()` and waits for it.
    public func stopAndWait() {
        shutdown()
        loop.waitUntilFinished()
        finish()
    }

    /// After the loop has ended (its state is this thread's now): the last usage roll-up, the
    /// history writer drained, the recording closed.
    private func finish() {
        jwks.stop()
        observability.usage.flushNow()
        plane.stopHistory()
        // After the last writes: the leases go now, and another node continues from them.
        cluster?.stop()
        feeds.recorder?.close()
        stoppedCondition.lock()
        stopped.withLock { $0 = true }
        stoppedCondition.broadcast()
        stoppedCondition.unlock()
    }

    /// Runs `body` on the loop thread (tests and tools reach loop-confined state this way).
    public func onLoop(_ body: @escaping @Sendable (HubServer) -> Void) {
        loop.execute { [self] in body(self) }
    }

    /// Evaluates `condition` on the loop now and after every feed event (a frame, the answer to a venue fetch,
    /// a timer tick, a disconnect) until it returns true: waiting on what the feeds do without
    /// polling.
    public func whenever(_ condition: @escaping @Sendable (HubServer) -> Bool) {
        loop.execute { [self] in feeds.whenever { [unowned self] in condition(self) } }
    }

    /// Source states, pipeline latency and serving counters. Loop thread.
    func health() -> HealthReport {
        HealthReport(
            pipeline: pipeline, history: history, monitor: feeds.monitor, publisher: publisher, rbacAudit: rbacAudit,
            uptimeSeconds: Double(clock.monotonicNanoseconds() &- startedAt) / 1e9)
    }

    /// One source's report as `/healthz` shows it (nil when the hub has no such source). Loop thread.
    public func sourceReport(_ name: String) -> SourceReport? {
        feeds.monitor.reports(hub: hub).first { $0.name == name }
    }
}

/// The loop, once created (the hub is built before it and reaches it through this).
final class LoopReference: @unchecked Sendable {
    var loop: EventLoop?
}
