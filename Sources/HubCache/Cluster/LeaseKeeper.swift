import Foundation
import HubCore
import Synchronization

/// Takes, renews and gives up this node's leases in Redis, on its own thread, and keeps a view
/// of the cluster (who holds what, which nodes are alive) for `/api/cluster`.
///
/// A lease is a key holding the holder's fencing token, with a TTL (`SET NX PX` in a script
/// that also counts acquisitions: token `<node>/<n>`); the holder renews it every quarter of
/// the TTL. A node counts a lease as lost when a renewal is refused, or when it could not renew for
/// so long that the lease may have expired in Redis (a safety margin before the TTL) — so it
/// stops publishing under it before another node can take it. Redis refuses writes made under a
/// stale token (`ClusterScripts`), which covers a node that was paused past all of this.
///
/// Free leases are spread: a node holding its fair share (leases / live nodes, rounded up)
/// leaves a free lease to others for one round before it takes it too.
///
/// Threading: `start`, `stop`, `view` from any thread; Redis I/O on the keeper thread.
public final class LeaseKeeper: @unchecked Sendable {
    /// A change of this node's leases: each acquired lease with its token and the newest stored
    /// publications of its channels (up to `takeoverEntries` each, oldest first: to continue
    /// from), and each lease lost.
    public struct Change: Sendable {
        public var acquired: [(lease: String, token: String, latest: [RemotePublication])] = []
        public var lost: [String] = []
        /// Until when (monotonic ns) each held lease may be used: past it, it may have expired in
        /// Redis (a safety margin before the TTL ends). Sent every round.
        public var usableUntil: [String: UInt64] = [:]
        public var isEmpty: Bool { acquired.isEmpty && lost.isEmpty && usableUntil.isEmpty }
    }

    /// What the keeper last saw of the cluster.
    public struct View: Sendable, Equatable {
        public struct Lease: Sendable, Equatable {
            public var name: String
            /// The holder's token (`<node>/<n>`), nil when free.
            public var token: String?
            public var ttlMillis: Int64?
            public init(name: String, token: String? = nil, ttlMillis: Int64? = nil) {
                self.name = name
                self.token = token
                self.ttlMillis = ttlMillis
            }
            public var holder: String? { token.map { String($0[..<($0.lastIndex(of: "/") ?? $0.endIndex)]) } }
        }
        public var leases: [Lease] = []
        /// Live nodes: id → the description each registered (JSON).
        public var nodes: [String: String] = [:]
        public var connected = false
        public var lastError: String?
        public var acquisitions: UInt64 = 0
        public var losses: UInt64 = 0
        public init() {}
    }

    private let url: RedisURL
    private let keys: ClusterKeys
    private let node: String
    private let leases: [String]
    private let ttlMillis: Int64
    private let describe: @Sendable () -> String
    private let onChange: @Sendable (Change) -> Void
    private let timeoutSeconds: Double
    private let seen = Mutex(View())
    private let wake = NSCondition()
    private var stopping = false  // under `wake`
    private var acquiring = true  // under `wake`
    private var done = false  // under `wake`
    // Keeper thread only:
    private var connection: RedisConnection?
    private var scripts: (acquire: String, renew: String, release: String)?
    private var held: [String: (token: String, validUntil: UInt64)] = [:]
    private var freeSince: [String: UInt64] = [:]

    /// - Parameters:
    ///   - leases: every lease the node can run (its feeds, and the coordinator's).
    ///   - ttlMillis: a lease's TTL: a dead holder's lease expires after it.
    ///   - timeoutSeconds: connect and command timeout (at most a round: a quarter TTL).
    ///   - describe: this node's description (JSON), refreshed every round.
    ///   - onChange: this node's lease changes, on the keeper thread (hand them to the loop).
    public init(
        url: RedisURL, keys: ClusterKeys, node: String, leases: [String], ttlMillis: Int64, timeoutSeconds: Double,
        describe: @escaping @Sendable () -> String, onChange: @escaping @Sendable (Change) -> Void
    ) {
        self.url = url
        self.keys = keys
        self.node = node
        self.leases = leases
        self.ttlMillis = max(ttlMillis, 300)
        // A round that waits on Redis longer than a round would leave a lease unchecked.
        self.timeoutSeconds = min(timeoutSeconds, Double(max(ttlMillis, 300)) / 4000)
        self.describe = describe
        self.onChange = onChange
        seen.withLock { $0.leases = leases.map { View.Lease(name: $0) } }
    }

    public var view: View { seen.withLock { $0 } }

    /// Newest entries read per channel when a lease is taken: what the new holder's loop may not
    /// have received yet from the last holder is appended from them rather than skipped.
    static let takeoverEntries = 16

    /// A round every quarter of the TTL: a lease is renewed about four times per TTL, and a free
    /// one is taken at most a quarter TTL after it expired.
    private var interval: Double { Double(ttlMillis) / 4000 }
    /// Held leases count as lost this long before they could expire in Redis.
    private var margin: UInt64 { UInt64(ttlMillis) * 1_000_000 / 5 }

    public func start() {
        let t = Thread { [self] in run() }
        t.name = "cluster-leases"
        t.start()
    }

    /// Gives every held lease up (another node takes it at once instead of after the TTL) and
    /// stops the thread.
    /// Every caller returns once the leases are given up and the thread has ended.
    public func stop() {
        wake.lock()
        stopping = true
        wake.broadcast()
        while !done { wake.wait() }
        wake.unlock()
    }

    /// Takes no more leases (a node shutting down: what it holds is renewed until `stop`).
    public func stopAcquiring() {
        wake.lock()
        acquiring = false
        wake.unlock()
    }

    private func run() {
        while true {
            wake.lock()
            let stop = stopping
            wake.unlock()
            if stop { break }
            round()
            wake.lock()
            if !stopping { _ = wake.wait(until: Date().addingTimeInterval(interval)) }
            wake.unlock()
        }
        releaseAll()
        wake.lock()
        done = true
        wake.broadcast()
        wake.unlock()
    }

    private func round() {
        let started = MonotonicClock.nanoseconds()
        var change = Change()
        defer {
            for (lease, h) in held { change.usableUntil[lease] = h.validUntil - margin }
            if !change.isEmpty {
                seen.withLock {
                    $0.acquisitions += UInt64(change.acquired.count)
                    $0.losses += UInt64(change.lost.count)
                }
                onChange(change)
            }
        }
        guard let c = connected() else {
            expire(now: started, into: &change)
            return
        }
        do throws(RedisError) {
            try renew(c, started: started, into: &change)
            // The loop learns of the renewals at once (the rest of the round may take a while).
            if !held.isEmpty {
                onChange(Change(usableUntil: held.mapValues { $0.validUntil - margin }))
            }
            // The live nodes first: they set the fair share of what to take.
            try observe(c)
            wake.lock()
            let mayAcquire = acquiring
            wake.unlock()
            if mayAcquire { try acquire(c, started: started, into: &change) }
        } catch {
            fail(error)
            expire(now: MonotonicClock.nanoseconds(), into: &change)
        }
    }

    /// Held leases that may have expired in Redis by now are lost.
    private func expire(now: UInt64, into change: inout Change) {
        for (lease, h) in held where now + margin >= h.validUntil {
            held[lease] = nil
            change.lost.append(lease)
        }
    }

    private func renew(_ c: RedisConnection, started: UInt64, into change: inout Change) throws(RedisError) {
        let names = held.keys.sorted()
        var commands: [[[UInt8]]] = [[Array("SET".utf8), Array(keys.node(node).utf8), Array(describe().utf8), Array("PX".utf8), Array(String(ttlMillis).utf8)]]
        commands += names.map { evalsha(scripts!.renew, keys: [keys.lease($0)], args: [held[$0]!.token, String(ttlMillis)]) }
        let replies = try c.pipeline(commands)
        try reloadIfFlushed(replies)
        for (name, reply) in zip(names, replies.dropFirst()) {
            if reply == .integer(1) {
                held[name]!.validUntil = started + UInt64(ttlMillis) * 1_000_000
            } else {
                held[name] = nil
                change.lost.append(name)
            }
        }
        expire(now: MonotonicClock.nanoseconds(), into: &change)
    }

    private func acquire(_ c: RedisConnection, started: UInt64, into change: inout Change) throws(RedisError) {
        let free = leases.filter { held[$0] == nil }
        guard !free.isEmpty else { return }
        let live = max(1, seen.withLock { $0.nodes.count })
        let fairShare = (leases.count + live - 1) / live
        for lease in free {
            let since = freeSince[lease] ?? started
            // Over its fair share, a node leaves a free lease to the others for one round.
            if held.count >= fairShare && started - since < UInt64(interval * 1e9) {
                freeSince[lease] = since
                continue
            }
            let reply = try c.pipeline([evalsha(scripts!.acquire, keys: [keys.lease(lease), keys.fence(lease)], args: [node, String(ttlMillis)])])[0]
            try reloadIfFlushed([reply])
            guard case .string(let t) = reply else {
                freeSince[lease] = nil  // held by another node
                continue
            }
            let token = String(decoding: t, as: UTF8.self)
            freeSince[lease] = nil
            // Where the channels of the lease stand: the new holder continues from there. Held
            // only once that is known (a failed read leaves the lease to expire and be retaken).
            let latest = try ClusterLatest.read(
                c, prefix: keys.prefix, channels: try ClusterLatest.members(c, keys.leaseChannels(lease)), count: Self.takeoverEntries)
            held[lease] = (token, started + UInt64(ttlMillis) * 1_000_000)
            change.acquired.append((lease, token, latest))
        }
    }

    /// Who holds what, and which nodes are alive.
    private func observe(_ c: RedisConnection) throws(RedisError) {
        let replies = try c.pipeline(leases.flatMap { [[Array("GET".utf8), Array(keys.lease($0).utf8)], [Array("PTTL".utf8), Array(keys.lease($0).utf8)]] })
        var view: [View.Lease] = []
        for (i, name) in leases.enumerated() {
            var ttl: Int64?
            if case .integer(let t) = replies[2 * i + 1], t >= 0 { ttl = t }
            view.append(View.Lease(name: name, token: replies[2 * i].text, ttlMillis: ttl))
        }
        var nodes: [String: String] = [:]
        var cursor = "0"
        repeat {
            guard case .array(let page) = try c.command(["SCAN", cursor, "MATCH", keys.nodePattern, "COUNT", "1000"]), page.count == 2,
                let next = page[0].text, case .array(let found) = page[1]
            else { break }
            cursor = next
            let names = found.compactMap(\.text)
            if names.isEmpty { continue }
            let values = try c.pipeline(names.map { [Array("GET".utf8), Array($0.utf8)] })
            for (key, value) in zip(names, values) {
                if let v = value.text { nodes[String(key.dropFirst(keys.node("").count))] = v }
            }
        } while cursor != "0"
        seen.withLock {
            $0.leases = view
            $0.nodes = nodes
            $0.connected = true
            $0.lastError = nil
        }
    }

    private func connected() -> RedisConnection? {
        if let c = connection, !c.isBroken, scripts != nil { return c }
        do throws(RedisError) {
            let c = try RedisConnection(url, timeoutSeconds: timeoutSeconds)
            let replies = try c.pipeline(
                [ClusterScripts.acquire, ClusterScripts.renew, ClusterScripts.release].map { [Array("SCRIPT".utf8), Array("LOAD".utf8), Array($0.utf8)] })
            guard let a = replies[0].text, let r = replies[1].text, let d = replies[2].text else { throw .reply("SCRIPT LOAD: \(replies)") }
            connection = c
            scripts = (a, r, d)
            return c
        } catch {
            fail(error)
            return nil
        }
    }

    /// Someone ran `SCRIPT FLUSH`: the scripts are loaded again on a new connection (the
    /// round ends; renewals the flush refused are retried before the lease can expire).
    private func reloadIfFlushed(_ replies: [RedisReply]) throws(RedisError) {
        if replies.contains(where: { if case .error(let e) = $0 { return e.hasPrefix("NOSCRIPT") } else { return false } }) {
            throw .reply("NOSCRIPT: the scripts were flushed")
        }
    }

    private func fail(_ error: RedisError) {
        connection = nil
        scripts = nil
        seen.withLock {
            $0.connected = false
            $0.lastError = "\(error)"
        }
    }

    private func releaseAll() {
        guard !held.isEmpty else { return }
        if let c = connected() {
            _ = try? c.pipeline(
                held.map { evalsha(scripts!.release, keys: [keys.lease($0.key)], args: [$0.value.token]) } + [[Array("DEL".utf8), Array(keys.node(node).utf8)]])
        }
        onChange(Change(lost: held.keys.sorted()))
        held = [:]
    }

    private func evalsha(_ sha: String, keys: [String], args: [String]) -> [[UInt8]] {
        (["EVALSHA", sha, String(keys.count)] + keys + args).map { Array($0.utf8) }
    }
}
