import HubCore
import HubStore

/// Roles as CSV, one role per line: `id,description,channels,tiers,propertiesAllow,
/// propertiesDeny,scopes,publish` — lists `;`-separated; a channel rule is `allow:PATTERN` or
/// `deny:PATTERN`, with `@FLAG` when it needs a feature flag (`allow:options.*.*@beta`).
enum RoleCSV {
    static let columns = ["id", "description", "channels", "tiers", "propertiesAllow", "propertiesDeny", "scopes", "publish"]

    static func record(_ row: [String], _ header: [String: Int], index: Int) throws(TransferProblem) -> Role {
        func cell(_ name: String) -> String {
            guard let i = header[name], i < row.count else { return "" }
            return row[i]
        }
        var channels: [ChannelRule] = []
        for (j, item) in TransferRecords.list(cell("channels")).enumerated() {
            let parts = item.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let effect = ChannelRule.Effect(rawValue: parts[0]) else {
                throw TransferProblem(index: index, field: "channels[\(j)]", message: "a rule is allow:PATTERN or deny:PATTERN, not '\(item.prefix(64))'")
            }
            let patternAndFlag = parts[1].split(separator: "@", maxSplits: 1).map(String.init)
            channels.append(ChannelRule(effect, patternAndFlag[0], flag: patternAndFlag.count > 1 ? patternAndFlag[1] : nil))
        }
        var tiers: [PropertyTier] = []
        for (j, name) in TransferRecords.list(cell("tiers")).enumerated() {
            guard let tier = PropertyTier(rawValue: name) else {
                throw TransferProblem(index: index, field: "tiers[\(j)]", message: "not a tier (public, premium, internal): '\(name.prefix(32))'")
            }
            tiers.append(tier)
        }
        return Role(
            id: cell("id"), description: cell("description"),
            grants: Grants(
                channels: channels, tiers: tiers,
                properties: PropertyRules(allow: TransferRecords.list(cell("propertiesAllow")), deny: TransferRecords.list(cell("propertiesDeny"))),
                scopes: TransferRecords.list(cell("scopes")), publish: TransferRecords.list(cell("publish"))))
    }

    static func rows(_ roles: [Role]) -> [[String]] {
        [columns]
            + roles.map { r in
                let g = r.grants
                let channels = g.channels.map { "\($0.effect.rawValue):\($0.pattern)\($0.flag.map { "@\($0)" } ?? "")" }
                return [
                    r.id, r.description, channels.joined(separator: ";"), g.tiers.map(\.rawValue).joined(separator: ";"),
                    g.properties.allow.joined(separator: ";"), g.properties.deny.joined(separator: ";"), g.scopes.joined(separator: ";"),
                    g.publish.joined(separator: ";"),
                ]
            }
    }
}
