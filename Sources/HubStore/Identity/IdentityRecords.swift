import Foundation
import GRDB
import HubCore

/// A user as the REST API and the CLI show it (never the password hash).
public struct UserAccount: Sendable, Equatable, Codable {
    public var id: Int64
    public var username: String
    public var displayName: String?
    public var disabled: Bool
    public var roles: [String]
    /// Whether password login is possible (bots may have API keys only).
    public var hasPassword: Bool
    public var createdAt: Date
    public var updatedAt: Date
}

/// A user and the hash to check a password against (login only).
public struct UserCredentials: Sendable {
    public let account: UserAccount
    public let passwordHash: String?
}

/// One entry of the audit log: who changed what, when.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var at: Date
    /// `user:<id>`, `cli` or `system`.
    public var actor: String
    /// `user.create`, `user.update`, `user.role.add`, `role.update`, `key.create`, …
    public var action: String
    public var target: String
    /// A JSON object with the change.
    public var detail: String
}

/// An API key as listed (its secret is never stored, so never shown again).
public struct APIKeyInfo: Sendable, Equatable, Codable {
    public var id: String
    public var userId: Int64
    public var name: String
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    /// nil: no expiry (the bootstrap admin key, keys from before expiry existed).
    public var expiresAt: Date?
}

/// Everything the live access checks need, loaded at start and after each change.
public struct IdentitySnapshot: Sendable, Equatable {
    public var roles: [Role]
    /// User id → (enabled, role ids).
    public var users: [Int64: (enabled: Bool, roles: [String])]

    public static func == (a: IdentitySnapshot, b: IdentitySnapshot) -> Bool {
        a.roles == b.roles && a.users.count == b.users.count
            && a.users.allSatisfy { k, v in b.users[k].map { $0.enabled == v.enabled && $0.roles == v.roles } ?? false }
    }
}

// MARK: Rows

struct RoleRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "role"
    var id: String
    var description: String
    var grants: Grants
    var createdAt: Date
    var updatedAt: Date

    var role: Role { Role(id: id, description: description, grants: grants) }
}

struct UserRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "user"
    var id: Int64?
    var username: String
    var displayName: String?
    var passwordHash: String?
    var disabled: Bool
    var createdAt: Date
    var updatedAt: Date

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    func account(roles: [String]) -> UserAccount {
        UserAccount(
            id: id ?? 0, username: username, displayName: displayName, disabled: disabled, roles: roles,
            hasPassword: passwordHash != nil, createdAt: createdAt, updatedAt: updatedAt)
    }
}

struct UserRoleRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "user_role"
    var userId: Int64
    var roleId: String
    var assignedAt: Date
}

struct APIKeyRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "api_key"
    var id: String
    var userId: Int64
    var name: String
    var digest: String
    var createdAt: Date
    var lastUsedAt: Date?
    var revokedAt: Date?
    var expiresAt: Date?

    var info: APIKeyInfo {
        APIKeyInfo(id: id, userId: userId, name: name, createdAt: createdAt, lastUsedAt: lastUsedAt, revokedAt: revokedAt, expiresAt: expiresAt)
    }
}

struct RefreshTokenRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "refresh_token"
    var id: String
    var userId: Int64
    var digest: String
    var createdAt: Date
    var expiresAt: Date
    var revokedAt: Date?
}

struct AuditRow: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "audit"
    var id: Int64?
    var at: Date
    var actor: String
    var action: String
    var target: String
    var detail: String

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
