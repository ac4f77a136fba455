import Foundation
import HubCore

/// A property row: the definition with its lists stored as JSON.
struct PropertyRecord {
    var definition: PropertyDefinition
    var createdAt: Date

    static let select = "SELECT name, type, unit, description, tier, sources, rules, flag, derivedFrom, formula, formulaVersion, createdAt FROM property"

    init(_ r: SQLRow) throws {
        let name = try r.text(0), type = try r.text(1), tier = try r.text(4)
        guard let t = PropertyType(rawValue: type), let tr = PropertyTier(rawValue: tier) else {
            throw StoreError.io("property '\(name)' has type '\(type)' or tier '\(tier)' that this version does not know")
        }
        definition = PropertyDefinition(
            name: name, type: t, unit: try r.optionalText(2), description: try r.text(3), tier: tr, sources: try r.json(5), rules: try r.json(6),
            flag: try r.optionalText(7), derivedFrom: try r.optionalJSON(8), formula: try r.optionalText(9), formulaVersion: try r.optionalInt(10).map(Int.init)
        )
        createdAt = try r.date(11)
    }

    static func find(_ name: String, _ db: any SQLTransaction) throws -> PropertyRecord? {
        try db.row("\(select) WHERE name = ?", name).map(PropertyRecord.init)
    }

    /// Inserts or replaces `d`, keeping `createdAt` of a stored one.
    static func save(_ d: PropertyDefinition, createdAt: Date, updatedAt: Date, _ db: any SQLTransaction) throws {
        try db.execute(
            """
            INSERT INTO property (name, type, unit, description, tier, sources, rules, flag, derivedFrom, formula, formulaVersion, createdAt, updatedAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET type = excluded.type, unit = excluded.unit, description = excluded.description,
                tier = excluded.tier, sources = excluded.sources, rules = excluded.rules, flag = excluded.flag,
                derivedFrom = excluded.derivedFrom, formula = excluded.formula, formulaVersion = excluded.formulaVersion,
                createdAt = excluded.createdAt, updatedAt = excluded.updatedAt
            """, d.name, d.type.rawValue, d.unit, d.description, d.tier.rawValue, try JSONColumn.text(d.sources), try JSONColumn.text(d.rules), d.flag,
            try d.derivedFrom.map { try JSONColumn.text($0) }, d.formula, d.formulaVersion, createdAt, updatedAt)
    }
}

extension HubStore {
    /// Every stored property definition.
    public func properties() throws(StoreError) -> [PropertyDefinition] {
        try reading { db in try db.rows("\(PropertyRecord.select) ORDER BY name\(db.dialect.bytewise)").map { try PropertyRecord($0).definition } }
    }

    public func propertyCount() throws(StoreError) -> Int {
        try reading { db in Int(try db.integer("SELECT COUNT(*) FROM property")) }
    }

    /// Inserts new definitions in one transaction; a name already stored is `.duplicate`.
    /// `actor` (a REST caller) gets each change into the audit log; seeding passes none.
    public func insertProperties(_ defs: [PropertyDefinition], actor: String? = nil, now: Date = Date()) throws(StoreError) {
        try writing { db in
            for d in defs {
                if try db.exists("SELECT 1 FROM property WHERE name = ?", d.name) { throw StoreError.duplicate("property '\(d.name)'") }
                try PropertyRecord.save(d, createdAt: now, updatedAt: now, db)
                if let actor { try audit(db, actor: actor, action: "property.create", target: d.name, detail: d, at: now) }
            }
        }
    }

    /// Inserts the definitions not stored yet (a seed; stored ones are never overwritten), in
    /// one transaction; returns how many were new. Nodes of a cluster starting together each
    /// add what the others have not.
    @discardableResult
    public func seedProperties(_ defs: [PropertyDefinition], now: Date = Date()) throws(StoreError) -> Int {
        try writing { db in
            var added = 0
            for d in defs where try !db.exists("SELECT 1 FROM property WHERE name = ?", d.name) {
                try PropertyRecord.save(d, createdAt: now, updatedAt: now, db)
                added += 1
            }
            return added
        }
    }

    /// Replaces a stored definition; `.notFound` when the name is not stored.
    public func updateProperty(_ d: PropertyDefinition, actor: String? = nil, now: Date = Date()) throws(StoreError) {
        try writing { db in
            guard let old = try PropertyRecord.find(d.name, db) else { throw StoreError.notFound("property '\(d.name)'") }
            try PropertyRecord.save(d, createdAt: old.createdAt, updatedAt: now, db)
            if let actor { try audit(db, actor: actor, action: "property.update", target: d.name, detail: ["before": old.definition, "after": d], at: now) }
        }
    }
}
