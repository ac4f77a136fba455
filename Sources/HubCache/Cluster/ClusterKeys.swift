import HubCore

/// Where a cluster keeps its coordination in Redis, under the store's key prefix:
///
/// - `<prefix>:lease:<name>` — a lease: the holder's fencing token `<node>/<n>`, with a TTL;
/// - `<prefix>:fence:<name>` — the lease's counter (`n` rises with every acquisition);
/// - `<prefix>:lease-channels:<name>` — the channels published under the lease (a takeover
///   reads their latest publications);
/// - `<prefix>:node:<id>` — a live node's description, with a TTL;
/// - `<prefix>:pub:<shard>` — the sharded pub/sub channels (`SPUBLISH`) publications travel on;
/// - `<prefix>:control` — the pub/sub channel control-plane changes are announced on.
public struct ClusterKeys: Sendable, Equatable {
    public let prefix: String
    /// Pub/sub shards: a hub channel always travels on the same one (its order is kept).
    public let shards: Int

    public init(prefix: String, shards: Int = 16) {
        self.prefix = prefix
        self.shards = max(1, shards)
    }

    public func lease(_ name: String) -> String { "\(prefix):lease:\(name)" }
    public func fence(_ name: String) -> String { "\(prefix):fence:\(name)" }
    public func leaseChannels(_ name: String) -> String { "\(prefix):lease-channels:\(name)" }
    public func node(_ id: String) -> String { "\(prefix):node:\(id)" }
    public var nodePattern: String { "\(prefix):node:*" }
    public var control: String { "\(prefix):control" }
    public var allShards: [String] { (0..<shards).map(shard) }
    public func shard(_ i: Int) -> String { "\(prefix):pub:\(i)" }

    /// The shard a hub channel's publications travel on (FNV-1a of the name).
    public func shard(of channel: String) -> String {
        shard(Int(FNV1a.hash(channel.utf8) % UInt32(shards)))
    }
}
