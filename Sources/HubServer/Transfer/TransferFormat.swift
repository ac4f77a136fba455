/// What `streamhub import|export` and the REST import and export routes move.
public enum TransferKind: String, CaseIterable, Sendable {
    case users, roles, properties, flags

    /// The formats a kind is read and written in; the first is the default.
    public var formats: [TransferFormat] {
        switch self {
        case .users, .roles: return [.json, .csv]
        case .properties: return [.json]
        case .flags: return [.client, .admin]
        }
    }
}

/// `json` and `csv` for users and roles; Unleash's `client` (client-features) and `admin`
/// (`features-batch` export) documents for flags.
public enum TransferFormat: String, CaseIterable, Sendable {
    case json, csv, client, admin

    public var contentType: String { self == .csv ? "text/csv" : "application/json" }

    /// `name` for `kind`, or a message naming the formats it has (no name: the default).
    public static func named(_ name: String?, for kind: TransferKind) -> Result<TransferFormat, TransferInputError> {
        guard let name else { return .success(kind.formats[0]) }
        // `json` for flags is their client-features document.
        if kind == .flags && name == "json" { return .success(.client) }
        guard let f = TransferFormat(rawValue: name), kind.formats.contains(f) else {
            return .failure(
                TransferInputError(
                    "\(kind.rawValue) are imported and exported as \(kind.formats.map(\.rawValue).joined(separator: " or ")), not '\(name.prefix(32))'"))
        }
        return .success(f)
    }
}

/// A file or body that cannot be read at all (not JSON, no header row, an unknown format).
public struct TransferInputError: Error, CustomStringConvertible {
    public let description: String
    /// The part of the file at fault, when one is (`features`).
    public let field: String?
    public init(_ description: String, field: String? = nil) {
        self.description = description
        self.field = field
    }
}
