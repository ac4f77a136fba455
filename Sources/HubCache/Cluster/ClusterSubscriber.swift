import Foundation
import HubCore
import Synchronization

/// Receives the other nodes' publications: a Redis connection subscribed (`SSUBSCRIBE`) to every
/// pub/sub shard, on its own thread. Messages already buffered are handed over together, one
/// hand-off to the loop per batch. After every (re)subscription the newest stored publication
/// of every channel is read and handed over as well, so what was missed while away (or before
/// the first subscription) is caught up — the hub fetches any gap from history.
///
/// Pub/sub is at most once; offsets make it safe: the hub drops what it holds and fills gaps.
///
/// Threading: `start`, `stop` and `health` from any thread; Redis I/O on the subscriber thread.
public final class ClusterSubscriber: @unchecked Sendable {
    public struct Health: Sendable, Equatable, Encodable {
        public var subscribed = false
        /// Subscribed and caught up (the newest stored publications handed over).
        public var caughtUpNow = false
        /// Messages received from other nodes, own messages skipped, unreadable ones.
        public var received: UInt64 = 0
        public var own: UInt64 = 0
        public var unreadable: UInt64 = 0
        /// Publications read back after subscribing (catching up).
        public var caughtUp: UInt64 = 0
        public var reconnects: UInt64 = 0
        public var lastError: String?
    }

    private let url: RedisURL
    private let keys: ClusterKeys
    private let node: String
    private let timeoutSeconds: Double
    private let deliver: @Sendable ([RemotePublication]) -> Void
    private let deliverCaughtUp: @Sendable ([RemotePublication]) -> Void
    /// Set by `requestCatchUp`: the next pass re-reads every channel's newest publication.
    private let catchUpRequested = Atomic<Bool>(false)
    private let control: @Sendable (String) -> Void
    private let stats = Mutex(Health())
    /// The subscribed connection is kept here (alive) so `stop` can interrupt its read.
    private struct Shared: @unchecked Sendable {
        var stopping = false
        var connection: RedisConnection?
    }
    private let state = Mutex(Shared())
    private let finished = DispatchSemaphore(value: 0)
    private var backoff = Backoff(base: 0.1, cap: 5)

    /// - Parameters:
    ///   - deliver: gets each batch of other nodes' publications, in order, on the subscriber
    ///     thread (hand them to the loop).
    ///   - control: gets what another node announced on the control channel (a control-plane
    ///     change), on the subscriber thread.
    ///   - caughtUp: gets the catch-up reads (default: `deliver`) — a receiver that may drop
    ///     live batches should not drop these.
    public init(
        url: RedisURL, keys: ClusterKeys, node: String, timeoutSeconds: Double, deliver: @escaping @Sendable ([RemotePublication]) -> Void,
        control: @escaping @Sendable (String) -> Void = { _ in }, caughtUp: (@Sendable ([RemotePublication]) -> Void)? = nil
    ) {
        self.url = url
        self.keys = keys
        self.node = node
        self.timeoutSeconds = timeoutSeconds
        self.deliver = deliver
        self.control = control
        deliverCaughtUp = caughtUp ?? deliver
    }

    /// Asks for every channel's newest stored publication again (the receiver dropped a batch:
    /// channels that then stay quiet would otherwise stay behind). Served after the next message.
    public func requestCatchUp() {
        catchUpRequested.store(true, ordering: .releasing)
    }

    public var health: Health { stats.withLock { $0 } }

    public func start() {
        let t = Thread { [self] in run() }
        t.name = "cluster-subscriber"
        t.start()
    }

    /// Stops the thread (its blocked read is interrupted) and waits for it.
    public func stop() {
        let c = state.withLock { s -> RedisConnection? in
            s.stopping = true
            return s.connection
        }
        c?.interrupt()
        finished.wait()
    }

    private var stopping: Bool { state.withLock { $0.stopping } }

    private func run() {
        defer { finished.signal() }
        var first = true
        while !stopping {
            if !first {
                stats.withLock { $0.reconnects += 1 }
                Thread.sleep(forTimeInterval: backoff.next())
                if stopping { return }
            }
            first = false
            do {
                let c = try RedisConnection(url, timeoutSeconds: timeoutSeconds)
                let stop = state.withLock { s -> Bool in
                    if !s.stopping { s.connection = c }
                    return s.stopping
                }
                if stop { return }
                try subscribe(c)
                backoff.reset()
                try catchUp()
                try receive(c)
            } catch {
                stats.withLock {
                    $0.subscribed = false
                    $0.caughtUpNow = false
                    $0.lastError = "\(error)"
                }
            }
            state.withLock { $0.connection = nil }
        }
    }

    private func subscribe(_ c: RedisConnection) throws(RedisError) {
        // One shard channel per command: on a Redis Cluster each lives in its own slot.
        let replies = try c.pipeline(
            keys.allShards.map { [Array("SSUBSCRIBE".utf8), Array($0.utf8)] } + [[Array("SUBSCRIBE".utf8), Array(keys.control.utf8)]])
        if let e = replies.first(where: { if case .error = $0 { return true } else { return false } }) { throw .io("SSUBSCRIBE: \(e)") }
        c.setReadTimeout(seconds: 0)
        stats.withLock {
            $0.subscribed = true
            $0.lastError = nil
        }
    }

    /// The newest stored publication of every channel, on a second connection (the first is
    /// in subscriber mode).
    private func catchUp() throws(RedisError) {
        let c = try RedisConnection(url, timeoutSeconds: timeoutSeconds)
        let latest = try ClusterLatest.read(c, prefix: keys.prefix, channels: try ClusterLatest.members(c, "\(keys.prefix):channels"))
        if !latest.isEmpty { deliverCaughtUp(latest) }
        stats.withLock {
            $0.caughtUp += UInt64(latest.count)
            $0.caughtUpNow = true
        }
    }

    private func receive(_ c: RedisConnection) throws(RedisError) {
        var batch: [RemotePublication] = []
        while !stopping {
            var reply: RedisReply? = try c.nextReply()
            // Everything already buffered goes in the same batch.
            while let r = reply {
                take(r, into: &batch)
                reply = batch.count < 1024 ? try c.bufferedReply() : nil
            }
            if !batch.isEmpty {
                deliver(batch)
                batch.removeAll(keepingCapacity: true)
            }
            if catchUpRequested.exchange(false, ordering: .acquiringAndReleasing) { try catchUp() }
        }
    }

    /// `["smessage", shard, message]` → a publication of another node; `["message", control,
    /// "<node> <what>"]` → another node's control-plane announcement.
    private func take(_ reply: RedisReply, into batch: inout [RemotePublication]) {
        guard case .array(let parts) = reply, parts.count == 3, case .string(let bytes) = parts[2] else { return }
        if parts[0].text == "message" {
            let text = String(decoding: bytes, as: UTF8.self)
            let sender = text.prefix { $0 != " " }
            if sender != node { control(text) }
            return
        }
        guard parts[0].text == "smessage" else { return }
        guard let (sender, p) = ClusterMessage.decode(bytes) else {
            stats.withLock { $0.unreadable += 1 }
            return
        }
        if sender == node {
            stats.withLock { $0.own += 1 }
            return
        }
        stats.withLock { $0.received += 1 }
        batch.append(p)
    }
}
