import Foundation
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

struct RoleRow {
    var id: String
    var description: String
    var grants: Grants
    var createdAt: Date
    var updatedAt: Date

    var role: Role { Role(id: id, description: description, grants: grants) }

    static let select = "SELECT id, description, grants, createdAt, updatedAt FROM role"

    static func find(_ id: String, _ db: any SQLTransaction) throws -> RoleRow? {
        try db.row("\(select) WHERE id = ?", id).map(RoleRow.init)
    }

    static func exists(_ id: String, _ db: any SQLTransaction) throws -> Bool {
        try db.exists("SELECT 1 FROM role WHERE id = ?", id)
    }

    static func all(_ db: any SQLTransaction) throws -> [RoleRow] {
        try db.rows("\(select) ORDER BY id\(db.dialect.bytewise)").map(RoleRow.init)
    }

    func insert(_ db: any SQLTransaction) throws {
        try db.execute(
            "INSERT INTO role (id, description, grants, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?)", id, description, try JSONColumn.text(grants),
            createdAt, updatedAt)
    }

    func update(_ db: any SQLTransaction) throws {
        try db.execute(
            "UPDATE role SET description = ?, grants = ?, createdAt = ?, updatedAt = ? WHERE id = ?", description, try JSONColumn.text(grants), createdAt,
            updatedAt, id)
    }
}

// In extensions, so the rows keep their memberwise initialisers.
extension RoleRow {
    init(_ r: SQLRow) throws {
        self.init(id: try r.text(0), description: try r.text(1), grants: try r.json(2), createdAt: try r.date(3), updatedAt: try r.date(4))
    }
}

extension APIKeyRow {
    init(_ r: SQLRow) throws {
        self.init(
            id: try r.text(0), userId: try r.int(1), name: try r.text(2), digest: try r.text(3), createdAt: try r.date(4),
            lastUsedAt: try r.optionalDate(5), revokedAt: try r.optionalDate(6), expiresAt: try r.optionalDate(7))
    }
}

struct UserRow {
    var id: Int64
    var username: String
    var displayName: String?
    var passwordHash: String?
    var disabled: Bool
    var createdAt: Date
    var updatedAt: Date

    static let select = #"SELECT id, username, displayName, passwordHash, disabled, createdAt, updatedAt FROM "user""#

    init(_ r: SQLRow) throws {
        id = try r.int(0)
        username = try r.text(1)
        displayName = try r.optionalText(2)
        passwordHash = try r.optionalText(3)
        disabled = try r.bool(4)
        createdAt = try r.date(5)
        updatedAt = try r.date(6)
    }

    static func find(_ id: Int64, _ db: any SQLTransaction) throws -> UserRow? {
        try db.row("\(select) WHERE id = ?", id).map(UserRow.init)
    }

    /// Usernames compare case-insensitively (a unique index on each backend keeps them so).
    static func find(named username: String, _ db: any SQLTransaction) throws -> UserRow? {
        try db.row("\(select) WHERE \(db.dialect.usernameMatches)", username).map(UserRow.init)
    }

    static func exists(_ id: Int64, _ db: any SQLTransaction) throws -> Bool {
        try db.exists(#"SELECT 1 FROM "user" WHERE id = ?"#, id)
    }

    /// Inserts a new user; returns its row with the id the database gave it.
    static func insert(
        username: String, displayName: String?, passwordHash: String?, disabled: Bool, now: Date, _ db: any SQLTransaction
    ) throws -> UserRow {
        guard
            let row = try db.row(
                #"INSERT INTO "user" (username, displayName, passwordHash, disabled, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"#,
                username, displayName, passwordHash, disabled, now, now)
        else { throw StoreError.io("the new user's id did not come back") }
        return try find(try row.int(0), db)!
    }

    func update(_ db: any SQLTransaction) throws {
        try db.execute(
            #"UPDATE "user" SET displayName = ?, passwordHash = ?, disabled = ?, updatedAt = ? WHERE id = ?"#, displayName, passwordHash, disabled,
            updatedAt, id)
    }

    func account(roles: [String]) -> UserAccount {
        UserAccount(
            id: id, username: username, displayName: displayName, disabled: disabled, roles: roles, hasPassword: passwordHash != nil,
            createdAt: createdAt, updatedAt: updatedAt)
    }
}

/// A user's roles.
enum UserRoles {
    static func insert(userID: Int64, roleID: String, at: Date, _ db: any SQLTransaction) throws {
        try db.execute("INSERT INTO user_role (userId, roleId, assignedAt) VALUES (?, ?, ?)", userID, roleID, at)
    }

    static func holds(userID: Int64, roleID: String, _ db: any SQLTransaction) throws -> Bool {
        try db.exists("SELECT 1 FROM user_role WHERE userId = ? AND roleId = ?", userID, roleID)
    }

    static func of(_ userID: Int64, _ db: any SQLTransaction) throws -> [String] {
        try db.rows("SELECT roleId FROM user_role WHERE userId = ? ORDER BY roleId\(db.dialect.bytewise)", userID).map { try $0.text(0) }
    }

    /// Enabled users holding the admin role.
    static func enabledAdmins(besides id: Int64? = nil, _ db: any SQLTransaction) throws -> Int64 {
        let sql = #"SELECT COUNT(*) FROM user_role r JOIN "user" u ON u.id = r.userId WHERE r.roleId = 'admin' AND NOT u.disabled"#
        return try id.map { try db.integer(sql + " AND u.id != ?", $0) } ?? db.integer(sql)
    }
}

struct APIKeyRow {
    var id: String
    var userId: Int64
    var name: String
    var digest: String
    var createdAt: Date
    var lastUsedAt: Date?
    var revokedAt: Date?
    var expiresAt: Date?

    static let select = "SELECT id, userId, name, digest, createdAt, lastUsedAt, revokedAt, expiresAt FROM api_key"

    static func find(_ id: String, _ db: any SQLTransaction) throws -> APIKeyRow? {
        try db.row("\(select) WHERE id = ?", id).map(APIKeyRow.init)
    }

    func insert(_ db: any SQLTransaction) throws {
        try db.execute(
            "INSERT INTO api_key (id, userId, name, digest, createdAt, lastUsedAt, revokedAt, expiresAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", id, userId,
            name, digest, createdAt, lastUsedAt, revokedAt, expiresAt)
    }

    var info: APIKeyInfo {
        APIKeyInfo(id: id, userId: userId, name: name, createdAt: createdAt, lastUsedAt: lastUsedAt, revokedAt: revokedAt, expiresAt: expiresAt)
    }
}

struct RefreshTokenRow {
    var id: String
    var userId: Int64
    var digest: String
    var createdAt: Date
    var expiresAt: Date
    var revokedAt: Date?

    static func find(_ id: String, _ db: any SQLTransaction) throws -> RefreshTokenRow? {
        try db.row("SELECT id, userId, digest, createdAt, expiresAt, revokedAt FROM refresh_token WHERE id = ?", id).map { r in
            RefreshTokenRow(
                id: try r.text(0), userId: try r.int(1), digest: try r.text(2), createdAt: try r.date(3), expiresAt: try r.date(4),
                revokedAt: try r.optionalDate(5))
        }
    }

    func insert(_ db: any SQLTransaction) throws {
        try db.execute(
            "INSERT INTO refresh_token (id, userId, digest, createdAt, expiresAt, revokedAt) VALUES (?, ?, ?, ?, ?, ?)", id, userId, digest, createdAt,
            expiresAt, revokedAt)
    }
}

/// What ends a user's sessions: a new password, a disabled account.
enum Sessions {
    /// Revokes every refresh token and API key of the user, and voids a pending setup code.
    static func revokeAll(userID: Int64, at now: Date, _ db: any SQLTransaction) throws {
        try revokeRefreshTokens(userID: userID, at: now, db)
        try db.execute("UPDATE api_key SET revokedAt = ? WHERE userId = ? AND revokedAt IS NULL", now, userID)
        try db.execute("DELETE FROM password_setup WHERE userId = ?", userID)
    }

    static func revokeRefreshTokens(userID: Int64, at now: Date, _ db: any SQLTransaction) throws {
        try db.execute("UPDATE refresh_token SET revokedAt = ? WHERE userId = ? AND revokedAt IS NULL", now, userID)
    }
}
