import Foundation
import GRDB

extension HubStore {
    /// The newest entries first; `before` pages back from an entry id.
    public func auditLog(limit: Int = 100, before: Int64? = nil) throws(StoreError) -> [AuditEntry] {
        try reading { db in
            var q = AuditRow.order(Column("id").desc).limit(max(1, min(limit, 1000)))
            if let before { q = q.filter(Column("id") < before) }
            return try q.fetchAll(db).map { AuditEntry(id: $0.id ?? 0, at: $0.at, actor: $0.actor, action: $0.action, target: $0.target, detail: $0.detail) }
        }
    }

    /// The id of the newest audit entry: every identity change writes one, in this process or
    /// another (the CLI), so a change of this number means "reload".
    public func auditHead() throws(StoreError) -> Int64 {
        try reading { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) FROM audit") ?? 0 }
    }

    /// Appends an entry inside the caller's transaction (the change and its record commit together).
    func audit(_ db: Database, actor: String, action: String, target: String, detail: some Encodable, at: Date) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let json = String(decoding: try encoder.encode(detail), as: UTF8.self)
        var row = AuditRow(id: nil, at: at, actor: actor, action: action, target: target, detail: json)
        try row.insert(db)
    }
}
