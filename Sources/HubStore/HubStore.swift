import Foundation
import GRDB
import HubCore

/// The control-plane store: one SQLite file (WAL) in the data directory, opened through GRDB.
/// Later issues add their tables as migrations (`Migrations.all`).
///
/// Threading: every method may be called from any thread (GRDB serialises writes and runs
/// reads concurrently); the hub calls it from a worker queue, never from the loop thread.
public final class HubStore: @unchecked Sendable {
    public let path: String
    let pool: DatabasePool
    /// How long reads and write transactions take (`/metrics`, `/api/monitoring/performance`).
    public let timings = CallTimings()

    /// Opens (creating when missing) `streamhub.sqlite` in `dataDirectory`. Does not migrate.
    public convenience init(dataDirectory: String) throws(StoreError) {
        try self.init(path: URL(fileURLWithPath: dataDirectory).appendingPathComponent("streamhub.sqlite").path)
    }

    /// The file (and SQLite's `-wal` and `-shm` beside it, which take its mode) is readable by
    /// its owner only: it holds password hashes and key digests.
    public init(path: String) throws(StoreError) {
        self.path = path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.open("\(path): \(String(cString: strerror(errno)))") }
        fchmod(fd, 0o600)
        close(fd)
        for side in ["-wal", "-shm"] { chmod(path + side, 0o600) }  // files of an earlier run
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(5)
        do {
            pool = try DatabasePool(path: path, configuration: config)
        } catch {
            throw StoreError.open("\(path): \(error)")
        }
    }

    /// Runs `body` in a write transaction; GRDB and SQLite errors become `StoreError`.
    func writing<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        try timedWrite { try pool.write(body) }
    }

    /// Times a write and maps its failures as `writing` does (the transaction is the caller's).
    func timedWrite<T>(_ work: () throws -> T) throws(StoreError) -> T {
        let start = MonotonicClock.nanoseconds()
        defer { timings.record("sqlite", "write", nanoseconds: MonotonicClock.nanoseconds() &- start) }
        do {
            return try work()
        } catch let e as StoreError {
            throw e
        } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
            // SQLite's text (`e.message`) names tables and columns: the caller gets the fact, not
            // the schema.
            throw StoreError.conflict("the change conflicts with stored data (\(e.resultCode))")
        } catch {
            throw StoreError.io("\(error)")
        }
    }

    /// Runs `body` on a read snapshot.
    func reading<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        let start = MonotonicClock.nanoseconds()
        defer { timings.record("sqlite", "read", nanoseconds: MonotonicClock.nanoseconds() &- start) }
        do {
            return try pool.read(body)
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.io("\(error)")
        }
    }

    // MARK: Migrations

    /// Applies every pending migration in order.
    public func migrate() throws(StoreError) {
        do {
            try Migrations.migrator.migrate(pool)
        } catch {
            throw StoreError.migration("\(error)")
        }
    }

    /// Each known migration and whether it is applied, in order.
    public func migrationStatus() throws(StoreError) -> [(id: String, applied: Bool)] {
        do {
            let applied = try pool.read { try Migrations.migrator.appliedIdentifiers($0) }
            return Migrations.all.map { ($0.id, applied.contains($0.id)) }
        } catch {
            throw StoreError.migration("\(error)")
        }
    }

    /// Rolls back the most recent applied migration; returns its id (nil when none is applied).
    @discardableResult
    public func rollbackLast() throws(StoreError) -> String? {
        do {
            return try pool.write { db -> String? in
                let applied = try Migrations.migrator.appliedIdentifiers(db)
                guard let last = Migrations.all.last(where: { applied.contains($0.id) }) else { return nil }
                try last.down(db)
                try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = ?", arguments: [last.id])
                return last.id
            }
        } catch {
            throw StoreError.migration("\(error)")
        }
    }

    /// SQLite's `integrity_check` and `foreign_key_check`: what they find wrong (empty: the
    /// file is sound). For an operator after a crash or a disk fault (`streamhub migrate check`).
    public func integrityProblems() throws(StoreError) -> [String] {
        do {
            return try pool.read { db in
                var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
                for row in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") {
                    problems.append("foreign key: table \(row[0] as String? ?? "?") row \(row[1] as Int64? ?? 0) refers to missing \(row[2] as String? ?? "?")")
                }
                return problems
            }
        } catch {
            throw StoreError.io("\(error)")
        }
    }

    /// Fails unless every migration is applied (the hub starts only on a current schema).
    public func requireCurrentSchema() throws(StoreError) {
        let pending = try migrationStatus().filter { !$0.applied }.map(\.id)
        if !pending.isEmpty { throw StoreError.migration("pending migrations: \(pending.joined(separator: ", "))") }
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
