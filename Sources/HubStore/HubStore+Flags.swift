import Foundation
import GRDB
import HubCore

struct FeatureRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "feature"
    var name: String
    var definition: FeatureFlag
    var createdAt: Date
    var updatedAt: Date
}

struct SegmentRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "segment"
    var id: Int
    var definition: FlagSegment
    var updatedAt: Date
}

extension HubStore {
    /// Every flag and segment.
    public func flagSet() throws(StoreError) -> FlagSet {
        try reading { db in
            FlagSet(
                features: try FeatureRow.order(Column("name")).fetchAll(db).map(\.definition),
                segments: try SegmentRow.order(Column("id")).fetchAll(db).map(\.definition))
        }
    }

    public func featureCount() throws(StoreError) -> Int {
        try reading { db in try FeatureRow.fetchCount(db) }
    }

    public func insertFeature(_ f: FeatureFlag, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            if try FeatureRow.exists(db, key: f.name) { throw StoreError.duplicate("feature '\(f.name)'") }
            try FeatureRow(name: f.name, definition: f, createdAt: now, updatedAt: now).insert(db)
            try audit(db, actor: actor, action: "feature.create", target: f.name, detail: f, at: now)
        }
    }

    public func updateFeature(_ f: FeatureFlag, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            guard let old = try FeatureRow.fetchOne(db, key: f.name) else { throw StoreError.notFound("feature '\(f.name)'") }
            try FeatureRow(name: f.name, definition: f, createdAt: old.createdAt, updatedAt: now).update(db)
            try audit(db, actor: actor, action: "feature.update", target: f.name, detail: ["before": old.definition, "after": f], at: now)
        }
    }

    /// Deletes a flag no other flag depends on.
    public func deleteFeature(_ name: String, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            guard try FeatureRow.exists(db, key: name) else { throw StoreError.notFound("feature '\(name)'") }
            let dependents = try FeatureRow.fetchAll(db).filter { $0.definition.dependencies.contains { $0.feature == name } }.map(\.name)
            if !dependents.isEmpty { throw StoreError.conflict("feature '\(name)' is a dependency of \(dependents.joined(separator: ", "))") }
            _ = try FeatureRow.deleteOne(db, key: name)
            try audit(db, actor: actor, action: "feature.delete", target: name, detail: [String: String](), at: now)
        }
    }

    /// Inserts or replaces every feature and segment of `set` in one transaction (an Unleash
    /// export imported); flags not in `set` stay. Returns (features, segments) written.
    @discardableResult
    public func importFlags(_ set: FlagSet, actor: String, now: Date = Date()) throws(StoreError) -> (features: Int, segments: Int) {
        try writing { db in
            for f in set.features {
                let created = try FeatureRow.fetchOne(db, key: f.name)?.createdAt ?? now
                try FeatureRow(name: f.name, definition: f, createdAt: created, updatedAt: now).save(db)
            }
            for s in set.segments { try SegmentRow(id: s.id, definition: s, updatedAt: now).save(db) }
            try audit(
                db, actor: actor, action: actor == "system" ? "feature.seed" : "feature.import", target: "*",
                detail: ["features": set.features.map(\.name), "segments": set.segments.map { String($0.id) }], at: now)
            return (set.features.count, set.segments.count)
        }
    }
}
