import Foundation
import GRDB

/// The control plane in one SQLite file (WAL) through GRDB: concurrent reads, one writer.
final class SQLiteBackend: StoreBackend, @unchecked Sendable {
    let dialect = SQLDialect.sqlite
    let location: String
    private let pool: DatabasePool

    /// The file (and SQLite's `-wal` and `-shm` beside it, which take its mode) is readable by
    /// its owner only: it holds password hashes and key digests.
    init(path: String) throws(StoreError) {
        location = path
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

    func read<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        try mapped { try pool.read { try body(Transaction(db: $0)) } }
    }

    /// SQLite has one writer: every write is serialised (`additive` changes nothing).
    func write<T>(additive: Bool, _ body: (any SQLTransaction) throws -> (value: T, commit: Bool)) throws(StoreError) -> T {
        try mapped {
            try pool.writeWithoutTransaction { db in
                var value: T?
                try db.inTransaction {
                    let outcome = try body(Transaction(db: db))
                    value = outcome.value
                    return outcome.commit ? .commit : .rollback
                }
                return value!
            }
        }
    }

    func exclusively<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T { try body() }

    /// SQLite's `integrity_check` and `foreign_key_check`.
    func integrityProblems() throws(StoreError) -> [String] {
        try mapped {
            try pool.read { db in
                var problems = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
                for row in try Row.fetchAll(db, sql: "PRAGMA foreign_key_check") {
                    problems.append("foreign key: table \(row[0] as String? ?? "?") row \(row[1] as Int64? ?? 0) refers to missing \(row[2] as String? ?? "?")")
                }
                return problems
            }
        }
    }

    private func mapped<T>(_ work: () throws -> T) throws(StoreError) -> T {
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

    private struct Transaction: SQLTransaction {
        let db: Database
        var dialect: SQLDialect { .sqlite }

        func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
            try db.execute(sql: sql, arguments: StatementArguments(arguments.map(\.databaseValue)))
            return db.changesCount
        }

        func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments.map(\.databaseValue))).map { row in
                SQLRow(
                    row.databaseValues.map { v in
                        switch v.storage {
                        case .null: return .null
                        case .int64(let i): return .integer(i)
                        case .double(let d): return .real(d)
                        case .string(let s): return .text(s)
                        case .blob(let b): return .text(String(decoding: b, as: UTF8.self))
                        }
                    })
            }
        }
    }
}

extension SQLValue {
    /// As GRDB stores it (dates as `yyyy-MM-dd HH:mm:ss.SSS` text, booleans as 0/1).
    var databaseValue: DatabaseValue {
        switch self {
        case .null: return .null
        case .integer(let i): return i.databaseValue
        case .real(let d): return d.databaseValue
        case .text(let s): return s.databaseValue
        case .bool(let b): return b.databaseValue
        case .date(let d): return d.databaseValue
        }
    }
}
