import Foundation
import HubCache
import HubCore
import HubStore
import Logging
import Synchronization
import WebSocketLoop

/// This hub as one node of a cluster (`cluster.enabled`, docs/guides/cluster.md): it holds the
/// leases of the feeds it runs (and perhaps the coordinator's), publishes only under them, and
/// applies every other node's publications at their offsets.
///
/// - `LeaseKeeper` (its own thread) takes and renews leases; each change comes to the loop,
///   where an acquired lease first adopts the newest stored publication of its channels (this
///   node continues their offsets) and then starts its feed; a lost one stops it.
/// - `ClusterSubscriber` (its own thread) hands other nodes' publications to `Hub.applyRemote`.
/// - The Redis writer fences and announces this node's publications (`ClusterScripts`).
///
/// Threading: `start`, `stop` from any thread; the rest on the loop.
final class ClusterNode: LeaseHolder, @unchecked Sendable {
    let id: String
    let config: HubConfig.Cluster
    let keys: ClusterKeys
    private let url: RedisURL
    private let timeoutSeconds: Double
    private let logger: Logger
    /// Leases held, with their tokens and until when (monotonic ns) they may be used (loop).
    private var tokens: [String: (token: String, usableUntil: UInt64)] = [:]
    /// Batches of other nodes' publications handed to the loop and not yet applied: beyond
    /// `maxQueuedBatches` a batch is dropped (the gap is then fetched from history).
    let queuedBatches = Atomic<Int>(0)
    static let maxQueuedBatches = 256
    let droppedBatches = Atomic<UInt64>(0)
    private var keeper: LeaseKeeper?
    private var subscriber: ClusterSubscriber?
    /// Told on the loop when this node gains (true) or loses (false) a lease.
    var onLeaseChange: ((String, Bool) -> Void)?
    private let startedAt = ISO8601DateFormatter().string(from: Date())

    init(config: HubConfig, logger: Logger) throws {
        id = config.cluster.resolvedNodeId
        self.config = config.cluster
        keys = ClusterKeys(prefix: config.redis.keyPrefix, shards: config.cluster.shards)
        url = try RedisURL(parsing: config.redis.url)
        timeoutSeconds = config.redis.timeoutSeconds
        self.logger = logger
    }

    /// How the Redis writer writes on this node.
    var writing: ClusterWriting { ClusterWriting(node: id, keys: keys) }

    /// The token while the lease is held and not past the point where it may have expired in
    /// Redis (the keeper's renewals push that point on every round; a keeper cut off from Redis
    /// stops doing so, and this node stops publishing before another can take the lease).
    func token(for lease: String) -> String? {
        guard let t = tokens[lease] else { return nil }
        if MonotonicClock.nanoseconds() < t.usableUntil { return t.token }
        // Past it: the feed stops (on the next loop pass, not inside this publication).
        if lapsed.insert(lease).inserted { loop?.execute { [weak self] in self?.lapse(lease) } }
        return nil
    }

    /// Leases whose usable time ran out before a renewal arrived (loop).
    private var lapsed: Set<String> = []
    private weak var loop: EventLoop?
    private weak var hub: Hub?
    /// Set when the hub starts shutting down: leases acquired from then on are not used.
    private var shuttingDown = false

    /// A held lease's usable time ran out (its renewals stopped arriving): treated as lost until
    /// a renewal says it is still this node's.
    private func lapse(_ lease: String) {
        guard lapsed.contains(lease), let t = tokens[lease], MonotonicClock.nanoseconds() >= t.usableUntil else {
            lapsed.remove(lease)
            return
        }
        logger.warning("lease not renewed in time: its feed stops until it is", metadata: ["node": "\(id)", "lease": "\(lease)"])
        hub?.leaseLost(lease)
        onLeaseChange?(lease, false)
    }

    /// Starts taking `leases` and receiving the other nodes' publications and control-plane
    /// announcements (`controlChanged` runs on the loop for each) (loop thread).
    func start(leases: [String], loop: EventLoop, hub: Hub, controlChanged: @escaping () -> Void) {
        self.loop = loop
        self.hub = hub
        let box = UncheckedHub(hub: hub, node: self, controlChanged: controlChanged)
        let subscriber = ClusterSubscriber(
            url: url, keys: keys, node: id, timeoutSeconds: timeoutSeconds,
            deliver: { batch in
                let node = box.node
                guard node.queuedBatches.add(1, ordering: .relaxed).newValue <= Self.maxQueuedBatches else {
                    node.queuedBatches.subtract(1, ordering: .relaxed)
                    node.droppedBatches.add(1, ordering: .relaxed)
                    // What the dropped batch carried is read again from Redis (never dropped).
                    node.subscriber?.requestCatchUp()
                    return
                }
                loop.execute {
                    box.node.queuedBatches.subtract(1, ordering: .relaxed)
                    for p in batch { box.hub.applyRemote(p) }
                }
            },
            control: { _ in loop.execute { box.controlChanged() } },
            caughtUp: { latest in loop.execute { for p in latest { box.hub.applyRemote(p) } } })
        let description = Self.describe(id: id, url: config.advertiseURL, startedAt: startedAt)
        let keeper = LeaseKeeper(
            url: url, keys: keys, node: id, leases: leases, ttlMillis: Self.leaseMillis(failoverSeconds: config.failoverSeconds),
            timeoutSeconds: timeoutSeconds,
            describe: { description }
        ) { change in
            loop.execute { box.node.apply(change, hub: box.hub) }
        }
        self.subscriber = subscriber
        self.keeper = keeper
        subscriber.start()
        keeper.start()
        logger.info("cluster node started", metadata: ["node": "\(id)", "leases": "\(leases.joined(separator: ","))"])
    }

    /// A lease's TTL: half the failover time. A dead node's lease expires at most one TTL after
    /// its death; the keepers' rounds are a quarter TTL apart, and a node over its fair share
    /// waits one round: the lease is taken within 0.75 × `failoverSeconds`.
    static func leaseMillis(failoverSeconds: Double) -> Int64 { Int64(failoverSeconds * 500) }

    /// At the start of a shutdown, once the feeds have stopped: on another thread, the last
    /// writes reach Redis and the leases are given up, so other nodes take the feeds at once
    /// rather than after the grace period.
    func handOver(history: HistoryStore) {
        guard let keeper else { return }
        shuttingDown = true
        keeper.stopAcquiring()
        let writer = history as? RedisHistoryStore
        Thread.detachNewThread {
            _ = writer?.waitUntilFlushed(timeout: 2)
            keeper.stop()
        }
    }

    /// Gives the leases up (if `handOver` has not) and stops receiving. Off the loop, after it
    /// ended.
    func stop() {
        keeper?.stop()
        subscriber?.stop()
    }

    private func apply(_ change: LeaseKeeper.Change, hub: Hub) {
        for lost in change.lost where tokens.removeValue(forKey: lost) != nil {
            logger.warning("lease lost", metadata: ["node": "\(id)", "lease": "\(lost)"])
            hub.leaseLost(lost)
            onLeaseChange?(lost, false)
        }
        for a in change.acquired {
            if shuttingDown { continue }  // given up with the rest when the keeper stops
            // Continue the lease's channels where the cluster left them, then publish.
            hub.adopt(a.latest)
            tokens[a.lease] = (a.token, change.usableUntil[a.lease] ?? 0)
            logger.info("lease acquired", metadata: ["node": "\(id)", "lease": "\(a.lease)", "token": "\(a.token)", "channels": "\(a.latest.count)"])
            onLeaseChange?(a.lease, true)
        }
        for (lease, until) in change.usableUntil where tokens[lease] != nil {
            tokens[lease]!.usableUntil = until
            // Renewed after all: the lease was this node's throughout; its feed starts again.
            if lapsed.remove(lease) != nil, !shuttingDown, until > MonotonicClock.nanoseconds() {
                logger.info("lease renewed again: its feed restarts", metadata: ["node": "\(id)", "lease": "\(lease)"])
                onLeaseChange?(lease, true)
            }
        }
    }

    // MARK: Control-plane announcements

    /// Store queue: the audit head last seen there. Announce queue: the connection.
    private var seenHead: Int64 = 0
    private var announcer: RedisConnection?
    private let announceQueue = DispatchQueue(label: "streamhub.cluster.announce")
    /// The newest head waiting to be announced (coalesced: one announcement says "re-read").
    private let pendingHead = Mutex<Int64?>(nil)
    private let announceFailures = Atomic<UInt64>(0)

    /// After control-plane work on the store queue: when the store's audit log moved on (a
    /// change was written), tells the other nodes (`PUBLISH <prefix>:control "<node> <head>"`,
    /// from a queue of its own so Redis never holds the store queue up), which re-read the store
    /// and re-evaluate their sessions at once. Failing that, they still see identity and flag
    /// changes through their once-a-second audit poll of a shared store.
    func announceIfChanged(_ store: HubStore) {
        guard let head = try? store.auditHead(), head > seenHead else { return }
        seenHead = head
        let first = pendingHead.withLock { p -> Bool in
            defer { p = head }
            return p == nil
        }
        guard first else { return }
        announceQueue.async { [self] in
            guard
                let head = pendingHead.withLock({ p -> Int64? in
                    defer { p = nil }
                    return p
                })
            else { return }
            do throws(RedisError) {
                if announcer == nil || announcer!.isBroken { announcer = try RedisConnection(url, timeoutSeconds: timeoutSeconds) }
                _ = try announcer!.command(["PUBLISH", keys.control, "\(id) \(head)"])
            } catch {
                announcer = nil
                announceFailures.add(1, ordering: .relaxed)
                logger.warning("control-plane change not announced", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: Report

    struct Report: Encodable {
        struct Lease: Encodable {
            let name: String
            let holder: String?
            let token: String?
            let ttlMs: Int64?
            let mine: Bool
        }
        struct Node: Encodable {
            let node: String
            let url: String
            let startedAt: String
        }
        struct Counters: Encodable {
            let remoteApplied, remoteDuplicates, remoteFilled, remoteSkipped, remoteRejected, remoteEpochChanges, remoteRewinds, unownedPublications: UInt64
            let fencedWrites: UInt64
            let leaseAcquisitions, leaseLosses: UInt64
            let droppedBatches, announceFailures: UInt64
        }
        let enabled: Bool
        let node: String?
        let failoverSeconds: Double?
        let leases: [Lease]
        let nodes: [Node]
        let redisConnected: Bool
        let lastError: String?
        let subscriber: ClusterSubscriber.Health?
        let counters: Counters?
    }

    /// `GET /api/cluster` (loop thread).
    func report(hub: Hub, history: HistoryStore) -> Report {
        let view = keeper?.view ?? LeaseKeeper.View()
        let c = hub.counters
        return Report(
            enabled: true, node: id, failoverSeconds: config.failoverSeconds,
            leases: view.leases.map { Report.Lease(name: $0.name, holder: $0.holder, token: $0.token, ttlMs: $0.ttlMillis, mine: token(for: $0.name) != nil) },
            nodes: view.nodes.sorted { $0.key < $1.key }.map { Self.node($0.key, $0.value) }, redisConnected: view.connected, lastError: view.lastError,
            subscriber: subscriber?.health,
            counters: Report.Counters(
                remoteApplied: c.remoteApplied, remoteDuplicates: c.remoteDuplicates, remoteFilled: c.remoteFilled, remoteSkipped: c.remoteSkipped,
                remoteRejected: c.remoteRejected, remoteEpochChanges: c.remoteEpochChanges, remoteRewinds: c.remoteRewinds,
                unownedPublications: c.unownedPublications,
                fencedWrites: history.health.fencedWrites, leaseAcquisitions: view.acquisitions, leaseLosses: view.losses,
                droppedBatches: droppedBatches.load(ordering: .relaxed), announceFailures: announceFailures.load(ordering: .relaxed)))
    }

    /// The report of a single node (cluster off).
    static let off = Report(
        enabled: false, node: nil, failoverSeconds: nil, leases: [], nodes: [], redisConnected: false, lastError: nil, subscriber: nil, counters: nil)

    /// What a node registers about itself (JSON).
    static func describe(id: String, url: String, startedAt: String) -> String {
        var out: [UInt8] = []
        JSONWriter.appendLiteral("{\"node\":", to: &out)
        JSONWriter.appendString(id, to: &out)
        JSONWriter.appendLiteral(",\"url\":", to: &out)
        JSONWriter.appendString(url, to: &out)
        JSONWriter.appendLiteral(",\"startedAt\":", to: &out)
        JSONWriter.appendString(startedAt, to: &out)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// A registered description read back (another node's: checked, never trusted blindly).
    static func node(_ id: String, _ json: String) -> Report.Node {
        struct Described: Decodable {
            let url: String?
            let startedAt: String?
        }
        let d = try? JSONDecoder().decode(Described.self, from: Data(json.utf8))
        return Report.Node(node: id, url: d?.url ?? "", startedAt: d?.startedAt ?? "")
    }
}

/// The hub and the node, handed to the loop from the cluster's threads (used only there).
private struct UncheckedHub: @unchecked Sendable {
    let hub: Hub
    let node: ClusterNode
    let controlChanged: () -> Void
}
