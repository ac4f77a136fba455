import Foundation
import HubCore

extension HubStore {
    /// Every mapping, by id.
    public func mappings() throws(StoreError) -> [InstrumentMapping] {
        try reading { db in try db.rows("SELECT definition FROM mapping ORDER BY id\(db.dialect.bytewise)").map { try $0.json(0) } }
    }

    public func mappingCount() throws(StoreError) -> Int {
        try reading { db in Int(try db.integer("SELECT COUNT(*) FROM mapping")) }
    }

    public func insertMapping(_ m: InstrumentMapping, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            if try db.exists("SELECT 1 FROM mapping WHERE id = ?", m.id) { throw StoreError.duplicate("mapping '\(m.id)'") }
            try insert(m, now, db)
            try audit(db, actor: actor, action: "mapping.create", target: m.id, detail: m, at: now)
        }
    }

    public func updateMapping(_ m: InstrumentMapping, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            guard let old: InstrumentMapping = try db.row("SELECT definition FROM mapping WHERE id = ?", m.id).map({ try $0.json(0) }) else {
                throw StoreError.notFound("mapping '\(m.id)'")
            }
            try db.execute("UPDATE mapping SET definition = ?, updatedAt = ? WHERE id = ?", try JSONColumn.text(m), now, m.id)
            try audit(db, actor: actor, action: "mapping.update", target: m.id, detail: ["before": old, "after": m], at: now)
        }
    }

    public func deleteMapping(_ id: String, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            guard try db.execute("DELETE FROM mapping WHERE id = ?", id) > 0 else { throw StoreError.notFound("mapping '\(id)'") }
            try audit(db, actor: actor, action: "mapping.delete", target: id, detail: [String: String](), at: now)
        }
    }

    /// Whether the seed was ever loaded (deleting every mapping must not bring it back).
    public func mappingsSeeded() throws(StoreError) -> Bool {
        try reading { db in try db.exists("SELECT 1 FROM audit WHERE action = 'mapping.seed'") }
    }

    /// The seed of a new store: every mapping in one transaction; nothing when the store was
    /// seeded meanwhile (nodes of a cluster starting together).
    public func seedMappings(_ ms: [InstrumentMapping], now: Date = Date()) throws(StoreError) {
        try writing { db in
            if try db.exists("SELECT 1 FROM audit WHERE action = 'mapping.seed'") { return }
            for m in ms {
                try db.execute(
                    "INSERT INTO mapping (id, definition, createdAt, updatedAt) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING", m.id,
                    try JSONColumn.text(m), now, now)
            }
            try audit(db, actor: "system", action: "mapping.seed", target: "*", detail: ms.map(\.id), at: now)
        }
    }

    private func insert(_ m: InstrumentMapping, _ now: Date, _ db: any SQLTransaction) throws {
        try db.execute("INSERT INTO mapping (id, definition, createdAt, updatedAt) VALUES (?, ?, ?, ?)", m.id, try JSONColumn.text(m), now, now)
    }
}
