import Foundation

extension HubStore {
    /// The alert rule set, or nil when none was ever saved (the hub then seeds it from its
    /// configuration). The rules' shape belongs to the hub: the store keeps their JSON.
    public func alertRules<Rules: Decodable>(as type: Rules.Type) throws(StoreError) -> Rules? {
        let text = try reading { db in try db.row("SELECT rules FROM alert_rules WHERE id = 1").map { try $0.text(0) } }
        guard let text else { return nil }
        do {
            return try JSONDecoder().decode(Rules.self, from: Data(text.utf8))
        } catch {
            throw StoreError.io("stored alert rules do not decode: \(error)")
        }
    }

    /// The stored rule set; a store without one stores `seed` first (audited as
    /// `alertRules.seed`). Nodes starting together store one seed and all get the stored set.
    public func seedAlertRules<Rules: Codable>(_ seed: Rules, now: Date = Date()) throws(StoreError) -> Rules {
        let seedText = try Self.rulesText(seed)
        let text = try writing { db in
            if try db.execute("INSERT INTO alert_rules (id, rules, updatedAt) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING", seedText, now) > 0 {
                try audit(db, actor: "system", action: "alertRules.seed", target: "alert-rules", detail: seed, at: now)
            }
            guard let row = try db.row("SELECT rules FROM alert_rules WHERE id = 1") else { throw StoreError.io("the alert rule set went missing") }
            return try row.text(0)
        }
        do {
            return try JSONDecoder().decode(Rules.self, from: Data(text.utf8))
        } catch {
            throw StoreError.io("stored alert rules do not decode: \(error)")
        }
    }

    static func rulesText(_ rules: some Encodable) throws(StoreError) -> String {
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(rules), as: UTF8.self)
        } catch {
            throw StoreError.io("alert rules do not encode: \(error)")
        }
    }

    /// Replaces the rule set (audited as `alertRules.update`).
    public func saveAlertRules<Rules: Encodable>(_ rules: Rules, actor: String, now: Date = Date()) throws(StoreError) {
        let text = try Self.rulesText(rules)
        try writing { db in
            try db.execute(
                "INSERT INTO alert_rules (id, rules, updatedAt) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, updatedAt = excluded.updatedAt",
                text, now)
            try audit(db, actor: actor, action: "alertRules.update", target: "alert-rules", detail: rules, at: now)
        }
    }
}
