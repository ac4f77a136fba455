import Foundation
import HubAuth
import HubCache
import HubCore
import HubStore
import Logging
import Synchronization
import VenueSimulators
import Venues
import WebSocketLoop

/// The running hub: one libwebsockets context serving `/ws` (subscribers), `/healthz`, static
/// files, and the upstream venue connections, with the pipeline inline on the loop thread.
///
/// Threading: construct anywhere; `start`/`run`, `shutdown`, `onLoop` and `port` are
/// thread-safe. Everything else runs on the loop thread.
public final class HubServer: @unchecked Sendable {
    public let config: HubConfig
    public let pipeline: Pipeline
    public var hub: Hub { pipeline.hub }
    public var registry: PropertyRegistry { pipeline.transform.registry }
    public let store: HubStore
    public let logger: Logger
    /// Tokens, roles and users, live.
    let identity: IdentityService
    /// Signs and verifies the hub's tokens (`streamhub token` and tests mint with it).
    public var tokens: TokenService { identity.tokens }
    /// The first admin created by this start, with its API key when one was generated (print
    /// it once); nil when the store already had users.
    public let bootstrapAdmin: (username: String, generatedKey: String?)?
    private var timers: [LoopTimer] = []
    /// Source health: `/api/streams`, `/healthz`, `sources.hub.<venue>`.
    let monitor: SourceMonitor
    /// Control-plane writes (SQLite) run here, never on the loop thread.
    let storeQueue = DispatchQueue(label: "streamhub.store")
    private var apis: [AnyObject] = []
    /// Latest state and history beyond the rings (Redis when `redis.url` is set).
    public let history: HistoryStore
    private let loopRef = LoopReference()

    private let loop: EventLoop
    private let sockets: ClientSockets
    private let router = HTTPRouter()
    private var feeds: [FeedConnection] = []
    private var synthetic: SyntheticFeed?
    private var simulators: [DeribitSimulator] = []
    /// The in-process Binance simulator (`feeds.binance.simulate`).
    public private(set) var binanceSimulator: BinanceSimulator?
    /// The in-process Coinbase simulator (`feeds.coinbase.simulate`).
    public private(set) var coinbaseSimulator: CoinbaseSimulator?
    /// The in-process Polymarket simulator (`feeds.polymarket.simulate`).
    public private(set) var polymarketSimulator: PolymarketSimulator?
    public private(set) var kalshiSimulator: KalshiSimulator?
    /// Every simulator started in process, stopped with the hub.
    private var running: [VenueSimulator] = []
    public private(set) var orcaSimulator: OrcaSimulator?
    /// The Kalshi feed's settings with its key read (or made, when simulated) at start.
    private var kalshiFeed = KalshiFeedConfig()
    /// Set by `record(to:)` before `start`: every feed connection writes to it.
    public private(set) var recorder: FeedRecorder?
    private let startedAt = MonotonicClock.nanoseconds()
    private let stopped = Mutex(false)
    private let stoppedCondition = NSCondition()
    private var shuttingDown = false

    public init(config: HubConfig, logger: Logger = Logger(label: "streamhub")) throws {
        self.config = config
        self.logger = logger
        store = try IdentitySetup.openStore(config, logger: logger)
        let tokens = try IdentitySetup.tokenService(config.auth)
        bootstrapAdmin = try IdentitySetup.bootstrapAdmin(store, config.auth, logger: logger)
        let registry = try Self.loadRegistry(store: store, seedDirectory: config.properties.seedDirectory, logger: logger)
        history = try Self.makeHistory(config)
        let loopRef = self.loopRef
        let runOnLoop: @Sendable (@escaping @Sendable () -> Void) -> Void = { work in loopRef.loop?.execute(work) }
        identity = try IdentityService(
            tokens: tokens, config: config.auth, flags: config.flags, registry: registry, store: store, storeQueue: storeQueue, runOnLoop: runOnLoop)
        let hub = Hub(
            properties: registry.table, config: config.serve, projectable: { [registry] in registry.id($0) },
            history: history, access: identity, runOnLoop: runOnLoop)
        identity.hub = hub
        // Channels persisted by an earlier run continue their epochs and offsets.
        let restored = hub.restore(history.restore(), decoder: StoredValueDecoder(registry: registry))
        if restored.channels > 0 || history is RedisHistoryStore {
            logger.info("channels restored", metadata: ["channels": "\(restored.channels)", "skippedValues": "\(restored.skipped)", "store": "\(history.health.backend)"])
        }
        (history as? RedisHistoryStore)?.start()
        let transform = Transform(registry: registry, schemas: Self.venueSchemas)
        for missing in transform.unregisteredMappings {
            logger.warning("venue field maps to an unregistered property; its values are quarantined", metadata: ["mapping": "\(missing)"])
        }
        pipeline = Pipeline(transform: transform, enrich: Enrich(properties: registry.table, config: config.enrichment), hub: hub)
        pipeline.enrich.load(mappings: try Self.loadMappings(store: store, seedFile: config.mappings.seedFile, logger: logger))
        Self.retractRestoredOpportunities(hub, registry)
        monitor = SourceMonitor(pipeline: pipeline)
        sockets = ClientSockets(hub: hub)

        var lc = LoopConfiguration(listen: .init(host: config.server.host, port: config.server.port))
        lc.dynamicPrefixes = ["/healthz", "/api"]
        if let dir = config.server.publicDir {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue {
                lc.staticRoot = URL(fileURLWithPath: dir).standardizedFileURL.path
            } else {
                logger.warning("public directory not found; static files are not served", metadata: ["publicDir": "\(dir)"])
            }
        }
        lc.maxMessageBytes = config.serve.maxMessageBytes
        lc.maxClientMessageBytes = config.feeds.maxFrameBytes
        lc.permessageDeflate = config.server.permessageDeflate
        lc.maxConnections = UInt32(config.server.maxConnections)
        loop = try EventLoop(configuration: lc, webSocketHandler: sockets, httpHandler: router)
        loopRef.loop = loop
        routes()
    }

    /// Every source's field mappings (venue adapters, the synthetic feed, the source monitor).
    static let venueSchemas = [
        DeribitField.schema, BinanceField.schema, CoinbaseField.schema, PolymarketField.schema, KalshiField.schema, OrcaField.schema, SyntheticFeed.schema,
        SourceMonitor.schema,
    ]

    /// Where publications persist beyond the rings: Redis when `redis.url` is set (its writer
    /// started by the caller, after restoring), else memory.
    static func makeHistory(_ config: HubConfig) throws -> HistoryStore {
        guard !config.redis.url.isEmpty else { return MemoryHistoryStore() }
        var rc = RedisHistoryStoreConfig()
        rc.keyPrefix = config.redis.keyPrefix
        rc.historyLength = config.redis.historyLength
        rc.maxPendingHistory = config.redis.maxPendingHistory
        rc.timeoutSeconds = config.redis.timeoutSeconds
        return try RedisHistoryStore(url: config.redis.url, config: rc)
    }

    /// Opportunities restored from Redis were open when the last run stopped, and nothing tracks
    /// them now: each is retracted (`active: false`), so subscribers never see a phantom.
    static func retractRestoredOpportunities(_ hub: Hub, _ registry: PropertyRegistry) {
        guard let active = registry.id("active") else { return }
        let now = WallClock.milliseconds()
        for c in hub.allChannels where c.key.stream == .arb {
            guard var t = c.state, t.value(active) == .bool(true) else { continue }
            t.set(active, .bool(false))
            t.exchangeTime = now
            t.receiveTime = now * 1000
            hub.publish(t)
        }
    }

    /// The store is the source of truth; a new store (never seeded) is seeded from the file.
    static func loadMappings(store: HubStore, seedFile: String, logger: Logger) throws -> [InstrumentMapping] {
        if try !store.mappingsSeeded() {
            let seed: [InstrumentMapping]
            do {
                seed = try MappingSeedLoader.load(file: seedFile)
            } catch {
                throw ConfigError(key: "mappings.seedFile", "\(error)")
            }
            try store.seedMappings(seed)
            logger.info("mappings seeded", metadata: ["mappings": "\(seed.map(\.id).joined(separator: ","))", "from": "\(seedFile)"])
        }
        return try store.mappings()
    }

    /// The store is the source of truth; an empty property table is seeded from the directory.
    static func loadRegistry(store: HubStore, seedDirectory: String, logger: Logger) throws -> PropertyRegistry {
        if try store.propertyCount() == 0 {
            let seed = try PropertySeedLoader.load(directory: seedDirectory)
            try store.insertProperties(seed)
            logger.info("property registry seeded", metadata: ["properties": "\(seed.count)", "from": "\(seedDirectory)"])
        }
        let registry = PropertyRegistry()
        do {
            try registry.load(try store.properties())
        } catch let e as DefinitionError {
            throw DefinitionError(e.kind, field: e.field, e.message, file: store.path)
        }
        return registry
    }

    /// The listening port (the OS-chosen one when configured with 0).
    public var port: Int { loop.port }

    // MARK: Lifecycle

    /// Starts feeds and serves on a new thread; returns once the loop runs.
    public func start() throws {
        try startSimulators()
        try startBinanceSimulator()
        try startCoinbaseSimulator()
        try startPolymarketSimulator()
        try prepareKalshi()
        try startOrcaSimulator()
        loop.start(name: "streamhub-loop")
        loop.execute { [self] in
            startTimers()
            startFeeds()
        }
    }

    /// Starts feeds and serves on the calling thread until shut down.
    public func run() throws {
        try startSimulators()
        try startBinanceSimulator()
        try startCoinbaseSimulator()
        try startPolymarketSimulator()
        try prepareKalshi()
        try startOrcaSimulator()
        loop.execute { [self] in
            startTimers()
            startFeeds()
        }
        loop.run()
        finish()
    }

    private func startSimulators() throws {
        let d = config.feeds.deribit
        guard d.enabled, d.simulate else { return }
        var sc = DeribitSimulatorConfig()
        sc.stepMilliseconds = d.simulatorStepMilliseconds
        sc.minHeartbeatSeconds = 1
        if let id = d.feed.clientID, let secret = d.feed.clientSecret {
            sc.clientID = id
            sc.clientSecret = secret
        }
        let sim = try DeribitSimulator(config: sc)
        sim.start()
        running.append(sim)
        simulators.append(sim)
        logger.info("deribit simulator listening", metadata: ["url": "\(sim.url)"])
    }

    private func startBinanceSimulator() throws {
        let b = config.feeds.binance
        guard b.enabled, b.simulate else { return }
        var sc = BinanceSimulatorConfig()
        let known: [String: Double] = ["BTC": 65_000, "ETH": 3_200, "SOL": 150, "BNB": 580, "XRP": 0.6, "DOGE": 0.15]
        sc.symbols = Dictionary(b.feed.symbols.map { (BinanceSymbols.venue($0), known[String($0.split(separator: "/")[0])] ?? 100) }, uniquingKeysWith: { a, _ in a })
        sc.stepMilliseconds = b.simulatorStepMilliseconds
        let sim = try BinanceSimulator(config: sc)
        sim.start()
        running.append(sim)
        binanceSimulator = sim
        logger.info("binance simulator listening", metadata: ["url": "\(sim.url)", "rest": "\(sim.restURL)"])
    }

    private func startCoinbaseSimulator() throws {
        let cb = config.feeds.coinbase
        guard cb.enabled, cb.simulate else { return }
        var sc = CoinbaseSimulatorConfig()
        let known: [String: Double] = ["BTC": 65_000, "ETH": 3_200, "SOL": 150]
        sc.products = Dictionary(cb.feed.symbols.map { (CoinbaseFeedConfig.product($0), known[String($0.split(separator: "/")[0])] ?? 100) }, uniquingKeysWith: { a, _ in a })
        sc.stepMilliseconds = cb.simulatorStepMilliseconds
        let sim = try CoinbaseSimulator(config: sc)
        sim.start()
        running.append(sim)
        coinbaseSimulator = sim
        logger.info("coinbase simulator listening", metadata: ["url": "\(sim.url)"])
    }

    /// Simulated prediction markets that a mapping says are the same question start from the same
    /// probability (a `no` token from its complement), so the demo shows arbitrage only when the
    /// venues drift apart — as real ones do — not from the first tick.
    private func simulatedProbability(_ venue: String, _ instrument: String) -> Double? {
        for m in pipeline.enrich.mappings where m.kind == .prediction {
            guard let member = m.members.first(where: { $0.venue == venue && $0.instrument == instrument }) else { continue }
            var h: UInt64 = 1_469_598_103_934_665_603
            for b in m.id.utf8 { h = (h ^ UInt64(b)) &* 1_099_511_628_211 }
            let p = 0.3 + Double(h % 40) / 100
            return member.side == "no" ? 1 - p : p
        }
        return nil
    }

    private func startPolymarketSimulator() throws {
        let pm = config.feeds.polymarket
        guard pm.enabled, pm.simulate else { return }
        var sc = PolymarketSimulatorConfig()
        var rng = SplitMix64(seed: 5)
        sc.assets = Dictionary(
            pm.feed.assets.map { ($0.id, simulatedProbability("polymarket", $0.instrument) ?? 0.2 + Double(rng.next() % 60) / 100) },
            uniquingKeysWith: { a, _ in a })
        sc.stepMilliseconds = pm.simulatorStepMilliseconds
        let sim = try PolymarketSimulator(config: sc)
        sim.start()
        running.append(sim)
        polymarketSimulator = sim
        logger.info("polymarket simulator listening", metadata: ["url": "\(sim.url)"])
    }

    /// Records every feed connection's traffic to `path` (call before `start`/`run`).
    public func record(to path: String, overwrite: Bool = false) throws {
        recorder = try FeedRecorder(path: path, overwrite: overwrite)
    }

    /// Reads the Kalshi key file; when simulated, starts the simulator with that key's public
    /// half (or with a key pair made now when no file is configured).
    private func prepareKalshi() throws {
        let k = config.feeds.kalshi
        guard k.enabled else { return }
        var fc = k.feed
        if !k.privateKeyFile.isEmpty {
            guard let data = FileManager.default.contents(atPath: k.privateKeyFile), let pem = String(data: data, encoding: .utf8) else {
                throw ConfigError(key: "feeds.kalshi.privateKeyFile", "cannot read \(k.privateKeyFile)")
            }
            fc.privateKeyPEM = pem
        }
        guard k.simulate else {
            do { _ = try KalshiAuth(keyID: fc.keyID, privateKeyPEM: fc.privateKeyPEM) } catch {
                throw ConfigError(key: "feeds.kalshi.privateKeyFile", "\(k.privateKeyFile) is not an RSA private key in PEM")
            }
            kalshiFeed = fc
            return
        }
        let publicPEM: String
        if fc.privateKeyPEM.isEmpty {
            (fc.privateKeyPEM, publicPEM) = try KalshiAuth.generateKeyPair()
        } else {
            do { publicPEM = try KalshiAuth.publicKeyPEM(ofPrivate: fc.privateKeyPEM) } catch {
                throw ConfigError(key: "feeds.kalshi.privateKeyFile", "\(k.privateKeyFile) is not an RSA private key in PEM")
            }
        }
        if fc.keyID.isEmpty { fc.keyID = "sim-key" }
        var sc = KalshiSimulatorConfig()
        var rng = SplitMix64(seed: 7)
        sc.markets = Dictionary(fc.markets.map { ($0, simulatedProbability("kalshi", $0) ?? 0.2 + Double(rng.next() % 60) / 100) }, uniquingKeysWith: { a, _ in a })
        sc.keyID = fc.keyID
        sc.publicKeyPEM = publicPEM
        sc.stepMilliseconds = k.simulatorStepMilliseconds
        sc.legacyCents = k.simulatorLegacyCents
        let sim = try KalshiSimulator(config: sc)
        sim.start()
        running.append(sim)
        kalshiSimulator = sim
        kalshiFeed = fc
        logger.info("kalshi simulator listening", metadata: ["url": "\(sim.url)"])
    }

    private func startOrcaSimulator() throws {
        let o = config.feeds.orca
        guard o.enabled, o.simulate else { return }
        var sc = OrcaSimulatorConfig()
        sc.streams = o.feed.streams
        sc.stepMilliseconds = o.simulatorStepMilliseconds
        sc.heartbeatMs = o.simulatorHeartbeatMs
        let sim = try OrcaSimulator(config: sc)
        sim.start()
        running.append(sim)
        orcaSimulator = sim
        logger.info("orca simulator listening", metadata: ["url": "\(sim.url)"])
    }

    /// Starts a feed connection for `adapter` at `url`, watched by the source monitor.
    private func startFeed(_ adapter: FeedAdapter, _ url: String) {
        do {
            let feed = FeedConnection(adapter: adapter, url: try WebSocketURL(parsing: url), pipeline: pipeline, loop: loop, logger: logger)
            feed.recorder = recorder
            feeds.append(feed)
            monitor.add(feed.monitored)
            feed.start()
        } catch {
            logger.error("feed not started", metadata: ["source": "\(adapter.source)", "error": "\(error)"])
        }
    }

    /// Once a second: token expiry and auth deadlines on sessions, identity changes made by
    /// another process (the CLI).
    private func startTimers() {
        timers.append(loop.every(1.0) { [unowned self] in
            hub.sweep()
            identity.poll()
            monitor.tick()
        })
    }

    private func startFeeds() {
        let b = config.feeds.binance
        if b.enabled {
            var fc = b.feed
            var base = b.url
            if let sim = binanceSimulator {
                base = sim.url
                fc.restURL = sim.restURL
            }
            do {
                let feed = FeedConnection(
                    adapter: BinanceFeed(config: fc), url: try WebSocketURL(parsing: base + BinanceFeed.streamPath(fc)), pipeline: pipeline, loop: loop,
                    logger: logger)
                feed.recorder = recorder
                feeds.append(feed)
                monitor.add(feed.monitored)
                feed.start()
            } catch {
                logger.error("binance feed not started", metadata: ["error": "\(error)"])
            }
        }
        let cb = config.feeds.coinbase
        if cb.enabled { startFeed(CoinbaseFeed(config: cb.feed), coinbaseSimulator?.url ?? cb.url) }
        let pm = config.feeds.polymarket
        if pm.enabled { startFeed(PolymarketFeed(config: pm.feed), polymarketSimulator?.url ?? pm.url) }
        let k = config.feeds.kalshi
        if k.enabled { startFeed(KalshiFeed(config: kalshiFeed), kalshiSimulator?.url ?? k.url) }
        let o = config.feeds.orca
        if o.enabled { startFeed(OrcaFeed(config: o.feed), orcaSimulator?.url ?? o.url) }
        let d = config.feeds.deribit
        if d.enabled {
            let urlText = d.simulate ? simulators[0].url : d.url
            do {
                let feed = FeedConnection(
                    adapter: DeribitFeed(config: d.feed), url: try WebSocketURL(parsing: urlText), pipeline: pipeline, loop: loop,
                    logger: logger)
                feed.recorder = recorder
                feeds.append(feed)
                monitor.add(feed.monitored)
                feed.start()
            } catch {
                logger.error("deribit feed not started", metadata: ["error": "\(error)"])
            }
        }
        let s = config.feeds.synthetic
        if s.enabled {
            let feed = SyntheticFeed(rate: s.rate, channels: s.channels, wide: s.wide, pipeline: pipeline, loop: loop)
            synthetic = feed
            feed.start()
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
            for f in feeds { f.stop() }
            synthetic?.stop()
            hub.closeAll(.goingAway)
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
        while !loop.isFinished { usleep(1000) }
        finish()
    }

    private func finish() {
        for s in running { s.stop() }
        (history as? RedisHistoryStore)?.stop()
        recorder?.close()
        stoppedCondition.lock()
        stopped.withLock { $0 = true }
        stoppedCondition.broadcast()
        stoppedCondition.unlock()
    }

    /// Runs `body` on the loop thread (tests and tools reach loop-confined state this way).
    public func onLoop(_ body: @escaping @Sendable (HubServer) -> Void) {
        loop.execute { [self] in body(self) }
    }

    /// The in-process simulators (tests drive their faults).
    public var deribitSimulator: DeribitSimulator? { simulators.first }

    // MARK: HTTP

    private func routes() {
        let authorizer = BearerAuthorizer(identity: identity, loop: loop)
        router.authorizer = authorizer
        apis.append(authorizer)
        router.add("GET", "/healthz", .open) { [unowned self] _, _, respond in respond(.json(health())) }
        let gateway = StoreGateway(store: store, queue: storeQueue, loop: loop)
        let properties = PropertiesAPI(
            registry: registry, transform: pipeline.transform, store: store, storeQueue: storeQueue, loop: loop,
            onChange: { [identity] in identity.propertiesChanged() })
        let state = StateAPI(hub: hub, identity: identity)
        let auth = AuthAPI(identity: identity, gateway: gateway, loop: loop)
        let users = UsersAPI(identity: identity, gateway: gateway)
        let roles = RolesAPI(identity: identity, gateway: gateway)
        let audit = AuditAPI(gateway: gateway)
        let features = FeaturesAPI(identity: identity, gateway: gateway, registry: registry)
        let streams = StreamsAPI(hub: hub, monitor: monitor)
        let mappings = MappingsAPI(gateway: gateway, pipeline: pipeline)
        let arbitrage = ArbitrageAPI(enrich: pipeline.enrich, registry: registry)
        let orca = OrcaAPI(feeds: { [unowned self] in feeds.compactMap { $0.adapter as? OrcaFeed } }, enrich: pipeline.enrich, registry: registry)
        mappings.routes(router)
        arbitrage.routes(router)
        orca.routes(router)
        properties.routes(router)
        state.routes(router)
        auth.routes(router)
        users.routes(router)
        roles.routes(router)
        audit.routes(router)
        features.routes(router)
        streams.routes(router)
        apis += [properties, state, auth, users, roles, audit, features, streams, mappings, arbitrage, orca]
    }

    /// Every REST route with its declared access: `open`, `authenticated` or the scope.
    public var routeTable: [(method: String, path: String, access: String)] {
        router.table.map { r in
            switch r.access {
            case .open: return (r.method, r.path, "open")
            case .authenticated: return (r.method, r.path, "authenticated")
            case .scope(let s): return (r.method, r.path, s)
            }
        }
    }

    /// Source states, pipeline latency and serving counters. Loop thread.
    func health() -> HealthReport {
        let now = MonotonicClock.nanoseconds()
        let sources = monitor.reports(hub: hub, now: now)
        var stages: [String: HealthReport.Stage] = [:]
        for stage in StageLatency.Stage.allCases {
            let x = pipeline.latency.summary(stage)
            stages[stage.rawValue] = .init(count: x.count, p50Ns: x.p50, p99Ns: x.p99, maxNs: x.max)
        }
        let c = hub.counters
        let store = history.health
        return HealthReport(
            status: sources.allSatisfy { $0.state == FeedStatus.State.live.rawValue } && store.state == .ok ? "ok" : "degraded",
            uptimeSeconds: Double(now - startedAt) / 1e9, connections: hub.sessionCount, channels: hub.channelCount,
            sources: sources, pipeline: stages, history: store,
            serve: .init(
                publications: c.publications, messagesOut: c.messagesOut, framesOut: c.framesOut, bytesOut: c.bytesOut,
                requests: c.requests, protocolErrors: c.protocolErrors, slowConsumers: c.slowConsumers,
                conflations: c.conflations, quarantined: pipeline.transform.quarantinedCount, authFailures: c.authFailures))
    }
}

/// The loop, once created (the hub is built before it and reaches it through this).
final class LoopReference: @unchecked Sendable {
    var loop: EventLoop?
}
