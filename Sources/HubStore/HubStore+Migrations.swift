extension HubStore {
    /// Applies every pending migration in order, each in its own transaction with its record.
    public func migrate() throws(StoreError) {
        try backend.exclusively { () throws(StoreError) in
            for m in Migrations.all {
                do {
                    try backend.write(additive: false) { db in
                        try Self.prepareLedger(db)
                        if try db.exists("SELECT 1 FROM \(Migrations.table) WHERE identifier = ?", m.id) { return ((), false) }
                        for statement in m.steps(db.dialect).up { try db.execute(statement, []) }
                        try db.execute("INSERT INTO \(Migrations.table) (identifier) VALUES (?)", m.id)
                        return ((), true)
                    }
                } catch {
                    throw StoreError.migration("\(m.id): \(error)")
                }
            }
        }
    }

    /// Each known migration and whether it is applied, in order.
    public func migrationStatus() throws(StoreError) -> [(id: String, applied: Bool)] {
        let applied = try appliedMigrations()
        return Migrations.all.map { ($0.id, applied.contains($0.id)) }
    }

    /// Rolls back the most recent applied migration; returns its id (nil when none is applied).
    @discardableResult
    public func rollbackLast() throws(StoreError) -> String? {
        try backend.exclusively { () throws(StoreError) in
            do {
                return try backend.write(additive: false) { db -> (value: String?, commit: Bool) in
                    try Self.prepareLedger(db)
                    let applied = Set(try db.rows("SELECT identifier FROM \(Migrations.table)").map { try $0.text(0) })
                    guard let last = Migrations.all.last(where: { applied.contains($0.id) }) else { return (nil, false) }
                    for statement in last.steps(db.dialect).down { try db.execute(statement, []) }
                    try db.execute("DELETE FROM \(Migrations.table) WHERE identifier = ?", last.id)
                    return (last.id, true)
                }
            } catch {
                throw StoreError.migration("\(error)")
            }
        }
    }

    /// Fails unless every migration is applied (the hub starts only on a current schema).
    public func requireCurrentSchema() throws(StoreError) {
        let pending = try migrationStatus().filter { !$0.applied }.map(\.id)
        if !pending.isEmpty { throw StoreError.migration("pending migrations: \(pending.joined(separator: ", "))") }
    }

    /// A read: `migrate status` works on a store it may not write (no ledger: nothing applied).
    private func appliedMigrations() throws(StoreError) -> Set<String> {
        do {
            return try backend.read { db in
                guard try db.exists(db.dialect.tableExists, Migrations.table) else { return [] }
                return Set(try db.rows("SELECT identifier FROM \(Migrations.table)").map { try $0.text(0) })
            }
        } catch {
            throw StoreError.migration("\(error)")
        }
    }

    /// The table of applied migration ids, created on first use (GRDB's layout).
    private static func prepareLedger(_ db: any SQLTransaction) throws {
        try db.execute("CREATE TABLE IF NOT EXISTS \(Migrations.table) (identifier TEXT NOT NULL PRIMARY KEY)", [])
    }
}
