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

    /// Replaces the rule set (audited as `alertRules.update`).
    public func saveAlertRules<Rules: Encodable>(_ rules: Rules, actor: String, now: Date = Date()) throws(StoreError) {
        let text: String
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            text = String(decoding: try encoder.encode(rules), as: UTF8.self)
        } catch {
            throw StoreError.io("alert rules do not encode: \(error)")
        }
        try writing { db in
            try db.execute(
                "INSERT INTO alert_rules (id, rules, updatedAt) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET rules = excluded.rules, updatedAt = excluded.updatedAt",
                text, now)
            try audit(db, actor: actor, action: "alertRules.update", target: "alert-rules", detail: rules, at: now)
        }
    }
}
