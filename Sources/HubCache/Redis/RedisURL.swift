/// `redis://[:password@]host[:port][/db]` split for hiredis.
public struct RedisURL: Equatable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let password: String?
    public let database: Int

    public init(parsing text: String) throws(RedisError) {
        guard text.hasPrefix("redis://") else { throw .invalidURL("\(text) (expected redis://host:port/db)") }
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
                guard let n = Int(db), n >= 0 else { throw .invalidURL("\(text) (bad database number)") }
                database = n
            }
            rest = rest[..<slash]
        }
        var port = 6379
        if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else { throw .invalidURL("\(text) (bad port)") }
            port = p
            rest = rest[..<colon]
        }
        guard !rest.isEmpty else { throw .invalidURL("\(text) (no host)") }
        host = String(rest)
        self.port = port
        self.password = password.flatMap { $0.isEmpty ? nil : $0 }
        self.database = database
    }

    /// Without the password.
    public var description: String { "redis://\(host):\(port)/\(database)" }
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
