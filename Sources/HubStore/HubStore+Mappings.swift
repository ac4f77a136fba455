import Foundation
import GRDB
import HubCore

struct MappingRow: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "mapping"
    var id: String
    var definition: InstrumentMapping
    var createdAt: Date
    var updatedAt: Date
}

extension HubStore {
    /// Every mapping, by id.
    public func mappings() throws(StoreError) -> [InstrumentMapping] {
        try reading { db in try MappingRow.order(Column("id")).fetchAll(db).map(\.definition) }
    }

    public func mappingCount() throws(StoreError) -> Int {
        try reading { db in try MappingRow.fetchCount(db) }
    }

    public func insertMapping(_ m: InstrumentMapping, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            if try MappingRow.exists(db, key: m.id) { throw StoreError.duplicate("mapping '\(m.id)'") }
            try MappingRow(id: m.id, definition: m, createdAt: now, updatedAt: now).insert(db)
            try audit(db, actor: actor, action: "mapping.create", target: m.id, detail: m, at: now)
        }
    }

    public func updateMapping(_ m: InstrumentMapping, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            guard let old = try MappingRow.fetchOne(db, key: m.id) else { throw StoreError.notFound("mapping '\(m.id)'") }
            try MappingRow(id: m.id, definition: m, createdAt: old.createdAt, updatedAt: now).update(db)
            try audit(db, actor: actor, action: "mapping.update", target: m.id, detail: ["before": old.definition, "after": m], at: now)
        }
    }

    public func deleteMapping(_ id: String, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            guard try MappingRow.exists(db, key: id) else { throw StoreError.notFound("mapping '\(id)'") }
            _ = try MappingRow.deleteOne(db, key: id)
            try audit(db, actor: actor, action: "mapping.delete", target: id, detail: [String: String](), at: now)
        }
    }

    /// Whether the seed was ever loaded (deleting every mapping must not bring it back).
    public func mappingsSeeded() throws(StoreError) -> Bool {
        try reading { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM audit WHERE action = 'mapping.seed')") ?? false }
    }

    /// The seed of a new store: every mapping in one transaction.
    public func seedMappings(_ ms: [InstrumentMapping], now: Date = Date()) throws(StoreError) {
        try writing { db in
            for m in ms { try MappingRow(id: m.id, definition: m, createdAt: now, updatedAt: now).insert(db) }
            try audit(db, actor: "system", action: "mapping.seed", target: "*", detail: ms.map(\.id), at: now)
        }
    }
}
