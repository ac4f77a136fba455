import Foundation
import HubCore
import HubStore
import WebSocketLoop

/// `GET /api/{users,roles,properties,features}/export` and `POST …/import`: the REST side of
/// `streamhub import|export` (`Transfer`). An import is checked whole — every problem named
/// by record and field, 422 — and written in one transaction, or not at all (`?dryRun=true`
/// shows the changes without writing). The caller may not grant through an import what it
/// could not grant by hand.
///
/// Threading: handlers on the loop; reading the store and writing on the store queue.
final class TransferAPI: @unchecked Sendable {
    private let identity: IdentityService
    private let gateway: StoreGateway
    private let registry: PropertyRegistry
    /// Called on the loop after properties were imported.
    private let onProperties: () -> Void

    init(identity: IdentityService, gateway: StoreGateway, registry: PropertyRegistry, onProperties: @escaping () -> Void) {
        self.identity = identity
        self.gateway = gateway
        self.registry = registry
        self.onProperties = onProperties
    }

    static let routes: [(kind: TransferKind, path: String, read: String, write: String)] = [
        (.users, "users", "users:read", "users:write"), (.roles, "roles", "roles:read", "roles:write"),
        (.properties, "properties", "properties:read", "properties:write"), (.flags, "features", "features:read", "features:write"),
    ]

    func routes(_ router: HTTPRouter) {
        for r in Self.routes {
            router.add("GET", "/api/\(r.path)/export", .scope(r.read), doc: .export(r.kind)) { [unowned self] req, p, respond in
                export(r.kind, req, p.caller!, respond)
            }
            router.add("POST", "/api/\(r.path)/import", .scope(r.write), doc: .import(r.kind)) { [unowned self] req, p, respond in
                importRecords(r.kind, req, p.caller!, respond)
            }
        }
    }

    private func format(_ kind: TransferKind, _ req: HTTPRequest) -> Result<TransferFormat, HTTPError> {
        let named = req.queryItems["format"] ?? (req.headers["content-type"]?.hasPrefix("text/csv") == true ? "csv" : nil)
        return TransferFormat.named(named, for: kind).mapError { HTTPError(400, "invalid_query", $0.description, field: "format") }
    }

    private func export(_ kind: TransferKind, _ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        let format: TransferFormat
        switch self.format(kind, req) {
        case .success(let f): format = f
        case .failure(let e): return respond(e.response)
        }
        let environment = req.queryItems["environment"] ?? identity.flagEnvironment.environment
        // Password hashes only for callers holding every right (hashes can be cracked offline);
        // properties as the catalogue shows them to the caller.
        let policy = caller.policy
        let hashes = policy.has(scope: Scope.all), writer = policy.has(scope: "properties:write")
        let visible: @Sendable (PropertyDefinition) -> Bool = { writer || policy.allows($0) }
        gateway.run(respond) { store in
            try Transfer.export(kind, format, store: store, environment: environment, passwordHashes: hashes, visible: visible)
        } then: {
            HTTPResponse(status: 200, contentType: format.contentType, body: Array($0))
        }
    }

    private func importRecords(_ kind: TransferKind, _ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        let format: TransferFormat
        switch self.format(kind, req) {
        case .success(let f): format = f
        case .failure(let e): return respond(e.response)
        }
        let dryRun: Bool
        switch req.queryItems["dryRun"] {
        case nil, "false": dryRun = false
        case "true": dryRun = true
        case let other?: return respond(.error(400, code: "invalid_query", message: "dryRun must be true or false, not '\(other.prefix(32))'", field: "dryRun"))
        }
        let parsed: TransferRecords.Parsed
        do {
            parsed = try TransferRecords.parse(kind, format, Data(req.body), environment: req.queryItems["environment"])
        } catch {
            return respond(.error(400, code: "invalid_body", message: error.description, field: error.field))
        }
        // Users: who is who, then the same rights checks as a hand-made change.
        guard case .users(let users) = parsed.records else {
            if let e = authorize(parsed, caller) { return respond(e.response) }
            return write(kind, format, parsed, caller, dryRun, respond)
        }
        gateway.run(respond) { store in
            // Usernames compare ignoring case (the store's collation): `ADMIN` is `admin`.
            try store.users(limit: Int(Int32.max), offset: 0).users.reduce(into: [String: Int64]()) { $0[$1.username.lowercased()] = $1.id }
        } then: { [self] ids in
            if let e = authorize(users, ids: ids, caller, at: { parsed.place(parsed.origin[$0]) }) { return e.response }
            write(kind, format, parsed, caller, dryRun, respond)
            return nil
        }
    }

    /// Roles granted by an import of roles (and the widening of their holders).
    private func authorize(_ parsed: TransferRecords.Parsed, _ caller: Caller) -> HTTPError? {
        guard case .roles(let roles) = parsed.records else { return nil }
        for (i, r) in roles.enumerated() {
            if var e = identity.escalation(by: caller, granting: [r] + (identity.role(r.id).map { [$0] } ?? [])) ?? identity.widening(by: caller, changing: r) {
                e.field = parsed.place(parsed.origin[i])
                return e
            }
        }
        return nil
    }

    /// Users an import changes must be users the caller may manage, given roles it may grant;
    /// nobody disables their own account.
    private func authorize(_ users: [UserRecord], ids: [String: Int64], _ caller: Caller, at place: (Int) -> String) -> HTTPError? {
        for (i, u) in users.enumerated() {
            let roles = u.roles.compactMap { identity.role($0) }
            var e = identity.escalation(by: caller, granting: roles)
            if let id = ids[u.username.lowercased()] {
                e = e ?? identity.management(by: caller, of: id) ?? identity.widening(by: caller, of: id, to: roles)
                if e == nil, u.disabled, id == caller.userID {
                    e = HTTPError(422, "unprocessable", "you cannot disable your own account")
                }
            }
            if var e {
                e.field = place(i)
                return e
            }
        }
        return nil
    }

    private func write(
        _ kind: TransferKind, _ format: TransferFormat, _ parsed: TransferRecords.Parsed, _ caller: Caller, _ dryRun: Bool, _ respond: HTTPResponder
    ) {
        let parsedBox = UncheckedBox(parsed)
        gateway.run(respond) { [identity] store -> (Transfer.Report, FlagSet?, [PropertyDefinition], Int64) in
            var parsed = parsedBox.value
            parsed.problems += try Transfer.check(parsed.records, store: store).map(parsed.fromRecord)
            parsed.problems.sort { ($0.index, $0.field) < ($1.index, $1.field) }
            let report = try Transfer.write(
                kind, format, parsed, store: store, actor: caller.actor, dryRun: dryRun, setupDays: identity.config.passwordSetupDays)
            guard report.written else { return (report, nil, [], 0) }
            switch kind {
            case .users, .roles:
                identity.reload(reason: "\(kind.rawValue) imported")
                return (report, nil, [], 0)
            case .properties: return (report, nil, try store.properties(), 0)
            case .flags: return (report, try store.flagSet(), [], try store.auditHead())
            }
        } then: { [self] report, flags, properties, head in
            if let flags { identity.flagsChanged(flags, reason: "features imported", auditHead: head) }
            if report.written && kind == .properties { apply(properties) }
            guard report.problems.isEmpty else {
                let first = report.problems[0]
                let body = Invalid(
                    error: .init(
                        code: "invalid_records", message: "\(report.problems.count) record(s) cannot be imported; nothing was written",
                        field: "\(first.at)\(first.field.isEmpty ? "" : ".\(first.field)")"), report: report)
                return .json(body, status: 422)
            }
            return .json(report)
        }
    }

    /// The stored definitions into the live registry (transformation and projections use them).
    private func apply(_ stored: [PropertyDefinition]) {
        registry.absorb(stored)
        onProperties()
    }

    struct Invalid: Encodable {
        struct Body: Encodable {
            let code: String
            let message: String
            let field: String
        }
        let error: Body
        let report: Transfer.Report
    }
}
