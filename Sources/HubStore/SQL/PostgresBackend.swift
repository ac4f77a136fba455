import Foundation
import HubCore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
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
    /// TLS as the URL's `sslmode` asks; made once, so a bad CA file fails at open.
    private let tls: PostgresConnection.Configuration.TLS
    /// How often a write that lost a serialisation race runs again before it fails.
    static let writeAttempts = 8
    /// How long a statement may go unanswered before the connection is given up.
    let answerSeconds: Int64
    /// The same while migrating (`exclusively`).
    static let migrationSeconds: Int64 = 600
    /// The answer limit now (`answerSeconds`, or `migrationSeconds` while migrating).
    private var limit: Int64
    /// After a failed connection attempt, calls fail at once for this long (no call waits for
    /// a server known to be down; the store queue keeps moving).
    static let reconnectPause: UInt64 = 2_000_000_000
    private var lastConnectFailure: (at: UInt64, message: String)?

    init(url: PostgresURL, answerSeconds: Int64 = 15) throws(StoreError) {
        self.url = url
        self.answerSeconds = answerSeconds
        limit = answerSeconds
        location = url.display
        do {
            tls = try Self.tls(url)
        } catch {
            throw StoreError.open("\(url.display): TLS: \(error)")
        }
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
            try locked {
                let db = try begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                do {
                    let value = try body(db)
                    try db.simple("COMMIT")
                    return value
                } catch {
                    if !Self.isConnectionLoss(error) { try? db.simple("ROLLBACK") }
                    throw error
                }
            }
        }
    }

    func write<T>(additive: Bool, _ body: (any SQLTransaction) throws -> (value: T, commit: Bool)) throws(StoreError) -> T {
        try mapped {
            try locked {
                var attempt = 1
                while true {
                    let db = try begin("BEGIN ISOLATION LEVEL \(additive ? "READ COMMITTED" : "SERIALIZABLE")")
                    do {
                        let outcome = try body(db)
                        guard outcome.commit else {
                            try db.simple("ROLLBACK")
                            return outcome.value
                        }
                        do {
                            try db.simple("COMMIT")
                        } catch  where Self.isConnectionLoss(error) {
                            throw StoreError.io("postgres: the connection was lost while committing; the change may or may not be stored")
                        }
                        return outcome.value
                    } catch let e as PSQLError where !additive && Self.isSerialisationFailure(e) && attempt < Self.writeAttempts {
                        try? db.simple("ROLLBACK")
                        // Apart, so the nodes that collided do not collide again at once.
                        usleep(UInt32.random(in: 1_000...5_000) * UInt32(attempt))
                        attempt += 1
                    } catch {
                        if !Self.isConnectionLoss(error) && !db.connection.isClosed { try? db.simple("ROLLBACK") }
                        throw error
                    }
                }
            }
        }
    }

    /// Holds a session advisory lock (one key per schema) around `body`: nodes starting together
    /// migrate one after the other, and each sees what the one before applied.
    /// Waiting for the lock and the migrations' statements (an index on a large table) may take
    /// long: answers may take `migrationSeconds` meanwhile. If the connection is replaced under
    /// way (the lock went with the old one), the call fails rather than go on unlocked.
    func exclusively<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        let held = try mapped {
            try locked { () throws -> Int in
                limit = Self.migrationSeconds
                try connected().simple("SELECT pg_advisory_lock(hashtext(current_schema()))")
                return connections
            }
        }
        defer {
            lock.withLock {
                limit = answerSeconds
                if connections == held, let c = connection {
                    try? Connection(connection: c, logger: logger, answerSeconds: answerSeconds).simple("SELECT pg_advisory_unlock_all()")
                }
            }
        }
        let value = try body()
        guard lock.withLock({ connections == held }) else {
            throw StoreError.migration("the connection to PostgreSQL was lost while migrating, and the migration lock with it; start again")
        }
        return value
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

    /// Opens a transaction. A connection the server dropped (a restart, an administrator, an idle
    /// timeout) fails here, before anything ran: it is replaced and the BEGIN sent again once.
    private func begin(_ sql: String) throws -> Connection {
        let db = try connected()
        do {
            try db.simple(sql)
            return db
        } catch  where Self.isConnectionLoss(error) {
            drop()
            let fresh = try connected()
            try fresh.simple(sql)
            return fresh
        }
    }

    /// Runs `body` holding the connection lock; a lost connection is dropped before the lock is
    /// released, so the next call opens a new one.
    private func locked<T>(_ body: () throws -> T) throws -> T {
        try lock.withLock {
            do {
                return try body()
            } catch  where Self.isConnectionLoss(error) {
                drop()
                throw error
            }
        }
    }

    private func drop() {
        try? connection?.close().wait()
        connection = nil
    }

    /// Not an answer to the statement but the end of the connection: no answer in time, a
    /// client-side failure, or the server's "terminating connection" (57P01–57P03) and
    /// connection exceptions (08…).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if error is NoAnswer { return true }
        guard let e = error as? PSQLError else { return false }
        guard e.code == .server else { return true }
        let state = e.serverInfo?[.sqlState] ?? ""
        return state.hasPrefix("57P") || state.hasPrefix("08")
    }

    /// The open connection, or a new one (the first, or after the server dropped the last).
    private func connected() throws -> Connection {
        if let c = connection, !c.isClosed { return Connection(connection: c, logger: logger, answerSeconds: limit) }
        connection = nil
        let now = MonotonicClock.nanoseconds()
        if let failed = lastConnectFailure, now &- failed.at < Self.reconnectPause {
            throw StoreError.io("postgres: unreachable (\(failed.message)); trying again \(Self.reconnectPause / 1_000_000_000) s after the last attempt")
        }
        var config = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.username, password: url.password, database: url.database, tls: tls)
        config.options.connectTimeout = .seconds(5)
        if let schema = url.schema { config.options.additionalStartupParameters = [("search_path", "\"\(schema)\"")] }
        connections += 1
        let c: PostgresConnection
        do {
            c = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: config, id: connections, logger: logger)
                .wait()
            lastConnectFailure = nil
        } catch {
            lastConnectFailure = (MonotonicClock.nanoseconds(), Self.describe(error))
            throw error
        }
        connection = c
        let db = Connection(connection: c, logger: logger, answerSeconds: limit)
        // Created only when missing: CREATE SCHEMA needs a right on the database that a user
        // given a prepared schema may lack; two nodes creating it at once is no failure.
        if let schema = url.schema, try db.query("SELECT 1 FROM pg_namespace WHERE nspname = ?", [.text(schema)]).isEmpty {
            do {
                try db.simple("CREATE SCHEMA IF NOT EXISTS \"\(schema)\"")
            } catch let e as PSQLError where ["42P06", "23505"].contains(e.serverInfo?[.sqlState] ?? "") {}
        }
        return db
    }

    /// `sslmode` as libpq means it: `require` encrypts without checking the certificate,
    /// `verify-ca` checks it against the trusted CAs, `verify-full` also checks the host name.
    static func tls(_ url: PostgresURL) throws -> PostgresConnection.Configuration.TLS {
        guard url.tls != .disable else { return .disable }
        if url.tls == .verifyFull, url.host.range(of: #"^[0-9.]+$|:"#, options: .regularExpression) != nil {
            throw StoreError.open("sslmode=verify-full checks the certificate against a host name, not an address (\(url.host)); use verify-ca")
        }
        var config = TLSConfiguration.makeClientConfiguration()
        switch url.tls {
        case .disable, .require: config.certificateVerification = .none
        case .verifyCA: config.certificateVerification = .noHostnameVerification
        case .verifyFull: config.certificateVerification = .fullVerification
        }
        if let file = url.rootCertificate { config.trustRoots = .file(file) }
        // Loads and checks the roots now (NIOSSLContext would only read the file on connect).
        if let file = url.rootCertificate { _ = try NIOSSLCertificate.fromPEMFile(file) }
        return .require(try NIOSSLContext(configuration: config))
    }

    /// A write that lost a race with another node's: a serialisation failure, a deadlock, or a
    /// unique violation from an insert the other transaction made first (PostgreSQL reports
    /// those as 23505 when this one never read the key; run again, the write sees the row).
    static func isSerialisationFailure(_ e: PSQLError) -> Bool {
        e.code == .server && ["40001", "40P01", "23505"].contains(e.serverInfo?[.sqlState] ?? "")
    }

    private func mapped<T>(_ work: () throws -> T) throws(StoreError) -> T {
        do {
            return try work()
        } catch let e as StoreError {
            throw e
        } catch let e as NoAnswer {
            throw StoreError.io("postgres: no answer within \(e.seconds) s; the connection was closed")
        } catch let e as PSQLError where Self.isSerialisationFailure(e) && e.serverInfo?[.sqlState] != "23505" {
            throw StoreError.conflict("other nodes kept changing the same data (\(Self.writeAttempts) attempts); try again")
        } catch let e as PSQLError where e.code == .server && (e.serverInfo?[.sqlState] ?? "").hasPrefix("23") {
            // The server's text names tables and columns: the caller gets the fact, not the schema.
            throw StoreError.conflict("the change conflicts with stored data (SQLSTATE \(e.serverInfo?[.sqlState] ?? "?"))")
        } catch {
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
        let answerSeconds: Int64
        var dialect: SQLDialect { .postgres }

        func simple(_ sql: String) throws {
            _ = try bounded(connection.query(PostgresQuery(unsafeSQL: sql), logger: logger))
        }

        /// Waits for an answer at most `answerSeconds`, then closes the
        /// connection: a server gone without a word (a half-open TCP connection after a
        /// failover) fails the call instead of blocking the store queue, and the next call
        /// connects again.
        private func bounded<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
            // The answer or the timer, whichever comes first (a promise ignores the second):
            // a query on a connection being closed may never be answered at all.
            let connection = connection, seconds = answerSeconds
            let outcome = connection.eventLoop.makePromise(of: T.self)
            let answered = Flag()
            future.whenComplete { _ in answered.set() }
            future.cascade(to: outcome)
            // Both run on the connection's event loop: an answer that came first is never cut off.
            let timer = connection.eventLoop.scheduleTask(in: .seconds(seconds)) {
                guard !answered.isSet else { return }
                outcome.fail(NoAnswer(seconds: seconds))
                connection.close().whenComplete { _ in }
            }
            defer { timer.cancel() }
            return try outcome.futureResult.wait()
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
            return try bounded(connection.query(PostgresQuery(unsafeSQL: Self.numbered(sql), binds: binds), logger: logger))
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

/// A statement went unanswered for `seconds`: the connection is closed and given up.
struct NoAnswer: Error {
    let seconds: Int64
}

/// Set once on an event loop, read on it (and elsewhere).
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
