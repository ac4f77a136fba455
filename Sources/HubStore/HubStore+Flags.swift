import Foundation
import HubCore

/// A stored flag: its definition (JSON, Unleash's client-features shape) and when it was made.
struct FeatureRow {
    var definition: FeatureFlag
    var createdAt: Date

    static func find(_ name: String, _ db: any SQLTransaction) throws -> FeatureRow? {
        try db.row("SELECT definition, createdAt FROM feature WHERE name = ?", name).map { FeatureRow(definition: try $0.json(0), createdAt: try $0.date(1)) }
    }

    static func all(_ db: any SQLTransaction) throws -> [FeatureFlag] {
        try db.rows("SELECT definition FROM feature ORDER BY name\(db.dialect.bytewise)").map { try $0.json(0) }
    }

    /// Inserts or replaces `flag`, keeping `createdAt` of a stored one.
    static func save(_ flag: FeatureFlag, createdAt: Date, updatedAt: Date, _ db: any SQLTransaction) throws {
        try db.execute(
            """
            INSERT INTO feature (name, definition, createdAt, updatedAt) VALUES (?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, createdAt = excluded.createdAt, updatedAt = excluded.updatedAt
            """, flag.name, try JSONColumn.text(flag), createdAt, updatedAt)
    }
}

/// A stored segment (JSON).
enum SegmentRows {
    static func find(_ id: Int, _ db: any SQLTransaction) throws -> FlagSegment? {
        try db.row("SELECT definition FROM segment WHERE id = ?", id).map { try $0.json(0) }
    }

    static func save(_ s: FlagSegment, updatedAt: Date, _ db: any SQLTransaction) throws {
        try db.execute(
            """
            INSERT INTO segment (id, definition, updatedAt) VALUES (?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET definition = excluded.definition, updatedAt = excluded.updatedAt
            """, s.id, try JSONColumn.text(s), updatedAt)
    }
}

extension HubStore {
    /// Every flag and segment.
    public func flagSet() throws(StoreError) -> FlagSet {
        try reading { db in
            FlagSet(features: try FeatureRow.all(db), segments: try db.rows("SELECT definition FROM segment ORDER BY id").map { try $0.json(0) })
        }
    }

    public func featureCount() throws(StoreError) -> Int {
        try reading { db in Int(try db.integer("SELECT COUNT(*) FROM feature")) }
    }

    public func insertFeature(_ f: FeatureFlag, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            if try FeatureRow.find(f.name, db) != nil { throw StoreError.duplicate("feature '\(f.name)'") }
            try FeatureRow.save(f, createdAt: now, updatedAt: now, db)
            try audit(db, actor: actor, action: "feature.create", target: f.name, detail: f, at: now)
        }
    }

    public func updateFeature(_ f: FeatureFlag, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            guard let old = try FeatureRow.find(f.name, db) else { throw StoreError.notFound("feature '\(f.name)'") }
            try FeatureRow.save(f, createdAt: old.createdAt, updatedAt: now, db)
            try audit(db, actor: actor, action: "feature.update", target: f.name, detail: ["before": old.definition, "after": f], at: now)
        }
    }

    /// Deletes a flag no other flag depends on.
    public func deleteFeature(_ name: String, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            guard try FeatureRow.find(name, db) != nil else { throw StoreError.notFound("feature '\(name)'") }
            let dependents = try FeatureRow.all(db).filter { $0.dependencies.contains { $0.feature == name } }.map(\.name)
            if !dependents.isEmpty { throw StoreError.conflict("feature '\(name)' is a dependency of \(dependents.joined(separator: ", "))") }
            try db.execute("DELETE FROM feature WHERE name = ?", name)
            try audit(db, actor: actor, action: "feature.delete", target: name, detail: [String: String](), at: now)
        }
    }

    /// The seed of a store without flags: every feature and segment of `set`, in one
    /// transaction; false (nothing written) when the store has flags — another node starting at
    /// the same time seeded it, or an operator made some.
    @discardableResult
    public func seedFlags(_ set: FlagSet, now: Date = Date()) throws(StoreError) -> Bool {
        try writing { db in
            if try db.exists("SELECT 1 FROM feature") { return false }
            for f in set.features { try FeatureRow.save(f, createdAt: now, updatedAt: now, db) }
            for s in set.segments { try SegmentRows.save(s, updatedAt: now, db) }
            try audit(
                db, actor: "system", action: "feature.seed", target: "*",
                detail: ["features": set.features.map(\.name), "segments": set.segments.map { String($0.id) }], at: now)
            return true
        }
    }

    /// Inserts or replaces every feature and segment of `set` in one transaction (an Unleash
    /// export imported); flags not in `set` stay. Returns (features, segments) written.
    @discardableResult
    public func importFlags(_ set: FlagSet, actor: String, now: Date = Date()) throws(StoreError) -> (features: Int, segments: Int) {
        try writing { db in
            for f in set.features {
                try FeatureRow.save(f, createdAt: try FeatureRow.find(f.name, db)?.createdAt ?? now, updatedAt: now, db)
            }
            for s in set.segments { try SegmentRows.save(s, updatedAt: now, db) }
            try audit(
                db, actor: actor, action: "feature.import", target: "*",
                detail: ["features": set.features.map(\.name), "segments": set.segments.map { String($0.id) }], at: now)
            return (set.features.count, set.segments.count)
        }
    }
}
