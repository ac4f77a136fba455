import Foundation

extension HubConfig {
    /// Several hub nodes over one Redis (docs/guides/cluster.md). Off: one embedded node.
    public struct Cluster: Sendable, Equatable {
        /// Requires `redis.url`.
        public var enabled = false
        /// This node's name in leases, announcements and `/api/cluster` (letters, digits, `.`,
        /// `_`, `-`); empty: `<host>-<pid>`.
        public var nodeId = ""
        /// How soon another node takes a dead node's feeds: leases live half of it and are renewed
        /// every quarter of their life.
        public var failoverSeconds = 5.0
        /// Pub/sub shards publications travel on (`SPUBLISH`).
        public var shards = 16
        /// Where clients reach this node (shown in `/api/cluster`), e.g. `wss://hub-a.example:443`.
        public var advertiseURL = ""
        public init() {}

        /// `nodeId`, or `<host>-<pid>` when it is empty.
        public var resolvedNodeId: String {
            if !nodeId.isEmpty { return nodeId }
            let host = ProcessInfo.processInfo.hostName.filter { Self.allowed($0) }
            return "\(host.isEmpty ? "node" : host)-\(ProcessInfo.processInfo.processIdentifier)"
        }

        static func allowed(_ c: Character) -> Bool {
            c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "_" || c == "-")
        }
    }
}

extension HubConfig.Cluster: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case enabled, nodeId, failoverSeconds, shards, advertiseURL }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        enabled = try c.value(.enabled, enabled)
        nodeId = try c.value(.nodeId, nodeId)
        failoverSeconds = try c.value(.failoverSeconds, failoverSeconds)
        shards = try c.value(.shards, shards)
        advertiseURL = try c.value(.advertiseURL, advertiseURL)
    }
}
