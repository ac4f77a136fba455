import Foundation
import GRDB
import HubCore

extension HubStore {
    public func userCount() throws(StoreError) -> Int {
        try reading { db in try UserRow.fetchCount(db) }
    }

    /// One page of users by id, and the total.
    public func users(limit: Int, offset: Int) throws(StoreError) -> (users: [UserAccount], total: Int) {
        try reading { db in
            let rows = try UserRow.order(Column("id")).limit(limit, offset: offset).fetchAll(db)
            return (try rows.map { try account($0, db) }, try UserRow.fetchCount(db))
        }
    }

    public func user(id: Int64) throws(StoreError) -> UserAccount? {
        try reading { db in try UserRow.fetchOne(db, key: id).map { try account($0, db) } }
    }

    public func user(named username: String) throws(StoreError) -> UserAccount? {
        try reading { db in try UserRow.filter(Column("username") == username).fetchOne(db).map { try account($0, db) } }
    }

    /// The account and password hash for a login (usernames compare case-insensitively).
    public func credentials(username: String) throws(StoreError) -> UserCredentials? {
        try reading { db in
            try UserRow.filter(Column("username") == username).fetchOne(db).map { UserCredentials(account: try account($0, db), passwordHash: $0.passwordHash) }
        }
    }

    /// Creates a user with `roles` (each must exist). A taken username is `.duplicate`.
    public func insertUser(
        username: String, displayName: String? = nil, passwordHash: String?, roles: [String], actor: String, now: Date = Date()
    ) throws(StoreError) -> UserAccount {
        try writing { db in
            if try UserRow.filter(Column("username") == username).fetchCount(db) > 0 { throw StoreError.duplicate("user '\(username)'") }
            var row = UserRow(
                id: nil, username: username, displayName: displayName, passwordHash: passwordHash, disabled: false, createdAt: now, updatedAt: now)
            try row.insert(db)
            let id = row.id!
            for r in Set(roles).sorted() {
                guard try RoleRow.exists(db, key: r) else { throw StoreError.notFound("role '\(r)'") }
                try UserRoleRow(userId: id, roleId: r, assignedAt: now).insert(db)
            }
            try audit(db, actor: actor, action: "user.create", target: "\(id)", detail: UserChange(username: username, roles: Set(roles).sorted()), at: now)
            return try account(row, db)
        }
    }

    /// Changes the given fields (nil leaves a field as it is).
    public func updateUser(
        id: Int64, displayName: String?? = nil, passwordHash: String? = nil, disabled: Bool? = nil, actor: String, now: Date = Date()
    ) throws(StoreError) -> UserAccount {
        try writing { db in
            guard var row = try UserRow.fetchOne(db, key: id) else { throw StoreError.notFound("user \(id)") }
            if disabled == true && !row.disabled { try requireAnotherAdmin(besides: id, db) }
            if let displayName { row.displayName = displayName }
            if let passwordHash { row.passwordHash = passwordHash }
            if let disabled { row.disabled = disabled }
            row.updatedAt = now
            try row.update(db)
            // A new password or a disabled account ends every refresh-token session and revokes
            // every API key: a reset locks out whoever held the old credentials, and enabling
            // the account again does not bring them back.
            if passwordHash != nil || disabled == true {
                try db.execute(sql: "UPDATE refresh_token SET revokedAt = ? WHERE userId = ? AND revokedAt IS NULL", arguments: [now, id])
                try db.execute(sql: "UPDATE api_key SET revokedAt = ? WHERE userId = ? AND revokedAt IS NULL", arguments: [now, id])
                // A pending first-login code (an imported user's) dies with them.
                try db.execute(sql: "DELETE FROM password_setup WHERE userId = ?", arguments: [id])
            }
            try audit(
                db, actor: actor, action: "user.update", target: "\(id)",
                detail: UserChange(displayName: displayName ?? nil, disabled: disabled, passwordChanged: passwordHash != nil ? true : nil), at: now)
            return try account(row, db)
        }
    }

    /// Gives a user a role (no change when it already has it).
    public func assignRole(userID: Int64, role: String, actor: String, now: Date = Date()) throws(StoreError) -> UserAccount {
        try writing { db in
            guard let row = try UserRow.fetchOne(db, key: userID) else { throw StoreError.notFound("user \(userID)") }
            guard try RoleRow.exists(db, key: role) else { throw StoreError.notFound("role '\(role)'") }
            if try !UserRoleRow.exists(db, key: ["userId": userID, "roleId": role]) {
                try UserRoleRow(userId: userID, roleId: role, assignedAt: now).insert(db)
                try touch(row, db, now)
                try audit(db, actor: actor, action: "user.role.add", target: "\(userID)", detail: ["role": role], at: now)
            }
            return try account(UserRow.fetchOne(db, key: userID)!, db)
        }
    }

    /// Takes a role from a user; `.notFound` when the user does not hold it.
    public func removeRole(userID: Int64, role: String, actor: String, now: Date = Date()) throws(StoreError) -> UserAccount {
        try writing { db in
            guard let row = try UserRow.fetchOne(db, key: userID) else { throw StoreError.notFound("user \(userID)") }
            if role == "admin" && !row.disabled { try requireAnotherAdmin(besides: userID, db) }
            guard try UserRoleRow.deleteOne(db, key: ["userId": userID, "roleId": role]) else {
                throw StoreError.notFound("role '\(role)' on user \(userID)")
            }
            try touch(row, db, now)
            try audit(db, actor: actor, action: "user.role.remove", target: "\(userID)", detail: ["role": role], at: now)
            return try account(UserRow.fetchOne(db, key: userID)!, db)
        }
    }

    /// Roles and every user's state, for the live access checks.
    public func identitySnapshot() throws(StoreError) -> IdentitySnapshot {
        try reading { db in
            let roles = try RoleRow.order(Column("id")).fetchAll(db).map(\.role)
            var users: [Int64: (Bool, [String])] = [:]
            for row in try UserRow.fetchAll(db) { users[row.id!] = (!row.disabled, []) }
            for ur in try UserRoleRow.order(Column("roleId")).fetchAll(db) { users[ur.userId]?.1.append(ur.roleId) }
            return IdentitySnapshot(roles: roles, users: users.mapValues { (enabled: $0.0, roles: $0.1) })
        }
    }

    /// The hub must keep an enabled admin: taking the role from (or disabling) the last one is
    /// refused.
    private func requireAnotherAdmin(besides id: Int64, _ db: Database) throws {
        let holds = try UserRoleRow.exists(db, key: ["userId": id, "roleId": "admin"])
        guard holds else { return }
        let others =
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM user_role r JOIN user u ON u.id = r.userId WHERE r.roleId = 'admin' AND u.disabled = 0 AND u.id != ?",
                arguments: [id]) ?? 0
        if others == 0 { throw StoreError.refused("user \(id) is the last enabled admin") }
    }

    /// Enabled users holding the admin role.
    public func enabledAdminCount() throws(StoreError) -> Int {
        try reading { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user_role r JOIN user u ON u.id = r.userId WHERE r.roleId = 'admin' AND u.disabled = 0") ?? 0
        }
    }

    private func touch(_ row: UserRow, _ db: Database, _ now: Date) throws {
        var r = row
        r.updatedAt = now
        try r.update(db)
    }

    func account(_ row: UserRow, _ db: Database) throws -> UserAccount {
        let roles = try String.fetchAll(db, sql: "SELECT roleId FROM user_role WHERE userId = ? ORDER BY roleId", arguments: [row.id])
        return row.account(roles: roles)
    }
}

/// What a user change records in the audit log (never a password or its hash).
struct UserChange: Encodable {
    var username: String?
    var roles: [String]?
    var displayName: String?
    var disabled: Bool?
    var passwordChanged: Bool?
}
