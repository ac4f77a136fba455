/// How the Redis history store writes and how long it keeps things.
public struct RedisHistoryStoreConfig: Sendable, Equatable {
    /// Keys are `<prefix>:state:<channel>`, `<prefix>:history:<channel>`, `<prefix>:channels`.
    public var keyPrefix = "streamhub"
    /// Entries kept per channel stream (`XADD … MAXLEN ~ N`).
    public var historyLength = 10_000
    /// History entries queued while Redis is slow or down; older ones are dropped beyond it.
    public var maxPendingHistory = 100_000
    /// Connect and command timeout.
    public var timeoutSeconds = 2.0
    /// Longest the writer waits to gather a batch.
    public var flushIntervalSeconds = 0.005

    /// Set on a cluster node: every write is fenced by its lease and announced to the other nodes.
    public var cluster: ClusterWriting?

    public init() {}
}

/// How a cluster node writes: its id (in every announcement) and the cluster's keys.
public struct ClusterWriting: Sendable, Equatable {
    public var node: String
    public var keys: ClusterKeys

    public init(node: String, keys: ClusterKeys) {
        self.node = node
        self.keys = keys
    }
}
