import Foundation

/// `postgres://user[:password]@host[:port]/database[?schema=name&sslmode=…&sslrootcert=…]`:
/// where the control plane lives when several nodes share it. `schema` keeps the tables in a
/// schema of their own (created when missing), so one database can serve several hubs or test
/// runs. `sslmode` as libpq spells it: `disable` (the default), `require` (encrypted, the
/// server's certificate not checked), `verify-ca` (signed by a trusted CA), `verify-full` (and
/// issued to `host`); `sslrootcert` names the PEM file of the CAs to trust (default: the
/// system's).
public struct PostgresURL: Sendable, Equatable {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var schema: String?
    public var tls = TLSMode.disable
    public var rootCertificate: String?

    public init(parsing text: String) throws(StoreError) {
        guard let c = URLComponents(string: text), c.scheme == "postgres" || c.scheme == "postgresql" else {
            throw StoreError.open("store.postgres must look like postgres://user@host:5432/database (got '\(Self.redacted(text))')")
        }
        guard let host = c.host, !host.isEmpty else { throw StoreError.open("store.postgres has no host") }
        guard let user = c.user, !user.isEmpty else { throw StoreError.open("store.postgres has no user name") }
        let database = String(c.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw StoreError.open("store.postgres names no database (…/database)") }
        self.host = host
        port = c.port ?? 5432
        guard (1...65535).contains(port) else { throw StoreError.open("store.postgres port \(port) is out of range") }
        username = user
        password = c.password
        self.database = database
        for item in c.queryItems ?? [] {
            switch item.name {
            case "schema":
                guard let s = item.value, s.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
                    throw StoreError.open("store.postgres schema must be a lower-case identifier (letters, digits, _)")
                }
                schema = s
            case "sslmode":
                guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                    throw StoreError.open(
                        "store.postgres sslmode must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")) (got '\(item.value ?? "")')")
                }
                tls = mode
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else { throw StoreError.open("store.postgres sslrootcert names no file") }
                rootCertificate = path
            default:
                throw StoreError.open("store.postgres: unknown or unsupported option '\(item.name)=\(item.value ?? "")'")
            }
        }
    }

    /// The URL as it may be shown (logs, `streamhub migrate`): without its password.
    public var display: String {
        var options = schema.map { ["schema=\($0)"] } ?? []
        if tls != .disable { options.append("sslmode=\(tls.rawValue)") }
        return "postgres://\(username)@\(host):\(port)/\(database)" + (options.isEmpty ? "" : "?" + options.joined(separator: "&"))
    }

    static func redacted(_ text: String) -> String {
        text.replacingOccurrences(of: #"(//[^:/@]*):[^@]*@"#, with: "$1:***@", options: .regularExpression)
    }
}
