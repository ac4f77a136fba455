import Foundation
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
    func transfer(dryRun: Bool, _ body: (any SQLTransaction, inout TransferOutcome) throws -> Void) throws(StoreError) -> TransferOutcome {
        try writeOrRollBack { db in
            var outcome = TransferOutcome()
            try body(db, &outcome)
            return (outcome, outcome.problems.isEmpty && !dryRun)
        }
    }

    public func exportUsers() throws(StoreError) -> [UserRecord] {
        try reading { db in
            try db.rows("\(UserRow.select) ORDER BY id").map(UserRow.init).map { row in
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
        func issueSetup(_ r: UserRecord, _ id: Int64, _ db: any SQLTransaction) throws -> Bool {
            guard r.setPasswordOnFirstLogin, let digest = setup[r.username] else { return false }
            try db.execute(
                """
                INSERT INTO password_setup (userId, digest, expiresAt, createdAt) VALUES (?, ?, ?, ?)
                ON CONFLICT (userId) DO UPDATE SET digest = excluded.digest, expiresAt = excluded.expiresAt, createdAt = excluded.createdAt
                """, id, digest, setupExpiresAt, now)
            return true
        }
        return try transfer(dryRun: dryRun) { db, outcome in
            var adminTakers: [Int] = []
            for (i, r) in records.enumerated() {
                var missing = false
                for (j, role) in r.roles.enumerated() where try !RoleRow.exists(role, db) {
                    outcome.problems.append(TransferProblem(index: i, field: "roles[\(j)]", message: "no role '\(role)'"))
                    missing = true
                }
                if missing { continue }
                let roles = Set(r.roles).sorted()
                guard var row = try UserRow.find(named: r.username, db) else {
                    let row = try UserRow.insert(
                        username: r.username, displayName: r.displayName, passwordHash: r.passwordHash, disabled: r.disabled, now: now, db)
                    for role in roles { try UserRoles.insert(userID: row.id, roleID: role, at: now, db) }
                    let setupIssued = r.passwordHash == nil ? try issueSetup(r, row.id, db) : false
                    try audit(db, actor: actor, action: "user.import", target: "\(row.id)", detail: UserChange(username: r.username, roles: roles), at: now)
                    outcome.changes.append(TransferChange(index: i, key: r.username, action: .create, fields: setupIssued ? ["passwordSetup"] : []))
                    continue
                }
                let id = row.id
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
                try db.execute("DELETE FROM user_role WHERE userId = ?", id)
                for role in roles { try UserRoles.insert(userID: id, roleID: role, at: now, db) }
                // A password set, or the account shut: sessions, keys and a setup code are void.
                if fields.contains("passwordHash") || (r.disabled && fields.contains("disabled")) { try Sessions.revokeAll(userID: id, at: now, db) }
                try audit(
                    db, actor: actor, action: "user.import", target: "\(id)", detail: ["username": r.username, "fields": fields.joined(separator: ",")], at: now
                )
                outcome.changes.append(TransferChange(index: i, key: r.username, action: .update, fields: fields, diff: diff))
            }
            let admins = try UserRoles.enabledAdmins(db)
            // Only a change can leave no admin (a store that never had one may still get none).
            if admins == 0, let i = adminTakers.first {
                outcome.problems.append(TransferProblem(index: i, field: "roles", message: "the import would leave no enabled admin"))
            }
        }
    }

    /// A user's pending setup code (its digest) and when it expires.
    public func passwordSetup(username: String) throws(StoreError) -> (user: UserAccount, digest: String, expiresAt: Date)? {
        try reading { db in
            guard let row = try UserRow.find(named: username, db), let setup = try PasswordSetupRow.find(row.id, db) else { return nil }
            return (try account(row, db), setup.digest, setup.expiresAt)
        }
    }

    /// Sets the first password with the setup code whose digest is `digest` (the code is used
    /// up); nil when the code is gone, used, expired, or the user has a password meanwhile.
    public func completePasswordSetup(userID: Int64, digest: String, passwordHash: String, now: Date = Date()) throws(StoreError) -> UserAccount? {
        try writing { db in
            guard let setup = try PasswordSetupRow.find(userID, db), setup.digest == digest, setup.expiresAt > now,
                var row = try UserRow.find(userID, db), row.passwordHash == nil
            else { return nil }
            try db.execute("DELETE FROM password_setup WHERE userId = ?", userID)
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
                guard let old = try RoleRow.find(r.id, db) else {
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
                guard let old = try PropertyRecord.find(d.name, db) else {
                    try PropertyRecord.save(d, createdAt: now, updatedAt: now, db)
                    try audit(db, actor: actor, action: "property.import", target: d.name, detail: d, at: now)
                    outcome.changes.append(TransferChange(index: i, key: d.name, action: .create))
                    continue
                }
                let before = old.definition
                let diff = Self.changes(before, d)
                guard !diff.isEmpty else {
                    outcome.changes.append(TransferChange(index: i, key: d.name, action: .unchanged))
                    continue
                }
                try PropertyRecord.save(d, createdAt: old.createdAt, updatedAt: now, db)
                try audit(db, actor: actor, action: "property.import", target: d.name, detail: ["before": before, "after": d], at: now)
                outcome.changes.append(TransferChange(index: i, key: d.name, action: .update, fields: diff.map(\.field), diff: diff))
            }
        }
    }

    /// Upserts flags by name and segments by id; flags and segments not in the set stay.
    public func importFlagSet(_ set: FlagSet, actor: String, dryRun: Bool, now: Date = Date()) throws(StoreError) -> TransferOutcome {
        try transfer(dryRun: dryRun) { db, outcome in
            for (i, f) in set.features.enumerated() {
                let old = try FeatureRow.find(f.name, db)
                let diff = old.map { Self.changes($0.definition, f) }
                if diff?.isEmpty == true {
                    outcome.changes.append(TransferChange(index: i, key: f.name, action: .unchanged))
                    continue
                }
                try FeatureRow.save(f, createdAt: old?.createdAt ?? now, updatedAt: now, db)
                outcome.changes.append(
                    TransferChange(index: i, key: f.name, action: old == nil ? .create : .update, fields: diff?.map(\.field) ?? [], diff: diff ?? []))
            }
            for (i, s) in set.segments.enumerated() {
                let old = try SegmentRows.find(s.id, db)
                let diff = old.map { Self.changes($0, s) }
                let key = "segment:\(s.id)", index = set.features.count + i
                if diff?.isEmpty == true {
                    outcome.changes.append(TransferChange(index: index, key: key, action: .unchanged))
                    continue
                }
                try SegmentRows.save(s, updatedAt: now, db)
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
struct PasswordSetupRow {
    var digest: String
    var expiresAt: Date

    static func find(_ userID: Int64, _ db: any SQLTransaction) throws -> PasswordSetupRow? {
        try db.row("SELECT digest, expiresAt FROM password_setup WHERE userId = ?", userID).map {
            PasswordSetupRow(digest: try $0.text(0), expiresAt: try $0.date(1))
        }
    }
}
