import Foundation
import HubCore

extension HubStore {
    /// Roles that cannot be deleted: without them nobody could administer the hub, and
    /// connections without a token would have no defined rights.
    public static let protectedRoles: Set<String> = ["admin", "anonymous"]

    public func roles() throws(StoreError) -> [Role] {
        try reading { db in try RoleRow.all(db).map(\.role) }
    }

    public func role(_ id: String) throws(StoreError) -> Role? {
        try reading { db in try RoleRow.find(id, db)?.role }
    }

    /// Inserts roles that are not stored yet (seeding); returns how many were new.
    @discardableResult
    public func seedRoles(_ roles: [Role], now: Date = Date()) throws(StoreError) -> Int {
        try writing { db in
            var added = 0
            for r in roles where try !RoleRow.exists(r.id, db) {
                try RoleRow(id: r.id, description: r.description, grants: r.grants, createdAt: now, updatedAt: now).insert(db)
                try audit(db, actor: "system", action: "role.seed", target: r.id, detail: ["grants": r.grants], at: now)
                added += 1
            }
            return added
        }
    }

    public func insertRole(_ r: Role, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            if try RoleRow.exists(r.id, db) { throw StoreError.duplicate("role '\(r.id)'") }
            try RoleRow(id: r.id, description: r.description, grants: r.grants, createdAt: now, updatedAt: now).insert(db)
            try audit(db, actor: actor, action: "role.create", target: r.id, detail: r, at: now)
        }
    }

    public func updateRole(_ r: Role, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            guard let old = try RoleRow.find(r.id, db) else { throw StoreError.notFound("role '\(r.id)'") }
            try RoleRow(id: r.id, description: r.description, grants: r.grants, createdAt: old.createdAt, updatedAt: now).update(db)
            try audit(db, actor: actor, action: "role.update", target: r.id, detail: ["before": old.grants, "after": r.grants], at: now)
        }
    }

    /// Deletes a role no user holds; protected roles are refused, assigned ones conflict.
    public func deleteRole(_ id: String, actor: String, now: Date = Date()) throws(StoreError) {
        guard !Self.protectedRoles.contains(id) else { throw StoreError.refused("role '\(id)' is built in and cannot be deleted") }
        try writing { db in
            guard try RoleRow.exists(id, db) else { throw StoreError.notFound("role '\(id)'") }
            let holders = try db.integer("SELECT COUNT(*) FROM user_role WHERE roleId = ?", id)
            if holders > 0 { throw StoreError.conflict("role '\(id)' is assigned to \(holders) user(s); remove it from them first") }
            try db.execute("DELETE FROM role WHERE id = ?", id)
            try audit(db, actor: actor, action: "role.delete", target: id, detail: [String: String](), at: now)
        }
    }
}
