import Foundation
import HubCore

extension HubStore {
    public func userCount() throws(StoreError) -> Int {
        try reading { db in Int(try db.integer(#"SELECT COUNT(*) FROM "user""#)) }
    }

    /// One page of users by id, and the total.
    public func users(limit: Int, offset: Int) throws(StoreError) -> (users: [UserAccount], total: Int) {
        try reading { db in
            let rows = try db.rows("\(UserRow.select) ORDER BY id LIMIT ? OFFSET ?", limit, offset).map(UserRow.init)
            return (try rows.map { try account($0, db) }, Int(try db.integer(#"SELECT COUNT(*) FROM "user""#)))
        }
    }

    public func user(id: Int64) throws(StoreError) -> UserAccount? {
        try reading { db in try UserRow.find(id, db).map { try account($0, db) } }
    }

    public func user(named username: String) throws(StoreError) -> UserAccount? {
        try reading { db in try UserRow.find(named: username, db).map { try account($0, db) } }
    }

    /// The account and password hash for a login (usernames compare case-insensitively).
    public func credentials(username: String) throws(StoreError) -> UserCredentials? {
        try reading { db in
            try UserRow.find(named: username, db).map { UserCredentials(account: try account($0, db), passwordHash: $0.passwordHash) }
        }
    }

    /// Creates a user with `roles` (each must exist). A taken username is `.duplicate`.
    public func insertUser(
        username: String, displayName: String? = nil, passwordHash: String?, roles: [String], actor: String, now: Date = Date()
    ) throws(StoreError) -> UserAccount {
        try writing { db in
            if try UserRow.find(named: username, db) != nil { throw StoreError.duplicate("user '\(username)'") }
            let row = try UserRow.insert(username: username, displayName: displayName, passwordHash: passwordHash, disabled: false, now: now, db)
            for r in Set(roles).sorted() {
                guard try RoleRow.exists(r, db) else { throw StoreError.notFound("role '\(r)'") }
                try UserRoles.insert(userID: row.id, roleID: r, at: now, db)
            }
            try audit(db, actor: actor, action: "user.create", target: "\(row.id)", detail: UserChange(username: username, roles: Set(roles).sorted()), at: now)
            return try account(row, db)
        }
    }

    /// The first admin and its API key, in one transaction (a node dying between the two leaves
    /// neither); nil when a user of that name exists (made by another node starting at the same
    /// time, or by hand).
    public func insertAdmin(username: String, displayName: String, key: (id: String, digest: String), actor: String, now: Date = Date()) throws(StoreError)
        -> UserAccount?
    {
        try writing { db in
            guard try UserRow.find(named: username, db) == nil else { return nil }
            let row = try UserRow.insert(username: username, displayName: displayName, passwordHash: nil, disabled: false, now: now, db)
            guard try RoleRow.exists("admin", db) else { throw StoreError.notFound("role 'admin'") }
            try UserRoles.insert(userID: row.id, roleID: "admin", at: now, db)
            try audit(db, actor: actor, action: "user.create", target: "\(row.id)", detail: UserChange(username: username, roles: ["admin"]), at: now)
            // No expiry: the key is the configuration's to rotate (auth.bootstrapAdminKey), not the clock's.
            _ = try createAPIKey(id: key.id, userID: row.id, name: "bootstrap", digest: key.digest, expiresAt: nil, maxActive: .max, actor: actor, now: now, db)
            return try account(row, db)
        }
    }

    /// Changes the given fields (nil leaves a field as it is).
    public func updateUser(
        id: Int64, displayName: String?? = nil, passwordHash: String? = nil, disabled: Bool? = nil, actor: String, now: Date = Date()
    ) throws(StoreError) -> UserAccount {
        try writing { db in
            guard var row = try UserRow.find(id, db) else { throw StoreError.notFound("user \(id)") }
            if disabled == true && !row.disabled { try requireAnotherAdmin(besides: id, db) }
            if let displayName { row.displayName = displayName }
            if let passwordHash { row.passwordHash = passwordHash }
            if let disabled { row.disabled = disabled }
            row.updatedAt = now
            try row.update(db)
            // A new password or a disabled account ends every refresh-token session and revokes
            // every API key: a reset locks out whoever held the old credentials, and enabling
            // the account again does not bring them back. A pending first-login code (an
            // imported user's) dies with them.
            if passwordHash != nil || disabled == true { try Sessions.revokeAll(userID: id, at: now, db) }
            try audit(
                db, actor: actor, action: "user.update", target: "\(id)",
                detail: UserChange(displayName: displayName ?? nil, disabled: disabled, passwordChanged: passwordHash != nil ? true : nil), at: now)
            return try account(row, db)
        }
    }

    /// Gives a user a role (no change when it already has it).
    public func assignRole(userID: Int64, role: String, actor: String, now: Date = Date()) throws(StoreError) -> UserAccount {
        try writing { db in
            guard var row = try UserRow.find(userID, db) else { throw StoreError.notFound("user \(userID)") }
            guard try RoleRow.exists(role, db) else { throw StoreError.notFound("role '\(role)'") }
            if try !UserRoles.holds(userID: userID, roleID: role, db) {
                try UserRoles.insert(userID: userID, roleID: role, at: now, db)
                row.updatedAt = now
                try row.update(db)
                try audit(db, actor: actor, action: "user.role.add", target: "\(userID)", detail: ["role": role], at: now)
            }
            return try account(row, db)
        }
    }

    /// Takes a role from a user; `.notFound` when the user does not hold it.
    public func removeRole(userID: Int64, role: String, actor: String, now: Date = Date()) throws(StoreError) -> UserAccount {
        try writing { db in
            guard var row = try UserRow.find(userID, db) else { throw StoreError.notFound("user \(userID)") }
            if role == "admin" && !row.disabled { try requireAnotherAdmin(besides: userID, db) }
            guard try db.execute("DELETE FROM user_role WHERE userId = ? AND roleId = ?", userID, role) > 0 else {
                throw StoreError.notFound("role '\(role)' on user \(userID)")
            }
            row.updatedAt = now
            try row.update(db)
            try audit(db, actor: actor, action: "user.role.remove", target: "\(userID)", detail: ["role": role], at: now)
            return try account(row, db)
        }
    }

    /// Roles and every user's state, for the live access checks.
    public func identitySnapshot() throws(StoreError) -> IdentitySnapshot {
        try reading { db in
            let roles = try RoleRow.all(db).map(\.role)
            var users: [Int64: (Bool, [String])] = [:]
            for row in try db.rows(#"SELECT id, disabled FROM "user""#) { users[try row.int(0)] = (!(try row.bool(1)), []) }
            for row in try db.rows("SELECT userId, roleId FROM user_role ORDER BY roleId\(db.dialect.bytewise)") {
                users[try row.int(0)]?.1.append(try row.text(1))
            }
            return IdentitySnapshot(roles: roles, users: users.mapValues { (enabled: $0.0, roles: $0.1) })
        }
    }

    /// The hub must keep an enabled admin: taking the role from (or disabling) the last one is
    /// refused.
    private func requireAnotherAdmin(besides id: Int64, _ db: any SQLTransaction) throws {
        guard try UserRoles.holds(userID: id, roleID: "admin", db) else { return }
        if try UserRoles.enabledAdmins(besides: id, db) == 0 { throw StoreError.refused("user \(id) is the last enabled admin") }
    }

    /// Enabled users holding the admin role.
    public func enabledAdminCount() throws(StoreError) -> Int {
        try reading { db in Int(try UserRoles.enabledAdmins(db)) }
    }

    func account(_ row: UserRow, _ db: any SQLTransaction) throws -> UserAccount {
        row.account(roles: try UserRoles.of(row.id, db))
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
