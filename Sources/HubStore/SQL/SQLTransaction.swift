/// The SQL the store speaks differs in a few words between SQLite and PostgreSQL.
public enum SQLDialect: String, Sendable {
    case sqlite, postgres

    /// The larger of two values (`max(a, b)` in SQLite, `GREATEST` in PostgreSQL).
    func greatest(_ a: String, _ b: String) -> String {
        self == .sqlite ? "max(\(a), \(b))" : "GREATEST(\(a), \(b))"
    }

    /// The 1-based position of `needle` in `haystack`, 0 when absent (case-sensitive).
    func position(of needle: String, in haystack: String) -> String {
        self == .sqlite ? "instr(\(haystack), \(needle))" : "strpos(\(haystack), \(needle))"
    }

    /// A WHERE clause matching a username case-insensitively (SQLite: the column's NOCASE
    /// collation and its unique index; PostgreSQL: the unique index on `lower(username)`).
    var usernameMatches: String { self == .sqlite ? "username = ?" : "lower(username) = lower(?)" }

    /// A query answering one row when the table exists in the store's schema.
    var tableExists: String {
        self == .sqlite
            ? "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
            : "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?"
    }

    /// Appended to an ORDER BY on text: byte order, as SQLite sorts, whatever the PostgreSQL
    /// database's locale.
    var bytewise: String { self == .sqlite ? "" : " COLLATE \"C\"" }
}

/// One open transaction of a backend: statements with `?` placeholders and positional values.
/// The store's queries are written once, in the SQL both dialects share.
public protocol SQLTransaction {
    var dialect: SQLDialect { get }
    /// Runs a statement; returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [SQLValue]) throws -> Int
    func query(_ sql: String, _ arguments: [SQLValue]) throws -> [SQLRow]
}

extension SQLTransaction {
    @discardableResult
    func execute(_ sql: String, _ arguments: any SQLBindable...) throws -> Int {
        try execute(sql, arguments.map(\.sqlValue))
    }

    func rows(_ sql: String, _ arguments: any SQLBindable...) throws -> [SQLRow] {
        try query(sql, arguments.map(\.sqlValue))
    }

    func row(_ sql: String, _ arguments: any SQLBindable...) throws -> SQLRow? {
        try query(sql, arguments.map(\.sqlValue)).first
    }

    /// The first column of the first row, as an integer (COUNT, MAX, …); 0 without a row or on NULL.
    func integer(_ sql: String, _ arguments: any SQLBindable...) throws -> Int64 {
        guard let row = try query(sql, arguments.map(\.sqlValue)).first, try !row.isNull(0) else { return 0 }
        return try row.int(0)
    }

    func exists(_ sql: String, _ arguments: any SQLBindable...) throws -> Bool {
        try !query(sql, arguments.map(\.sqlValue)).isEmpty
    }
}

/// Where the control plane lives: a SQLite file (one node) or a PostgreSQL database (a cluster).
/// Backends map their own failures to `StoreError` (constraint violations to `.conflict`).
public protocol StoreBackend: AnyObject, Sendable {
    var dialect: SQLDialect { get }
    /// The file, or the server and database (never a password).
    var location: String { get }
    /// Runs `body` on a consistent snapshot.
    func read<T>(_ body: (any SQLTransaction) throws -> T) throws(StoreError) -> T
    /// Runs `body` in a write transaction, committed only when it answers `commit`. Writes are
    /// serialisable — `body` may run again when PostgreSQL reports a conflict with another
    /// node — unless `additive`: writes that only add to counters and never read what they
    /// decide on (usage roll-ups) run at PostgreSQL's READ COMMITTED.
    func write<T>(additive: Bool, _ body: (any SQLTransaction) throws -> (value: T, commit: Bool)) throws(StoreError) -> T
    /// What the database's own checks find wrong (empty: sound).
    func integrityProblems() throws(StoreError) -> [String]
    /// Runs `body` while no other process migrates the same database (PostgreSQL: an advisory
    /// lock; SQLite: its write lock already serialises each step).
    func exclusively<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T
}
