import CSV
import Foundation
import HubAuth
import HubCore
import HubStore

/// Import and export of users, roles, properties and flags — for `streamhub import|export`
/// and the REST routes alike. An import reads every record, checks each (all problems are
/// reported, each with its record and field), then writes them in one transaction; a dry run,
/// or any problem, writes nothing.
public enum Transfer {
    /// What an import did or would do.
    public struct Report: Encodable, Sendable {
        public struct Change: Encodable, Sendable {
            let at: String
            let key: String
            let action: TransferChange.Action
            let fields: [String]?
            /// Before and after of each changed field (not of password hashes).
            let diff: [FieldDiff]?
        }
        public struct Problem: Encodable, Sendable {
            let at: String
            let field: String
            let message: String
        }
        /// A one-time code with which an imported user sets its first password (shown once).
        public struct SetupCode: Encodable, Sendable {
            public let username: String
            public let code: String
            public let expiresAt: Date
        }
        public struct Summary: Encodable, Sendable {
            let create: Int
            let update: Int
            let unchanged: Int
        }
        public let kind: String
        public let format: String
        public let dryRun: Bool
        /// True when the changes were written (not a dry run, no problems).
        public let written: Bool
        public let summary: Summary
        public let changes: [Change]
        public let problems: [Problem]
        /// Codes issued for `setPasswordOnFirstLogin` records (written imports only).
        public let setupCodes: [SetupCode]

        /// For people: one line per created or updated record, then the problems.
        public var text: String {
            var lines = [
                "\(kind): \(summary.create) to create, \(summary.update) to update, \(summary.unchanged) unchanged"
                    + (written ? " — written" : problems.isEmpty ? " — dry run, nothing written" : " — nothing written")
            ]
            for c in changes where c.action != .unchanged {
                lines.append("  \(c.action == .create ? "+" : "~") \(c.key)\(c.fields.map { $0.isEmpty ? "" : ": " + $0.joined(separator: ", ") } ?? "")")
                for d in c.diff ?? [] { lines.append("      \(d.field): \(Self.clip(d.before)) → \(Self.clip(d.after))") }
            }
            if !problems.isEmpty { lines.append("\(problems.count) problem(s):") }
            for p in problems { lines.append("  \(p.at)\(p.field.isEmpty ? "" : ", \(p.field)"): \(p.message)") }
            if !setupCodes.isEmpty { lines.append("setup codes (shown once; POST /api/auth/setup with username, code and a new password):") }
            for c in setupCodes { lines.append("  \(c.username) \(c.code) (until \(ISO8601DateFormatter().string(from: c.expiresAt)))") }
            return lines.joined(separator: "\n")
        }

        static func clip(_ json: String) -> String { json.count > 100 ? json.prefix(97) + "…" : json }
    }

    /// Reads, checks and (unless `dryRun` or a problem) writes a file: `streamhub import`.
    public static func run(
        _ kind: TransferKind, _ format: TransferFormat, _ data: Data, store: HubStore, actor: String, dryRun: Bool, environment: String?,
        setupDays: Double
    ) throws -> Report {
        try write(
            kind, format, try read(kind, format, data, store: store, environment: environment), store: store, actor: actor, dryRun: dryRun,
            setupDays: setupDays)
    }

    /// Reads and checks `data` (the problems of records that cannot be used, in file order).
    /// `environment`: the one to read from an Unleash admin export (nil: the export's only one).
    static func read(_ kind: TransferKind, _ format: TransferFormat, _ data: Data, store: HubStore, environment: String?) throws -> TransferRecords.Parsed {
        var parsed = try TransferRecords.parse(kind, format, data, environment: environment)
        parsed.problems += try check(parsed.records, store: store).map(parsed.fromRecord)
        parsed.problems.sort { ($0.index, $0.field) < ($1.index, $1.field) }
        return parsed
    }

    /// Writes checked records (nothing when `dryRun` or any problem) and reports.
    static func write(
        _ kind: TransferKind, _ format: TransferFormat, _ parsed: TransferRecords.Parsed, store: HubStore, actor: String, dryRun: Bool,
        setupDays: Double
    ) throws(StoreError) -> Report {
        var outcome = TransferOutcome()
        var codes: [String: String] = [:]
        let setupExpiresAt = Date().addingTimeInterval(setupDays * 86_400)
        if parsed.problems.isEmpty {
            switch parsed.records {
            case .users(let users):
                // Codes are made here and kept as digests; the report shows each once.
                for u in users where u.setPasswordOnFirstLogin { codes[u.username] = "shs_" + APIKey.generate().secret }
                outcome = try store.importUsers(
                    users, actor: actor, dryRun: dryRun, setup: codes.mapValues { APIKey.digest(String($0.dropFirst(4))) }, setupExpiresAt: setupExpiresAt)
            case .roles(let roles): outcome = try store.importRoles(roles, actor: actor, dryRun: dryRun)
            case .properties(let defs): outcome = try store.importProperties(defs, actor: actor, dryRun: dryRun)
            case .flags(let set): outcome = try store.importFlagSet(set, actor: actor, dryRun: dryRun)
            }
        }
        let problems = parsed.problems + outcome.problems.map(parsed.fromRecord)
        let changes = outcome.changes.map {
            TransferChange(index: parsed.origin[$0.index], key: $0.key, action: $0.action, fields: $0.fields, diff: $0.diff)
        }
        let count = { (a: TransferChange.Action) in changes.filter { $0.action == a }.count }
        return Report(
            kind: kind.rawValue, format: format.rawValue, dryRun: dryRun, written: !dryRun && problems.isEmpty,
            summary: .init(create: count(.create), update: count(.update), unchanged: count(.unchanged)),
            changes: changes.map {
                .init(
                    at: parsed.place($0.index), key: $0.key, action: $0.action, fields: $0.fields.isEmpty ? nil : $0.fields,
                    diff: $0.diff.isEmpty ? nil : $0.diff)
            },
            problems: problems.map { .init(at: parsed.place($0.index), field: $0.field, message: $0.message) },
            setupCodes: !dryRun && problems.isEmpty
                ? changes.filter { $0.fields.contains("passwordSetup") }.compactMap { c in
                    codes[c.key].map { Report.SetupCode(username: c.key, code: $0, expiresAt: setupExpiresAt) }
                } : [])
    }

    /// What each record must satisfy on its own and against the others of the file.
    static func check(_ records: TransferRecords, store: HubStore) throws -> [TransferProblem] {
        var problems: [TransferProblem] = []
        func problem(_ i: Int, _ field: String, _ message: String) { problems.append(TransferProblem(index: i, field: field, message: message)) }
        func once(_ keys: [String], field: String) {
            var seen: Set<String> = []
            for (i, k) in keys.enumerated() where !seen.insert(k).inserted { problem(i, field, "'\(k.prefix(64))' appears twice in the file") }
        }
        switch records {
        case .users(let users):
            once(users.map { $0.username.lowercased() }, field: "username")
            let roles = Set(try store.roles().map(\.id))
            for (i, u) in users.enumerated() {
                for (j, r) in u.roles.enumerated() where !roles.contains(r) { problem(i, "roles[\(j)]", "no role '\(r.prefix(64))'") }
                if !UsersAPI.isValidUsername(u.username) { problem(i, "username", "must be 1 to 64 of A-Z a-z 0-9 . _ @ -") }
                if let d = u.displayName, d.unicodeScalars.count > 128 { problem(i, "displayName", "is longer than 128 characters") }
                if let h = u.passwordHash, !isPasswordHash(h) {
                    problem(i, "passwordHash", "not a hash this hub made (pbkdf2-sha256$rounds$salt$hash, 1000 to \(Passwords.maxRounds) rounds)")
                }
                if u.passwordHash != nil && u.setPasswordOnFirstLogin {
                    problem(i, "setPasswordOnFirstLogin", "give a passwordHash or setPasswordOnFirstLogin, not both")
                }
            }
        case .roles(let roles):
            once(roles.map(\.id), field: "id")
            for (i, r) in roles.enumerated() {
                if !Role.isValidID(r.id) { problem(i, "id", "must be 1 to 32 of a-z 0-9 _ - (not export or import)") }
                if r.description.unicodeScalars.count > 256 { problem(i, "description", "is longer than 256 characters") }
                do { try r.grants.check() } catch { problem(i, error.field, error.message) }
            }
        case .properties(let defs):
            once(defs.map(\.name), field: "name")
            // Against the stored definitions with the file's applied in order: lineage may name
            // a property defined earlier in the file.
            let trial = PropertyRegistry()
            try trial.load(try store.properties())
            for (i, d) in defs.enumerated() {
                do {
                    if trial.definition(d.name) != nil { try trial.replace(d) } else { try trial.add(d) }
                } catch {
                    problem(i, error.field, error.message)
                }
            }
        case .flags(let set):
            once(set.features.map(\.name), field: "name")
            for (i, f) in set.features.enumerated() {
                do { try FlagCheck.check(f) } catch { problem(i, error.field, error.message) }
            }
            for (i, s) in set.segments.enumerated() {
                do { try FlagCheck.check(s) } catch { problem(set.features.count + i, error.field, error.message) }
            }
        }
        return problems
    }

    /// `pbkdf2-sha256$rounds$salt$hash` with base64 salt and hash, as `Passwords.hash` writes.
    static func isPasswordHash(_ s: String) -> Bool {
        let parts = s.split(separator: "$", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "pbkdf2-sha256" && Int(parts[1]).map { (1000...Passwords.maxRounds).contains($0) } == true
            && Data(base64Encoded: String(parts[2])).map { $0.count >= 8 } == true && Data(base64Encoded: String(parts[3])).map { $0.count >= 16 } == true
    }

    // MARK: Export

    /// The stored records of `kind` in `format`: `streamhub export`. `passwordHashes`: users
    /// carry their hashes (the command line, and over REST only callers holding every right);
    /// `visible`: the properties the caller may see.
    public static func export(
        _ kind: TransferKind, _ format: TransferFormat, store: HubStore, environment: String, passwordHashes: Bool = true,
        visible: (PropertyDefinition) -> Bool = { _ in true }
    ) throws -> Data {
        func users() throws -> [UserRecord] {
            try store.exportUsers().map { u in
                var u = u
                if !passwordHashes { u.passwordHash = nil }
                return u
            }
        }
        switch (kind, format) {
        case (.users, .csv): return try csv(UserCSV.rows(try users()))
        case (.roles, .csv): return try csv(RoleCSV.rows(try store.roles()))
        case (.users, _): return try json(["users": try users()])
        case (.roles, _): return try json(["roles": try store.roles()])
        case (.properties, _): return try json(["properties": try store.properties().filter(visible)])
        case (.flags, .admin):
            return try JSONSerialization.data(
                withJSONObject: UnleashAdminExport.document(try store.flagSet(), environment: environment),
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        case (.flags, _): return try json(try store.flagSet())
        }
    }

    static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    static func csv(_ rows: [[String]]) throws -> Data {
        let writer = try CSVWriter(stream: .toMemory())
        for row in rows { try writer.write(row: row) }
        writer.stream.close()
        return (writer.stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data ?? Data()) + Data("\n".utf8)
    }
}
