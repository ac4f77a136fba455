import HubCache
import HubCore
import HubStore
import Logging

/// The data plane the hub and `streamhub replay` share: the seeded property registry, history
/// (memory, or Redis when `redis.url` is set) with the channels an earlier run left, and the
/// pipeline's stages with the instrument mappings loaded.
///
/// Threading: built on one thread; afterwards the pipeline is confined to the thread that runs it
/// (the hub's loop, or replay's caller).
public final class DataPlane {
    public let registry: PropertyRegistry
    public let history: HistoryStore
    public let pipeline: Pipeline
    public var hub: Hub { pipeline.hub }

    /// - Parameters:
    ///   - schemas: the field mappings of every source that publishes (venues and the hub's own).
    ///   - access: authorisation of sessions (nil: everyone may do everything — replay, tools).
    ///   - runOnLoop: where history replies are handed back to the pipeline's thread.
    ///   - cluster: on a cluster node, how it writes (fenced, announced) and the leases it holds.
    init(
        config: HubConfig, store: HubStore, registry: PropertyRegistry, schemas: [VenueSchema], clock: HubClock, access: AccessControl? = nil,
        runOnLoop: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void = { $0() }, cluster: ClusterNode?, logger: Logger
    ) throws {
        self.registry = registry
        history = try Self.history(config.redis, memoryLength: config.serve.memoryHistoryLength, cluster: cluster?.writing)
        let hub = Hub(
            properties: registry.table, config: config.serve, projectable: { [registry] in registry.id($0) }, now: clock.wallMicroseconds,
            history: history, access: access, runOnLoop: runOnLoop)
        // On a cluster node every publication is made under a lease it holds (none yet).
        hub.leases = cluster
        // Channels persisted by an earlier run continue their epochs and offsets.
        let restored = hub.restore(history.restore(), decoder: StoredValueDecoder(registry: registry))
        if restored.channels > 0 || history is RedisHistoryStore {
            logger.info(
                "channels restored",
                metadata: ["channels": "\(restored.channels)", "skippedValues": "\(restored.skipped)", "store": "\(history.health.backend)"])
        }
        for name in restored.newEpochs {
            logger.warning(
                "stored epoch or offset of a channel cannot be true; it starts a new epoch (clients get recovered: false and a snapshot)",
                metadata: ["channel": "\(name)"])
        }
        (history as? RedisHistoryStore)?.start()
        let transform = Transform(registry: registry, schemas: schemas)
        let rollout = config.rollout
        transform.enforcesValidation = { rollout.enforcesValidation(of: $0) }
        for missing in transform.unregisteredMappings {
            logger.warning("venue field maps to an unregistered property; its values are quarantined", metadata: ["mapping": "\(missing)"])
        }
        pipeline = Pipeline(transform: transform, enrich: Enrich(properties: registry.table, config: config.enrichment), hub: hub)
        let now = clock.wallMilliseconds()
        pipeline.load(mappings: try MappingSeedLoader.seeded(store: store, seedFile: config.mappings.seedFile, logger: logger), nowMillis: now)
        pipeline.retractRestoredOpportunities(nowMillis: now)
    }

    /// Waits for the history writer (Redis) to drain and stops it.
    public func stopHistory() {
        (history as? RedisHistoryStore)?.stop()
    }

    /// Where publications persist beyond the rings: Redis when `redis.url` is set, else memory.
    static func history(_ redis: HubConfig.Redis, memoryLength: Int, cluster: ClusterWriting? = nil) throws -> HistoryStore {
        guard !redis.url.isEmpty else { return MemoryHistoryStore(historyLength: memoryLength) }
        var rc = RedisHistoryStoreConfig()
        rc.keyPrefix = redis.keyPrefix
        rc.historyLength = redis.historyLength
        rc.maxPendingHistory = redis.maxPendingHistory
        rc.timeoutSeconds = redis.timeoutSeconds
        rc.cluster = cluster
        return try RedisHistoryStore(url: redis.url, config: rc)
    }
}
