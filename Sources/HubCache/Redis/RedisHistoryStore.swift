import DequeModule
import Foundation
import HubCore
import Synchronization

/// Latest state and channel history in Redis, written behind on a dedicated thread:
///
/// - `<prefix>:state:<channel>` — a hash: `_epoch`, `_off`, `_ts`, `_rt` and one field per
///   property (its JSON value), coalesced per channel (latest wins);
/// - `<prefix>:history:<channel>` — a stream with IDs `<offset>-0`, fields `_ep`, `_ts`, `_rt`
///   and the properties, trimmed with `MAXLEN ~`;
/// - `<prefix>:channels` — the set of channel names (restore enumerates it).
///
/// Every batch is one pipelined round trip. The loop thread only appends to a locked queue.
/// Recovery reads are served on the same thread after the writes queued before them (so a read
/// sees every publication recorded before it was asked for), at most `fetchesPerPass` between
/// two write batches: a flood of recoveries cannot hold history writes back. A fetch not served
/// yet can be cancelled.
/// When Redis is down the writer reconnects with exponential backoff and jitter; state updates
/// wait (coalesced, bounded by the number of channels), history waits up to
/// `maxPendingHistory` entries (older ones are dropped and counted: recovery across that gap
/// then answers `recovered: false`).
///
/// Threading: `record`, `fetch`, `health` from any thread; Redis I/O on the writer thread only.
public final class RedisHistoryStore: HistoryStore, @unchecked Sendable {
    public let url: RedisURL
    public let config: RedisHistoryStoreConfig
    /// How long each round trip takes: `pipeline` (a batch of writes), `xrange` (a recovery
    /// fetch), `connect`.
    public let timings = CallTimings()

    private struct Fetch {
        let ticket: UInt64
        let channel: String
        let epoch: String
        let after: UInt64
        let through: UInt64
        let reply: @Sendable ([StoredMessage]?) -> Void
    }

    private struct Queue {
        var states: [String: StoredPublication] = [:]
        var history: Deque<StoredPublication> = []
        var fetches: Deque<Fetch> = []
        var nextTicket: UInt64 = 1
        var stopping = false
    }

    private let queue = Mutex(Queue())
    /// Publications taken from the queue and not yet written (part of `pending`).
    private let inFlight = Atomic<Int>(0)
    private let wake = NSCondition()
    /// Broadcast after every pass of the writer (a batch written, a connection made or lost).
    private let progressed = NSCondition()
    private let stats: Mutex<HistoryStoreHealth>
    private let finished = DispatchSemaphore(value: 0)
    // Writer thread only:
    private var connection: RedisConnection?
    private var backoff = Backoff(base: 0.1, cap: 5)
    private var nextAttempt = Date.distantPast
    private var lastEpoch: [String: String] = [:]
    /// The cluster scripts' SHA1s on the current connection (loaded after connecting).
    private var scripts: (publish: [UInt8], state: [UInt8])?

    public init(url: String, config: RedisHistoryStoreConfig = RedisHistoryStoreConfig()) throws(RedisError) {
        self.url = try RedisURL(parsing: url)
        self.config = config
        stats = Mutex(HistoryStoreHealth(backend: "redis", state: .down))
    }

    /// Starts the writer thread.
    public func start() {
        let t = Thread { [self] in run() }
        t.name = "redis-writer"
        t.start()
    }

    /// Stops the writer after one last attempt to write what is queued.
    public func stop() {
        queue.withLock { $0.stopping = true }
        signal()
        finished.wait()
    }

    /// Blocks until everything recorded so far is written and Redis is up, or `timeout`
    /// passes (false). Wakes on the writer's progress, not on a poll.
    public func waitUntilFlushed(timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        progressed.lock()
        defer { progressed.unlock() }
        while true {
            let h = health
            if h.pending == 0 && h.state == .ok { return true }
            if !progressed.wait(until: deadline) { return false }
        }
    }

    public var health: HistoryStoreHealth {
        var h = stats.withLock { $0 }
        h.pending = queue.withLock { $0.history.count + $0.states.count } + inFlight.load(ordering: .acquiring)
        return h
    }

    // MARK: HistoryStore (any thread)

    public func record(_ p: StoredPublication) {
        let (first, dropped) = queue.withLock { q -> (Bool, Bool) in
            q.states[p.channel] = p
            q.history.append(p)
            if q.history.count > config.maxPendingHistory {
                q.history.removeFirst()
                return (false, true)
            }
            return (q.history.count == 1, false)
        }
        if dropped { stats.withLock { $0.droppedHistory += 1 } }
        // Only the first entry of a batch wakes the writer (a futex wake per publication would
        // cost the loop more than the rest of `record`); it gathers the rest itself.
        if first { signal() }
    }

    /// Recovery reads served between two write batches.
    static let fetchesPerPass = 4

    @discardableResult
    public func fetch(channel: String, epoch: String, after: UInt64, through: UInt64, reply: @escaping @Sendable ([StoredMessage]?) -> Void) -> UInt64 {
        let ticket = queue.withLock { q in
            let t = q.nextTicket
            q.nextTicket += 1
            q.fetches.append(Fetch(ticket: t, channel: channel, epoch: epoch, after: after, through: through, reply: reply))
            return t
        }
        signal()
        return ticket
    }

    public func cancelFetch(_ ticket: UInt64) {
        let cancelled = queue.withLock { q -> Bool in
            guard let i = q.fetches.firstIndex(where: { $0.ticket == ticket }) else { return false }
            q.fetches.remove(at: i)
            return true
        }
        if cancelled { stats.withLock { $0.cancelledFetches += 1 } }
    }

    /// Reads every channel's state (start-up; blocking, with the configured timeout).
    public func restore() -> [RestoredChannel] {
        do {
            let c = try RedisConnection(url, timeoutSeconds: config.timeoutSeconds)
            guard case .array(let members) = try c.command(["SMEMBERS", key("channels")]) else { return [] }
            let names = members.compactMap(\.text).sorted()
            let replies = try c.pipeline(names.map { [Array("HGETALL".utf8), Array(key("state:\($0)").utf8)] })
            return zip(names, replies).compactMap { name, reply in Self.restored(name, reply) }
        } catch {
            stats.withLock {
                $0.state = .down
                $0.lastError = "restore: \(error)"
            }
            return []
        }
    }

    /// A channel's state hash (`HGETALL`) as restored, or nil when it lacks an epoch or offset.
    public static func restored(_ name: String, _ reply: RedisReply) -> RestoredChannel? {
        guard case .array(let items) = reply, items.count % 2 == 0 else { return nil }
        var epoch: String?, offset: UInt64?, ts: Int64 = 0, rt: Int64 = 0
        var fields: [StoredField] = []
        for i in stride(from: 0, to: items.count, by: 2) {
            guard case .string(let k) = items[i], case .string(let v) = items[i + 1] else { continue }
            let key = String(decoding: k, as: UTF8.self), text = String(decoding: v, as: UTF8.self)
            switch key {
            case "_epoch": epoch = text
            case "_off": offset = UInt64(text)
            case "_ts": ts = Int64(text) ?? 0
            case "_rt": rt = Int64(text) ?? 0
            default: fields.append(StoredField(name: key, json: v))
            }
        }
        guard let epoch, let offset else { return nil }
        return RestoredChannel(name: name, epoch: epoch, offset: offset, exchangeTime: ts, receiveTime: rt, fields: fields.sorted { $0.name < $1.name })
    }

    // MARK: Writer thread

    private func signal() {
        wake.lock()
        wake.signal()
        wake.unlock()
    }

    private func key(_ suffix: String) -> String { "\(config.keyPrefix):\(suffix)" }

    private func run() {
        while true {
            wake.lock()
            let idle = queue.withLock { $0.states.isEmpty && $0.history.isEmpty && $0.fetches.isEmpty && !$0.stopping }
            if idle { _ = wake.wait(until: Date().addingTimeInterval(1)) }
            wake.unlock()
            // A short gathering window turns bursts into one round trip.
            if !idle { Thread.sleep(forTimeInterval: config.flushIntervalSeconds) }

            let stopping = queue.withLock { $0.stopping }
            guard ensureConnected() else {
                failFetches()
                announceProgress()
                if stopping { break }
                let wait = nextAttempt.timeIntervalSinceNow
                if wait > 0 { Thread.sleep(forTimeInterval: min(wait, 0.2)) }
                continue
            }
            // Swap the queues out: O(1) under the lock the loop thread also takes.
            let (states, history, fetches) = queue.withLock { q in
                let taken = min(q.fetches.count, Self.fetchesPerPass)
                let batch = (q.states, q.history, Array(q.fetches.prefix(taken)))
                q.states = [:]
                q.history = []
                q.fetches.removeFirst(taken)
                inFlight.store(batch.0.count + batch.1.count, ordering: .releasing)
                return batch
            }
            write(states: states, history: history)
            inFlight.store(0, ordering: .releasing)
            for f in fetches { serve(f) }
            announceProgress()
            if stopping && queue.withLock({ $0.history.isEmpty && $0.states.isEmpty }) { break }
        }
        connection = nil
        finished.signal()
    }

    private func announceProgress() {
        progressed.lock()
        progressed.broadcast()
        progressed.unlock()
    }

    private func ensureConnected() -> Bool {
        if let c = connection, !c.isBroken { return true }
        if connection != nil { markDown("connection lost") }
        guard Date() >= nextAttempt else { return false }
        do {
            connection = try timings.time("redis", "connect") { () throws(RedisError) in try RedisConnection(url, timeoutSeconds: config.timeoutSeconds) }
            backoff.reset()
            stats.withLock {
                if $0.lastError != nil { $0.reconnects += 1 }
                $0.state = .ok
            }
            return true
        } catch {
            markDown("\(error)")
            return false
        }
    }

    private func markDown(_ why: String) {
        connection = nil
        scripts = nil
        nextAttempt = Date().addingTimeInterval(backoff.next())
        stats.withLock {
            $0.state = .down
            $0.lastError = why
        }
    }

    /// The entry's fields after its id: `_ep`, `_ts`, `_rt`, then the properties.
    static func entryFields(_ p: StoredPublication) -> [[UInt8]] {
        var out: [[UInt8]] = [
            Array("_ep".utf8), Array(p.epoch.utf8), Array("_ts".utf8), Array(String(p.exchangeTime).utf8), Array("_rt".utf8),
            Array(String(p.receiveTime).utf8),
        ]
        for f in p.fields {
            out.append(Array(f.name.utf8))
            out.append(Array(f.json))
        }
        return out
    }

    /// The state hash's fields: `_epoch`, `_off`, `_ts`, `_rt`, then the properties.
    static func stateFields(_ p: StoredPublication) -> [[UInt8]] {
        var out: [[UInt8]] = [
            Array("_epoch".utf8), Array(p.epoch.utf8), Array("_off".utf8), Array(String(p.offset).utf8), Array("_ts".utf8),
            Array(String(p.exchangeTime).utf8), Array("_rt".utf8), Array(String(p.receiveTime).utf8),
        ]
        for f in p.fields {
            out.append(Array(f.name.utf8))
            out.append(Array(f.json))
        }
        return out
    }

    private func write(states: [String: StoredPublication], history: Deque<StoredPublication>) {
        guard let c = connection, !(states.isEmpty && history.isEmpty) else { return }
        if config.cluster != nil, scripts == nil, !loadScripts(c) { return requeue(states, lostHistory: history.count) }
        // Each command with how many writes it carries, and whether it is a fenced script.
        var commands: [(args: [[UInt8]], count: Int, fenced: Bool)] = []
        commands.reserveCapacity(history.count * 2 + states.count * 2)
        var clustered: [(StoredPublication, fresh: Bool)] = []
        var unfenced: UInt64 = 0
        for p in history {
            let stream = Array(key("history:\(p.channel)").utf8)
            var newEpoch = p.startsEpoch
            if lastEpoch[p.channel] != p.epoch {
                // A new epoch starts its history afresh (a restored channel continues its own).
                // In a cluster only the node that started the epoch replaces the history: another
                // node's epoch is continued, never deleted.
                newEpoch = newEpoch || (config.cluster == nil && (p.offset == 1 || lastEpoch[p.channel] != nil))
                lastEpoch[p.channel] = p.epoch
            }
            if config.cluster != nil {
                // A cluster node writes only what a lease fences (anything else is refused).
                if p.fence != nil { clustered.append((p, newEpoch)) } else { unfenced += 1 }
                continue
            }
            if newEpoch { commands.append(([Array("DEL".utf8), stream], 0, false)) }
            commands.append(
                (
                    [
                        Array("XADD".utf8), stream, Array("MAXLEN".utf8), Array("~".utf8), Array(String(config.historyLength).utf8),
                        Array("\(p.offset)-0".utf8),
                    ] + Self.entryFields(p), 1, false
                ))
        }
        var clusteredStates: [StoredPublication] = []
        for (name, p) in states {
            if config.cluster != nil {
                if p.fence != nil { clusteredStates.append(p) } else { unfenced += 1 }
                continue
            }
            let hash = Array(key("state:\(name)").utf8)
            // The hash is the whole merged state: replaced, so withdrawn properties go too.
            commands.append(([Array("DEL".utf8), hash], 0, false))
            commands.append(([Array("HSET".utf8), hash] + Self.stateFields(p), 1, false))
            commands.append(([Array("SADD".utf8), Array(key("channels").utf8), Array(name.utf8)], 0, false))
        }
        // Fenced by their lease, written and announced in one step per lease and chunk.
        func fencedCommands() -> [(args: [[UInt8]], count: Int, fenced: Bool)] {
            guard let cluster = config.cluster, let scripts else { return [] }
            let batch = ClusterBatch(writing: cluster, prefix: config.keyPrefix, historyLength: config.historyLength, scripts: scripts)
            return batch.history(clustered).map { ($0.args, $0.count, true) } + batch.states(clusteredStates).map { ($0.args, $0.count, true) }
        }
        commands += fencedCommands()
        var tally = WriteTally(failed: unfenced)
        do {
            let replies = try timings.time("redis", "pipeline") { () throws(RedisError) in try c.pipeline(commands.map(\.args)) }
            let flushed = tally.add(commands, replies)
            // Someone flushed the scripts: those calls did nothing; load them again and resend once.
            if flushed, loadScripts(c) {
                let again = fencedCommands()
                tally.add(again, try timings.time("redis", "pipeline") { () throws(RedisError) in try c.pipeline(again.map(\.args)) })
            }
            stats.withLock {
                $0.writes += tally.written
                $0.failedWrites += tally.failed
                $0.fencedWrites += tally.fenced
                if let e = tally.firstError { $0.lastError = "write: \(e)" }
            }
        } catch {
            requeue(states, lostHistory: history.count)
            markDown("\(error)")
        }
    }

    /// What a write batch's replies say: writes made, failed, fenced out.
    private struct WriteTally {
        var written: UInt64 = 0
        var failed: UInt64 = 0
        var fenced: UInt64 = 0
        var firstError: String?

        init(failed: UInt64 = 0) { self.failed = failed }

        /// Counts `replies` of `commands`; true when a fenced script was unknown (NOSCRIPT: it
        /// did nothing — counted once it is resent).
        @discardableResult
        mutating func add(_ commands: [(args: [[UInt8]], count: Int, fenced: Bool)], _ replies: [RedisReply]) -> Bool {
            var flushed = false
            for (command, reply) in zip(commands, replies) {
                let n = UInt64(command.count)
                switch reply {
                case .error(let e) where command.fenced && e.hasPrefix("NOSCRIPT") && !flushed:
                    flushed = true
                case .error(let e) where command.fenced && e.hasPrefix("NOSCRIPT"):
                    break
                case .error(let e):
                    failed += max(n, 1)
                    firstError = firstError ?? e
                case .integer(0) where command.fenced:
                    // The lease was no longer this node's: nothing of it was written.
                    fenced += n
                case .array(let parts) where command.fenced && parts.count == 2:
                    if case .integer(let w) = parts[0], case .integer(let f) = parts[1] {
                        written += UInt64(max(w, 0))
                        failed += UInt64(max(f, 0))
                    }
                default:
                    written += n
                }
            }
            return flushed
        }
    }

    /// State is re-queued unless a newer one arrived meanwhile; history is lost (counted).
    private func requeue(_ states: [String: StoredPublication], lostHistory: Int) {
        queue.withLock { q in
            for (name, p) in states where q.states[name] == nil { q.states[name] = p }
        }
        stats.withLock { $0.failedWrites += UInt64(lostHistory) }
    }

    /// Loads the cluster scripts on a new connection (their SHA1s name them from then on).
    private func loadScripts(_ c: RedisConnection) -> Bool {
        do {
            let replies = try c.pipeline([ClusterScripts.publish, ClusterScripts.state].map { [Array("SCRIPT".utf8), Array("LOAD".utf8), Array($0.utf8)] })
            guard case .string(let publish) = replies[0], case .string(let state) = replies[1] else {
                stats.withLock { $0.lastError = "SCRIPT LOAD: \(replies)" }
                return false
            }
            scripts = (publish, state)
            return true
        } catch {
            markDown("\(error)")
            return false
        }
    }

    private func serve(_ f: Fetch) {
        stats.withLock { $0.fetches += 1 }
        guard let c = connection, f.through > f.after else { return f.reply(f.through == f.after ? [] : nil) }
        do {
            let reply = try timings.time("redis", "xrange") { () throws(RedisError) in
                try c.command(["XRANGE", key("history:\(f.channel)"), "\(f.after + 1)-0", "\(f.through)-0"])
            }
            f.reply(Self.messages(reply, epoch: f.epoch, after: f.after, through: f.through))
        } catch {
            markDown("\(error)")
            f.reply(nil)
        }
    }

    private func failFetches() {
        let fetches = queue.withLock { q -> [Fetch] in
            let f = Array(q.fetches)
            q.fetches = []
            return f
        }
        for f in fetches { f.reply(nil) }
    }

    /// Stream entries → messages, only when they are exactly `after+1 … through` in `epoch`.
    public static func messages(_ reply: RedisReply, epoch: String, after: UInt64, through: UInt64) -> [StoredMessage]? {
        guard case .array(let entries) = reply, entries.count == Int(through - after) else { return nil }
        var out: [StoredMessage] = []
        out.reserveCapacity(entries.count)
        var expected = after + 1
        for e in entries {
            guard let (offset, ep, message) = Self.entry(e), offset == expected else { return nil }
            guard ep == epoch else { return nil }
            out.append(message)
            expected += 1
        }
        return out
    }

    /// One stream entry (`[id, [field, value, …]]`) → its offset, epoch (`_ep`) and message; nil
    /// when it is not shaped so.
    static func entry(_ e: RedisReply) -> (offset: UInt64, epoch: String?, message: StoredMessage)? {
        guard case .array(let parts) = e, parts.count == 2, let id = parts[0].text, case .array(let kv) = parts[1],
            let offset = UInt64(id.prefix { $0 != "-" })
        else { return nil }
        var ep: String?, ts: Int64 = 0, rt: Int64 = 0
        var fields: [StoredField] = []
        for i in stride(from: 0, to: kv.count - 1, by: 2) {
            guard case .string(let k) = kv[i], case .string(let v) = kv[i + 1] else { continue }
            switch String(decoding: k, as: UTF8.self) {
            case "_ep": ep = String(decoding: v, as: UTF8.self)
            case "_ts": ts = Int64(String(decoding: v, as: UTF8.self)) ?? 0
            case "_rt": rt = Int64(String(decoding: v, as: UTF8.self)) ?? 0
            case let name: fields.append(StoredField(name: name, json: v))
            }
        }
        return (offset, ep, StoredMessage(offset: offset, exchangeTime: ts, receiveTime: rt, fields: fields))
    }
}
