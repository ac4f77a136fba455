/// `redis://[:password@]host[:port][/db]` split for hiredis. Neither its description, its
/// mirror (`dump`) nor its parse errors show the password.
public struct RedisURL: Equatable, Sendable, CustomStringConvertible, CustomReflectable {
    public let host: String
    public let port: Int
    public let password: String?
    public let database: Int

    /// Errors show the URL with its password blanked (`redis://:***@host`).
    public init(parsing text: String) throws(RedisError) {
        let shown = Self.redacted(text)
        guard text.hasPrefix("redis://") else { throw .invalidURL("\(shown) (expected redis://host:port/db)") }
        var rest = Substring(text.dropFirst(8))
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let auth = rest[..<at]
            password = String(auth.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).last ?? "")
            rest = rest[rest.index(after: at)...]
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let n = Int(db), n >= 0 else { throw .invalidURL("\(shown) (bad database number)") }
                database = n
            }
            rest = rest[..<slash]
        }
        var port = 6379
        if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { throw .invalidURL("\(shown) (bad port)") }
            port = p
            rest = rest[..<colon]
        }
        guard !rest.isEmpty else { throw .invalidURL("\(shown) (no host)") }
        host = String(rest)
        self.port = port
        self.password = password.flatMap { $0.isEmpty ? nil : $0 }
        self.database = database
    }

    /// Without the password.
    public var description: String { "redis://\(host):\(port)/\(database)" }

    public var customMirror: Mirror {
        Mirror(self, children: ["host": host, "port": port, "database": database, "password": password == nil ? "none" : "***"])
    }

    /// `text` with whatever stands before an `@` (the credentials) replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        let scheme = text.range(of: "://").map { text[..<$0.upperBound] } ?? ""
        return "\(scheme):***\(text[at...])"
    }
}

/// Why a Redis operation failed.
public enum RedisError: Error, Equatable, CustomStringConvertible {
    case invalidURL(String)
    case connect(String)
    case io(String)
    case reply(String)

    public var description: String {
        switch self {
        case .invalidURL(let s): return "invalid Redis URL: \(s)"
        case .connect(let s): return "cannot connect to Redis: \(s)"
        case .io(let s): return "Redis I/O error: \(s)"
        case .reply(let s): return "Redis error: \(s)"
        }
    }
}
