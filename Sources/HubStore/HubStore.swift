import Foundation
import HubCore

/// The control-plane store: users, roles, keys, flags, properties, mappings, alert rules and
/// usage. One SQLite file (WAL) in the data directory by default; a PostgreSQL database when
/// several nodes share it (`store.postgres`). Both run the same queries and the same
/// migrations (`Migrations.all`); `Tests/HubStoreTests` runs one contract suite on both.
///
/// Threading: every method may be called from any thread; the hub calls it from a worker
/// queue, never from the loop thread.
public final class HubStore: @unchecked Sendable {
    let backend: any StoreBackend
    /// How long reads and write transactions take (`/metrics`, `/api/monitoring/performance`),
    /// labelled by backend (`sqlite`, `postgres`).
    public let timings = CallTimings()

    /// Which database this store is (`sqlite` or `postgres`).
    public var dialect: SQLDialect { backend.dialect }
    /// The file, or the PostgreSQL server and database (without a password).
    public var location: String { backend.location }

    /// Opens (creating when missing) `streamhub.sqlite` in `dataDirectory`. Does not migrate.
    public convenience init(dataDirectory: String) throws(StoreError) {
        try self.init(path: URL(fileURLWithPath: dataDirectory).appendingPathComponent("streamhub.sqlite").path)
    }

    /// Opens a SQLite file (creating it, readable by its owner only).
    public convenience init(path: String) throws(StoreError) {
        self.init(backend: try SQLiteBackend(path: path))
    }

    /// Connects to a PostgreSQL database (`postgres://user@host:port/db`). Does not migrate.
    public convenience init(postgres url: String) throws(StoreError) {
        self.init(backend: try PostgresBackend(url: try PostgresURL(parsing: url)))
    }

    init(backend: any StoreBackend) {
        self.backend = backend
    }

    /// Runs `body` in a write transaction (committed when it returns); failures become `StoreError`.
    func writing<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        try timed("write") { () throws(StoreError) in try backend.write(additive: false) { (try body($0), true) } }
    }

    /// A write that only adds to counters (see `StoreBackend.write(additive:)`).
    func adding(_ body: (any SQLTransaction) throws -> Void) throws(StoreError) {
        try timed("write") { () throws(StoreError) in try backend.write(additive: true) { (try body($0), true) } }
    }

    /// Runs `body` in a write transaction committed only when it answers `commit`.
    func writeOrRollBack<T>(_ body: (any SQLTransaction) throws -> (value: T, commit: Bool)) throws(StoreError) -> T {
        try timed("write") { () throws(StoreError) in try backend.write(additive: false, body) }
    }

    /// Runs `body` on a read snapshot.
    func reading<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        try timed("read") { () throws(StoreError) in try backend.read(body) }
    }

    private func timed<T>(_ operation: String, _ work: () throws(StoreError) -> T) throws(StoreError) -> T {
        let start = MonotonicClock.nanoseconds()
        defer { timings.record(backend.dialect.rawValue, operation, nanoseconds: MonotonicClock.nanoseconds() &- start) }
        return try work()
    }

    /// What the database's own checks find wrong (empty: sound). For an operator after a crash
    /// or a disk fault (`streamhub migrate check`): SQLite's `integrity_check` and
    /// `foreign_key_check`; PostgreSQL's invalid constraints and indexes.
    public func integrityProblems() throws(StoreError) -> [String] {
        try backend.integrityProblems()
    }
}

/// Why a store operation failed.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    case open(String)
    case migration(String)
    case duplicate(String)
    case notFound(String)
    /// The change contradicts stored data (a role still assigned, …).
    case conflict(String)
    /// The request is well-formed but not allowed (deleting a protected role, …).
    case refused(String)
    case io(String)

    public var description: String {
        switch self {
        case .open(let s): return "cannot open the store: \(s)"
        case .migration(let s): return "migration failed: \(s)"
        case .duplicate(let s): return "already exists: \(s)"
        case .notFound(let s): return "not found: \(s)"
        case .conflict(let s): return "conflict: \(s)"
        case .refused(let s): return "refused: \(s)"
        case .io(let s): return "store error: \(s)"
        }
    }
}
