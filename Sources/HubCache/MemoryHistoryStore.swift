import DequeModule
import HubCore
import Synchronization

/// The embedded default: history in this process. With `historyLength` 0 nothing is kept
/// beyond the channel rings; above it, each channel keeps its newest `historyLength`
/// publications (its epoch's) for recovery beyond the ring, and its latest state. Nothing
/// survives a restart: `restore` returns what this instance recorded. Behaves as the Redis
/// store does (`HistoryStoreContract` runs one body against both).
///
/// Threading: thread-safe (a lock; the loop records, fetch replies on the caller's thread).
public final class MemoryHistoryStore: HistoryStore {
    private struct ChannelHistory {
        var epoch: String
        /// The newest publications, oldest first; the encodings are shared, never copied.
        var entries: Deque<StoredPublication> = []
        var latest: StoredPublication
    }

    public let historyLength: Int
    private let channels = Mutex<[String: ChannelHistory]>([:])
    private let counters = Mutex(HistoryStoreHealth(backend: "memory", state: .ok))

    public init(historyLength: Int = 0) {
        self.historyLength = historyLength
    }

    public func record(_ p: StoredPublication) {
        guard historyLength > 0 else { return }
        channels.withLock { all in
            // Mutated in place: a copy taken out of the dictionary would share the deque's
            // buffer and copy every entry on append.
            if all[p.channel]?.epoch != p.epoch {
                // New, or a new epoch: the channel's offsets started again, its history with them.
                all[p.channel] = ChannelHistory(epoch: p.epoch, latest: p)
            }
            all[p.channel]!.entries.append(p)
            if all[p.channel]!.entries.count > historyLength { all[p.channel]!.entries.removeFirst() }
            all[p.channel]!.latest = p
        }
        counters.withLock { $0.writes += 2 }  // state and history, as Redis counts them
    }

    @discardableResult
    public func fetch(channel: String, epoch: String, after: UInt64, through: UInt64, reply: @escaping @Sendable ([StoredMessage]?) -> Void) -> UInt64 {
        counters.withLock { $0.fetches += 1 }
        let found: [StoredMessage]? = channels.withLock { all in
            // An empty range is always there; a reversed one never.
            guard after < through else { return after == through ? [] : nil }
            guard let h = all[channel], h.epoch == epoch else { return nil }
            guard let first = h.entries.first, first.offset <= after + 1, let last = h.entries.last, last.offset >= through else { return nil }
            let range = h.entries.filter { $0.offset > after && $0.offset <= through }
            guard range.count == Int(through - after) else { return nil }
            return range.map(Self.message)
        }
        reply(found)
        return 0
    }

    /// Fetches are answered at once: there is nothing to cancel.
    public func cancelFetch(_ ticket: UInt64) {}

    public func restore() -> [RestoredChannel] {
        channels.withLock { all in
            all.keys.sorted().map { name in
                let p = all[name]!.latest
                return RestoredChannel(
                    name: name, epoch: p.epoch, offset: p.offset, exchangeTime: p.exchangeTime, receiveTime: p.receiveTime,
                    fields: Self.fields(p).sorted { $0.name < $1.name })
            }
        }
    }

    public var health: HistoryStoreHealth { counters.withLock { $0 } }

    private static func fields(_ p: StoredPublication) -> [StoredField] {
        p.fields.map { StoredField(name: $0.name, json: Array($0.json)) }
    }

    private static func message(_ p: StoredPublication) -> StoredMessage {
        StoredMessage(offset: p.offset, exchangeTime: p.exchangeTime, receiveTime: p.receiveTime, fields: fields(p))
    }
}
