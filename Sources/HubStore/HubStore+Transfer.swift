import Foundation
import GRDB
import HubCore

/// A user as exported and imported: never an API key, a password only as its hash.
public struct UserRecord: Codable, Sendable, Equatable {
    public var username: String
    public var displayName: String?
    public var disabled: Bool
    public var roles: [String]
    /// PBKDF2 (`pbkdf2-sha256$rounds$salt$hash`); absent on import keeps a stored password
    /// (a new account without one signs in with API keys until a password is set).
    public var passwordHash: String?
    /// Import only: a user without a password gets a one-time setup code (shown once) with
    /// which it sets its password (`POST /api/auth/setup`).
    public var setPasswordOnFirstLogin: Bool

    public init(
        username: String, displayName: String? = nil, disabled: Bool = false, roles: [String] = [], passwordHash: String? = nil,
        setPasswordOnFirstLogin: Bool = false
    ) {
        self.username = username
        self.displayName = displayName
        self.disabled = disabled
        self.roles = roles
        self.passwordHash = passwordHash
        self.setPasswordOnFirstLogin = setPasswordOnFirstLogin
    }

    enum Keys: String, CodingKey, CaseIterable { case username, displayName, disabled, roles, passwordHash, setPasswordOnFirstLogin }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(Keys.self)
        username = try c.decode(String.self, forKey: .username)
        displayName = try c.decodeIfPresent(String.self, forKey: .displayName)
        disabled = try c.value(.disabled, false)
        roles = try c.value(.roles, [])
        passwordHash = try c.decodeIfPresent(String.self, forKey: .passwordHash)
        setPasswordOnFirstLogin = try c.value(.setPasswordOnFirstLogin, false)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(username, forKey: .username)
        try c.encodeIfPresent(displayName, forKey: .displayName)
        try c.encode(disabled, forKey: .disabled)
        try c.encode(roles, forKey: .roles)
        try c.encodeIfPresent(passwordHash, forKey: .passwordHash)
        if setPasswordOnFirstLogin { try c.encode(true, forKey: .setPasswordOnFirstLogin) }
    }
}

/// What an import does (or, dry, would do) to one record.
public struct TransferChange: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable { case create, update, unchanged }
    /// The record's place in the file (0-based).
    public var index: Int
    /// Username, role id, property or flag name (`segment:<id>` for flag segments).
    public var key: String
    public var action: Action
    /// The fields an update changes.
    public var fields: [String]
    /// Each changed field's value before and after, as JSON (not for password hashes).
    public var diff: [FieldDiff]

    public init(index: Int, key: String, action: Action, fields: [String] = [], diff: [FieldDiff] = []) {
        self.index = index
        self.key = key
        self.action = action
        self.fields = fields
        self.diff = diff
    }
}

/// One field of an update: its value before and after, as compact JSON.
public struct FieldDiff: Codable, Sendable, Equatable {
    public var field: String
    public var before: String
    public var after: String

    public init(field: String, before: String, after: String) {
        self.field = field
        self.before = before
        self.after = after
    }
}

/// Why a record cannot be imported: its index, the field, the reason.
public struct TransferProblem: Codable, Sendable, Equatable, Error {
    public var index: Int
    public var field: String
    public var message: String

    public init(index: Int, field: String, message: String) {
        self.index = index
        self.field = field
        self.message = message
    }
}

/// The changes of an import, or the problems that kept it from being written.
public struct TransferOutcome: Sendable, Equatable {
    public var changes: [TransferChange] = []
    public var problems: [TransferProblem] = []
    public init() {}
}

extension HubStore {
    /// Runs `body` in one transaction that is committed only when it found no problems and this
    /// is not a dry run: an import is written whole or not at all.
    func transfer(dryRun: Bool, _ body: (Database, inout TransferOutcome) throws -> Void) throws(StoreError) -> TransferOutcome {
        var outcome = TransferOutcome()
        try timedWrite {
            try pool.writeWithoutTransaction { db in
                try db.inTransaction {
                    try body(db, &outcome)
                    return outcome.problems.isEmpty && !dryRun ? .commit : .rollback
                }
            }
        }
        return outcome
    }

    public func exportUsers() throws(StoreError) -> [UserRecord] {
        try reading { db in
            try UserRow.order(Column("id")).fetchAll(db).map { row in
                UserRecord(
                    username: row.username, displayName: row.displayName, disabled: row.disabled, roles: try account(row, db).roles,
                    passwordHash: row.passwordHash)
            }
        }
    }

    /// Upserts users by username: display name, disabled and roles as given, the password hash
    /// when given. A new hash or a disabled account revokes sessions and API keys (as an edit
    /// does); an import that would leave no enabled admin is refused.
    /// `setup`: the digest of a new setup code for each username whose record asks for one
    /// (`setPasswordOnFirstLogin`), valid until `setupExpiresAt`; a user that has a password gets none.
    public func importUsers(
        _ records: [UserRecord], actor: String, dryRun: Bool, setup: [String: String] = [:], setupExpiresAt: Date = Date(), now: Date = Date()
    ) throws(StoreError) -> TransferOutcome {
        func issueSetup(_ r: UserRecord, _ id: Int64, _ db: Database) throws -> Bool {
            guard r.setPasswordOnFirstLogin, let digest = setup[r.username] else { return false }
            try PasswordSetupRow(userId: id, digest: digest, expiresAt: setupExpiresAt, createdAt: now).save(db)
            return true
        }
        return try transfer(dryRun: dryRun) { db, outcome in
            var adminTakers: [Int] = []
            for (i, r) in records.enumerated() {
                var missing = false
                for (j, role) in r.roles.enumerated() where try !RoleRow.exists(db, key: role) {
                    outcome.problems.append(TransferProblem(index: i, field: "roles[\(j)]", message: "no role '\(role)'"))
                    missing = true
                }
                if missing { continue }
                let roles = Set(r.roles).sorted()
                guard var row = try UserRow.filter(Column("username") == r.username).fetchOne(db) else {
                    var row = UserRow(
                        id: nil, username: r.username, displayName: r.displayName, passwordHash: r.passwordHash, disabled: r.disabled, createdAt: now,
                        updatedAt: now)
                    try row.insert(db)
                    for role in roles { try UserRoleRow(userId: row.id!, roleId: role, assignedAt: now).insert(db) }
                    let setupIssued = r.passwordHash == nil ? try issueSetup(r, row.id!, db) : false
                    try audit(db, actor: actor, action: "user.import", target: "\(row.id!)", detail: UserChange(username: r.username, roles: roles), at: now)
                    outcome.changes.append(TransferChange(index: i, key: r.username, action: .create, fields: setupIssued ? ["passwordSetup"] : []))
                    continue
                }
                let id = row.id!
                let held = try account(row, db).roles
                var diff: [FieldDiff] = []
                if row.displayName != r.displayName { diff.append(Self.fieldDiff("displayName", row.displayName, r.displayName)) }
                if row.disabled != r.disabled { diff.append(Self.fieldDiff("disabled", row.disabled, r.disabled)) }
                if held != roles { diff.append(Self.fieldDiff("roles", held, roles)) }
                var fields = diff.map(\.field)
                if let hash = r.passwordHash, hash != row.passwordHash { fields.append("passwordHash") }
                if r.passwordHash == nil, row.passwordHash == nil, try issueSetup(r, id, db) { fields.append("passwordSetup") }
                guard !fields.isEmpty else {
                    outcome.changes.append(TransferChange(index: i, key: r.username, action: .unchanged))
                    continue
                }
                if held.contains("admin") && (!roles.contains("admin") || (r.disabled && !row.disabled)) { adminTakers.append(i) }
                row.displayName = r.displayName
                row.disabled = r.disabled
                if let hash = r.passwordHash { row.passwordHash = hash }
                row.updatedAt = now
                try row.update(db)
                try UserRoleRow.filter(Column("userId") == id).deleteAll(db)
                for role in roles { try UserRoleRow(userId: id, roleId: role, assignedAt: now).insert(db) }
                if fields.contains("passwordHash") || (r.disabled && fields.contains("disabled")) {
                    try db.execute(sql: "UPDATE refresh_token SET revokedAt = ? WHERE userId = ? AND revokedAt IS NULL", arguments: [now, id])
                    try db.execute(sql: "UPDATE api_key SET revokedAt = ? WHERE userId = ? AND revokedAt IS NULL", arguments: [now, id])
                    try PasswordSetupRow.deleteOne(db, key: id)  // a password set, or the account shut: the code is void
                }
                try audit(
                    db, actor: actor, action: "user.import", target: "\(id)", detail: ["username": r.username, "fields": fields.joined(separator: ",")], at: now
                )
                outcome.changes.append(TransferChange(index: i, key: r.username, action: .update, fields: fields, diff: diff))
            }
            let admins =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM user_role r JOIN user u ON u.id = r.userId WHERE r.roleId = 'admin' AND u.disabled = 0") ?? 0
            // Only a change can leave no admin (a store that never had one may still get none).
            if admins == 0, let i = adminTakers.first {
                outcome.problems.append(TransferProblem(index: i, field: "roles", message: "the import would leave no enabled admin"))
            }
        }
    }

    /// A user's pending setup code (its digest) and when it expires.
    public func passwordSetup(username: String) throws(StoreError) -> (user: UserAccount, digest: String, expiresAt: Date)? {
        try reading { db in
            guard let row = try UserRow.filter(Column("username") == username).fetchOne(db), let setup = try PasswordSetupRow.fetchOne(db, key: row.id)
            else { return nil }
            return (try account(row, db), setup.digest, setup.expiresAt)
        }
    }

    /// Sets the first password with the setup code whose digest is `digest` (the code is used
    /// up); nil when the code is gone, used, expired, or the user has a password meanwhile.
    public func completePasswordSetup(userID: Int64, digest: String, passwordHash: String, now: Date = Date()) throws(StoreError) -> UserAccount? {
        try writing { db in
            guard let setup = try PasswordSetupRow.fetchOne(db, key: userID), setup.digest == digest, setup.expiresAt > now,
                var row = try UserRow.fetchOne(db, key: userID), row.passwordHash == nil
            else { return nil }
            try PasswordSetupRow.deleteOne(db, key: userID)
            row.passwordHash = passwordHash
            row.updatedAt = now
            try row.update(db)
            try audit(db, actor: "user:\(userID)", action: "user.password.setup", target: "\(userID)", detail: [String: String](), at: now)
            return try account(row, db)
        }
    }

    /// Upserts roles by id (description and grants as given).
    public func importRoles(_ roles: [Role], actor: String, dryRun: Bool, now: Date = Date()) throws(StoreError) -> TransferOutcome {
        try transfer(dryRun: dryRun) { db, outcome in
            for (i, r) in roles.enumerated() {
                guard let old = try RoleRow.fetchOne(db, key: r.id) else {
                    try RoleRow(id: r.id, description: r.description, grants: r.grants, createdAt: now, updatedAt: now).insert(db)
                    try audit(db, actor: actor, action: "role.import", target: r.id, detail: r, at: now)
                    outcome.changes.append(TransferChange(index: i, key: r.id, action: .create))
                    continue
                }
                var diff: [FieldDiff] = []
                if old.description != r.description { diff.append(Self.fieldDiff("description", old.description, r.description)) }
                diff += Self.changes(old.grants, r.grants).map { FieldDiff(field: "grants.\($0.field)", before: $0.before, after: $0.after) }
                guard !diff.isEmpty else {
                    outcome.changes.append(TransferChange(index: i, key: r.id, action: .unchanged))
                    continue
                }
                try RoleRow(id: r.id, description: r.description, grants: r.grants, createdAt: old.createdAt, updatedAt: now).update(db)
                try audit(db, actor: actor, action: "role.import", target: r.id, detail: ["before": old.grants, "after": r.grants], at: now)
                outcome.changes.append(TransferChange(index: i, key: r.id, action: .update, fields: diff.map(\.field), diff: diff))
            }
        }
    }

    /// Upserts property definitions by name (checked beforehand against the registry).
    public func importProperties(_ defs: [PropertyDefinition], actor: String, dryRun: Bool, now: Date = Date()) throws(StoreError) -> TransferOutcome {
        try transfer(dryRun: dryRun) { db, outcome in
            for (i, d) in defs.enumerated() {
                guard let old = try PropertyRecord.fetchOne(db, key: d.name) else {
                    try PropertyRecord(d, createdAt: now, updatedAt: now).insert(db)
                    try audit(db, actor: actor, action: "property.import", target: d.name, detail: d, at: now)
                    outcome.changes.append(TransferChange(index: i, key: d.name, action: .create))
                    continue
                }
                let before = try old.definition()
                let diff = Self.changes(before, d)
                guard !diff.isEmpty else {
                    outcome.changes.append(TransferChange(index: i, key: d.name, action: .unchanged))
                    continue
                }
                try PropertyRecord(d, createdAt: old.createdAt, updatedAt: now).update(db)
                try audit(db, actor: actor, action: "property.import", target: d.name, detail: ["before": before, "after": d], at: now)
                outcome.changes.append(TransferChange(index: i, key: d.name, action: .update, fields: diff.map(\.field), diff: diff))
            }
        }
    }

    /// Upserts flags by name and segments by id; flags and segments not in the set stay.
    public func importFlagSet(_ set: FlagSet, actor: String, dryRun: Bool, now: Date = Date()) throws(StoreError) -> TransferOutcome {
        try transfer(dryRun: dryRun) { db, outcome in
            for (i, f) in set.features.enumerated() {
                let old = try FeatureRow.fetchOne(db, key: f.name)
                let diff = old.map { Self.changes($0.definition, f) }
                if diff?.isEmpty == true {
                    outcome.changes.append(TransferChange(index: i, key: f.name, action: .unchanged))
                    continue
                }
                try FeatureRow(name: f.name, definition: f, createdAt: old?.createdAt ?? now, updatedAt: now).save(db)
                outcome.changes.append(
                    TransferChange(index: i, key: f.name, action: old == nil ? .create : .update, fields: diff?.map(\.field) ?? [], diff: diff ?? []))
            }
            for (i, s) in set.segments.enumerated() {
                let old = try SegmentRow.fetchOne(db, key: s.id)
                let diff = old.map { Self.changes($0.definition, s) }
                let key = "segment:\(s.id)", index = set.features.count + i
                if diff?.isEmpty == true {
                    outcome.changes.append(TransferChange(index: index, key: key, action: .unchanged))
                    continue
                }
                try SegmentRow(id: s.id, definition: s, updatedAt: now).save(db)
                outcome.changes.append(
                    TransferChange(index: index, key: key, action: old == nil ? .create : .update, fields: diff?.map(\.field) ?? [], diff: diff ?? []))
            }
            let written = outcome.changes.filter { $0.action != .unchanged }.map(\.key)
            if !written.isEmpty { try audit(db, actor: actor, action: "feature.import", target: "*", detail: ["changed": written], at: now) }
        }
    }

    /// The top-level keys whose JSON differs between two values, with both values (a diff to show).
    static func changes<T: Encodable>(_ a: T, _ b: T) -> [FieldDiff] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        func fields(_ v: T) -> [String: String] {
            guard let data = try? encoder.encode(v), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
            return object.compactMapValues {
                (try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed, .withoutEscapingSlashes]))
                    .map { String(decoding: $0, as: UTF8.self) }
            }
        }
        let (x, y) = (fields(a), fields(b))
        return Set(x.keys).union(y.keys).filter { x[$0] != y[$0] }.sorted().map { FieldDiff(field: $0, before: x[$0] ?? "null", after: y[$0] ?? "null") }
    }

    static func fieldDiff<T: Encodable>(_ field: String, _ before: T, _ after: T) -> FieldDiff {
        func text(_ v: T) -> String {
            (try? JSONEncoder().encode(v)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        }
        return FieldDiff(field: field, before: text(before), after: text(after))
    }
}

/// A one-time code (its digest) with which an imported user sets its first password.
struct PasswordSetupRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "password_setup"
    var userId: Int64
    var digest: String
    var expiresAt: Date
    var createdAt: Date
}
