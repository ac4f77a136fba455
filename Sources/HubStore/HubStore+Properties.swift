import Foundation
import GRDB
import HubCore

/// A property row: the definition with its lists stored as JSON.
struct PropertyRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "property"
    var name: String
    var type: String
    var unit: String?
    var description: String
    var tier: String
    var sources: [String]
    var rules: ValidationRules
    var flag: String?
    var derivedFrom: [String]?
    var formula: String?
    var formulaVersion: Int?
    var createdAt: Date
    var updatedAt: Date

    init(_ d: PropertyDefinition, createdAt: Date, updatedAt: Date) {
        name = d.name
        type = d.type.rawValue
        unit = d.unit
        description = d.description
        tier = d.tier.rawValue
        sources = d.sources
        rules = d.rules
        flag = d.flag
        derivedFrom = d.derivedFrom
        formula = d.formula
        formulaVersion = d.formulaVersion
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    func definition() throws(StoreError) -> PropertyDefinition {
        guard let t = PropertyType(rawValue: type), let tr = PropertyTier(rawValue: tier) else {
            throw StoreError.io("property '\(name)' has type '\(type)' or tier '\(tier)' that this version does not know")
        }
        return PropertyDefinition(
            name: name, type: t, unit: unit, description: description, tier: tr, sources: sources, rules: rules, flag: flag,
            derivedFrom: derivedFrom, formula: formula, formulaVersion: formulaVersion)
    }
}

extension HubStore {
    /// Every stored property definition.
    public func properties() throws(StoreError) -> [PropertyDefinition] {
        let records: [PropertyRecord]
        do {
            records = try pool.read { try PropertyRecord.order(Column("name")).fetchAll($0) }
        } catch {
            throw StoreError.io("\(error)")
        }
        return try records.map { r throws(StoreError) in try r.definition() }
    }

    public func propertyCount() throws(StoreError) -> Int {
        do {
            return try pool.read { try PropertyRecord.fetchCount($0) }
        } catch {
            throw StoreError.io("\(error)")
        }
    }

    /// Inserts new definitions in one transaction; a name already stored is `.duplicate`.
    /// `actor` (a REST caller) gets each change into the audit log; seeding passes none.
    public func insertProperties(_ defs: [PropertyDefinition], actor: String? = nil, now: Date = Date()) throws(StoreError) {
        do {
            try pool.write { db in
                for d in defs {
                    if try PropertyRecord.exists(db, key: d.name) { throw StoreError.duplicate("property '\(d.name)'") }
                    try PropertyRecord(d, createdAt: now, updatedAt: now).insert(db)
                    if let actor { try audit(db, actor: actor, action: "property.create", target: d.name, detail: d, at: now) }
                }
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.io("\(error)")
        }
    }

    /// Replaces a stored definition; `.notFound` when the name is not stored.
    public func updateProperty(_ d: PropertyDefinition, actor: String? = nil, now: Date = Date()) throws(StoreError) {
        do {
            try pool.write { db in
                guard let old = try PropertyRecord.fetchOne(db, key: d.name) else { throw StoreError.notFound("property '\(d.name)'") }
                try PropertyRecord(d, createdAt: old.createdAt, updatedAt: now).update(db)
                if let actor {
                    try audit(db, actor: actor, action: "property.update", target: d.name, detail: ["before": try old.definition(), "after": d], at: now)
                }
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.io("\(error)")
        }
    }
}
