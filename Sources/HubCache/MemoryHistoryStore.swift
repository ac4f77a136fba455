import HubCore

/// The embedded default: no persistence beyond the channel rings. Recovery reaches as far back
/// as the rings hold; a restart starts every channel in a new epoch.
public final class MemoryHistoryStore: HistoryStore {
    public init() {}
    public func record(_ publication: StoredPublication) {}
    public func fetch(channel: String, epoch: String, after: UInt64, through: UInt64, reply: @escaping @Sendable ([StoredMessage]?) -> Void) {
        reply(nil)
    }
    public func restore() -> [RestoredChannel] { [] }
    public var health: HistoryStoreHealth { HistoryStoreHealth(backend: "memory", state: .ok) }
}
