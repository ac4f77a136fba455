import Foundation

extension HubStore {
    /// The newest entries first; `before` pages back from an entry id.
    public func auditLog(limit: Int = 100, before: Int64? = nil) throws(StoreError) -> [AuditEntry] {
        try reading { db in
            let page = max(1, min(limit, 1000))
            let select = "SELECT id, at, actor, action, target, detail FROM audit"
            let rows =
                try before.map { try db.rows("\(select) WHERE id < ? ORDER BY id DESC LIMIT ?", $0, page) }
                ?? db.rows("\(select) ORDER BY id DESC LIMIT ?", page)
            return try rows.map { r in
                AuditEntry(id: try r.int(0), at: try r.date(1), actor: try r.text(2), action: try r.text(3), target: try r.text(4), detail: try r.text(5))
            }
        }
    }

    /// The control-plane version: every audited change — in this process, another node or the
    /// CLI — adds one when it commits, so a change of this number means "reload". It only grows.
    public func auditHead() throws(StoreError) -> Int64 {
        try reading { db in try db.integer("SELECT version FROM control_version WHERE id = 1") }
    }

    /// Appends an entry inside the caller's transaction (the change and its record commit together).
    func audit(_ db: any SQLTransaction, actor: String, action: String, target: String, detail: some Encodable, at: Date) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let json = String(decoding: try encoder.encode(detail), as: UTF8.self)
        try db.execute("INSERT INTO audit (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)", at, actor, action, target, json)
        // Row-locked until commit: versions follow the order changes commit in.
        try db.execute("UPDATE control_version SET version = version + 1 WHERE id = 1")
    }
}
