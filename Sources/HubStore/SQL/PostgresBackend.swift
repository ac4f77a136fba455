import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// The control plane in a PostgreSQL database that several hub nodes share, through
/// postgres-nio. One connection per store, one transaction at a time (the hub calls the store
/// from one worker queue; the control plane is small and read far more than written). Writes
/// run SERIALIZABLE, so the checks a write makes (the last admin, a taken name) hold against
/// other nodes' concurrent writes as they do under SQLite's single writer; a serialisation
/// failure runs the write again. A dropped connection is opened again on the next call.
final class PostgresBackend: StoreBackend, @unchecked Sendable {
    let dialect = SQLDialect.postgres
    let location: String
    private let url: PostgresURL
    private let lock = NSLock()
    private var connection: PostgresConnection?
    private var connections = 0
    private let logger = Logger(label: "streamhub.store.postgres")
    /// How often a write that lost a serialisation race runs again before it fails.
    static let writeAttempts = 8

    init(url: PostgresURL) throws(StoreError) {
        self.url = url
        location = url.display
        do {
            try lock.withLock { _ = try connected() }
        } catch {
            throw StoreError.open("\(url.display): \(Self.describe(error))")
        }
    }

    deinit {
        try? connection?.close().wait()
    }

    func read<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T {
        try mapped {
            try lock.withLock {
                let db = try connected()
                try db.simple("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                do {
                    let value = try body(db)
                    try db.simple("COMMIT")
                    return value
                } catch {
                    try? db.simple("ROLLBACK")
                    throw error
                }
            }
        }
    }

    func write<T>(_ body: (any SQLTransaction) throws -> (value: T, commit: Bool)) throws(StoreError) -> T {
        try mapped {
            try lock.withLock {
                var attempt = 1
                while true {
                    let db = try connected()
                    do {
                        try db.simple("BEGIN ISOLATION LEVEL SERIALIZABLE")
                        let outcome = try body(db)
                        try db.simple(outcome.commit ? "COMMIT" : "ROLLBACK")
                        return outcome.value
                    } catch let e as PSQLError where Self.isSerialisationFailure(e) && attempt < Self.writeAttempts {
                        try? db.simple("ROLLBACK")
                        attempt += 1
                    } catch {
                        try? db.simple("ROLLBACK")
                        throw error
                    }
                }
            }
        }
    }

    /// Holds a session advisory lock (one key per schema) around `body`: nodes starting together
    /// migrate one after the other, and each sees what the one before applied.
    func exclusively<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try mapped { try lock.withLock { try connected().simple("SELECT pg_advisory_lock(hashtext(current_schema()))") } }
        defer { _ = try? lock.withLock { try connection.map { try Connection(connection: $0, logger: logger).simple("SELECT pg_advisory_unlock_all()") } } }
        return try body()
    }

    /// Constraints left NOT VALID and indexes a failed build left invalid, in the store's schema
    /// (PostgreSQL checks everything else itself).
    func integrityProblems() throws(StoreError) -> [String] {
        try read { db in
            var problems: [String] = []
            for row in try db.rows(
                "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE NOT convalidated AND connamespace = current_schema()::regnamespace")
            {
                problems.append("\(try row.text(0)): constraint \(try row.text(1)) is not validated")
            }
            for row in try db.rows(
                """
                SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                WHERE NOT i.indisvalid AND c.relnamespace = current_schema()::regnamespace
                """)
            {
                problems.append("index \(try row.text(0)) is invalid")
            }
            return problems
        }
    }

    // MARK: Connection

    /// The open connection, or a new one (the first, or after the server dropped the last).
    private func connected() throws -> Connection {
        if let c = connection, !c.isClosed { return Connection(connection: c, logger: logger) }
        connection = nil
        var config = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: .disable)
        config.options.connectTimeout = .seconds(5)
        if let schema = url.schema { config.options.additionalStartupParameters = [("search_path", schema)] }
        connections += 1
        let c = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: config, id: connections, logger: logger)
            .wait()
        connection = c
        let db = Connection(connection: c, logger: logger)
        if let schema = url.schema { try db.simple("CREATE SCHEMA IF NOT EXISTS \(schema)") }
        return db
    }

    static func isSerialisationFailure(_ e: PSQLError) -> Bool {
        e.code == .server && ["40001", "40P01"].contains(e.serverInfo?[.sqlState] ?? "")
    }

    private func mapped<T>(_ work: () throws -> T) throws(StoreError) -> T {
        do {
            return try work()
        } catch let e as StoreError {
            throw e
        } catch let e as PSQLError where e.code == .server && (e.serverInfo?[.sqlState] ?? "").hasPrefix("23") {
            // The server's text names tables and columns: the caller gets the fact, not the schema.
            throw StoreError.conflict("the change conflicts with stored data (SQLSTATE \(e.serverInfo?[.sqlState] ?? "?"))")
        } catch {
            if connection?.isClosed == true { connection = nil }
            throw StoreError.io("postgres: \(Self.describe(error))")
        }
    }

    /// PSQLError hides the server's message from `description` (it may hold data): the message
    /// and SQLSTATE are what an operator needs.
    static func describe(_ error: any Error) -> String {
        guard let e = error as? PSQLError else { return "\(error)" }
        if let info = e.serverInfo {
            return "\(info[.message] ?? "server error") (SQLSTATE \(info[.sqlState] ?? "?"))"
        }
        return "\(e.code)" + (e.underlying.map { ": \($0)" } ?? "")
    }

    /// A connection as a transaction handle: `?` placeholders become `$1…`, values bind typed.
    private struct Connection: SQLTransaction {
        let connection: PostgresConnection
        let logger: Logger
        var dialect: SQLDialect { .postgres }

        func simple(_ sql: String) throws {
            _ = try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait()
        }

        func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int {
            try run(sql, arguments).metadata.rows ?? 0
        }

        func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow] {
            try run(sql, arguments).rows.map { row in SQLRow(try row.map(Self.value)) }
        }

        private func run(_ sql: String, _ arguments: [SQLValue]) throws -> PostgresQueryResult {
            var binds = PostgresBindings(capacity: arguments.count)
            for a in arguments {
                switch a {
                case .null: binds.appendNull()
                case .integer(let i): binds.append(i)
                case .real(let d): binds.append(d)
                case .text(let s): binds.append(s)
                case .bool(let b): binds.append(b)
                // Milliseconds, as SQLite keeps them: both backends give back the same dates.
                case .date(let d): binds.append(Date(timeIntervalSince1970: (d.timeIntervalSince1970 * 1000).rounded() / 1000))
                }
            }
            return try connection.query(PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds), logger: logger).wait()
        }

        /// `?` outside quotes → `$1`, `$2`, …
        static func numbered(_ sql: String) -> String {
            var out = ""
            out.reserveCapacity(sql.count + 16)
            var n = 0
            var quote: Character?
            for ch in sql {
                if let q = quote {
                    if ch == q { quote = nil }
                    out.append(ch)
                } else if ch == "'" || ch == "\"" {
                    quote = ch
                    out.append(ch)
                } else if ch == "?" {
                    n += 1
                    out += "$\(n)"
                } else {
                    out.append(ch)
                }
            }
            return out
        }

        static func value(_ cell: PostgresCell) throws -> SQLValue {
            guard cell.bytes != nil else { return .null }
            switch cell.dataType {
            case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
            case .float4, .float8: return .real(try cell.decode(Double.self))
            case .numeric:
                // SUM over BIGINT answers NUMERIC.
                var d = try cell.decode(Decimal.self)
                var whole = Decimal()
                NSDecimalRound(&whole, &d, 0, .plain)
                let n = NSDecimalNumber(decimal: d)
                return whole == d && abs(n.doubleValue) < 9.2e18 ? .integer(n.int64Value) : .real(n.doubleValue)
            case .bool: return .bool(try cell.decode(Bool.self))
            case .timestamptz, .timestamp: return .date(try cell.decode(Date.self))
            default: return .text(try cell.decode(String.self))
            }
        }
    }
}
