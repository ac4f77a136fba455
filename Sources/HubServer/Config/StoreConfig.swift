import HubStore

extension HubConfig {
    /// Where the control plane lives: the SQLite file in `server.dataDir` (one node), or a
    /// PostgreSQL database the nodes of a cluster share (docs/guides/cluster.md).
    public struct Store: Sendable, Equatable {
        /// `postgres://user[:password]@host[:port]/database[?schema=name&sslmode=…&sslrootcert=…]`;
        /// empty: SQLite.
        /// A password belongs in the environment: `${STREAMHUB_POSTGRES_URL}`.
        public var postgres = ""
        public init() {}
    }

    /// Opens (does not migrate) the store this configuration names.
    public func openStore() throws(StoreError) -> HubStore {
        store.postgres.isEmpty ? try HubStore(dataDirectory: server.dataDir) : try HubStore(postgres: store.postgres)
    }
}

extension HubConfig.Store: Decodable {
    enum Keys: String, CodingKey, CaseIterable { case postgres }
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        self.init()
        postgres = try c.value(.postgres, postgres)
    }
}
