import HubStore

/// Users as CSV: `username,displayName,disabled,roles,passwordHash,setPasswordOnFirstLogin` —
/// roles `;`-separated, booleans `true`/`false` (empty: false), the password only as its hash.
enum UserCSV {
    static let columns = ["username", "displayName", "disabled", "roles", "passwordHash", "setPasswordOnFirstLogin"]

    static func record(_ row: [String], _ header: [String: Int], index: Int) throws(TransferProblem) -> UserRecord {
        func cell(_ name: String) -> String? {
            guard let i = header[name], i < row.count else { return nil }
            return row[i].isEmpty ? nil : row[i]
        }
        func flag(_ name: String) throws(TransferProblem) -> Bool {
            switch cell(name)?.lowercased() {
            case nil, "false": return false
            case "true": return true
            case let other?: throw TransferProblem(index: index, field: name, message: "must be true or false, not '\(other.prefix(32))'")
            }
        }
        return UserRecord(
            username: cell("username") ?? "", displayName: cell("displayName"), disabled: try flag("disabled"),
            roles: TransferRecords.list(cell("roles") ?? ""), passwordHash: cell("passwordHash"), setPasswordOnFirstLogin: try flag("setPasswordOnFirstLogin"))
    }

    static func rows(_ users: [UserRecord]) -> [[String]] {
        [columns]
            + users.map { u in
                [u.username, u.displayName ?? "", u.disabled ? "true" : "false", u.roles.joined(separator: ";"), u.passwordHash ?? "", ""]
            }
    }
}
