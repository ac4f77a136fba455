import Foundation
import HubAuth
import HubCore
import HubStore
import WebSocketLoop

/// `/api/users…`: accounts, their roles and API keys. Every change is written (with its audit
/// entry), then applied to the live sessions of that user before the answer goes out.
///
/// Threading: handlers on the loop; store work (and password hashing) on the store queue.
final class UsersAPI: @unchecked Sendable {
    private let identity: IdentityService
    private let gateway: StoreGateway

    /// API key expiry reads this clock.
    private let clock: HubClock

    init(identity: IdentityService, gateway: StoreGateway, clock: HubClock) {
        self.identity = identity
        self.gateway = gateway
        self.clock = clock
    }

    func routes(_ router: HTTPRouter) {
        router.add("POST", "/api/users", .scope("users:write"), doc: .usersCreate) { [unowned self] req, p, respond in create(req, p.caller!, respond) }
        router.add("GET", "/api/users", .scope("users:read"), doc: .usersList) { [unowned self] req, _, respond in list(req, respond) }
        router.add("GET", "/api/users/:id", .authenticated, doc: .usersDetail) { [unowned self] _, p, respond in detail(p["id"]!, p.caller!, respond) }
        router.add("PUT", "/api/users/:id", .scope("users:write"), doc: .usersUpdate) { [unowned self] req, p, respond in
            update(p["id"]!, req, p.caller!, respond)
        }
        router.add("POST", "/api/users/:id/role", .scope("users:write"), doc: .usersAssignRole) { [unowned self] req, p, respond in
            assign(p["id"]!, req, p.caller!, respond)
        }
        router.add("DELETE", "/api/users/:id/roles/:role", .scope("users:write"), doc: .usersRemoveRole) { [unowned self] _, p, respond in
            remove(p["id"]!, p["role"]!, p.caller!, respond)
        }
        router.add("POST", "/api/users/:id/keys", .authenticated, doc: .usersCreateKey) { [unowned self] req, p, respond in
            createKey(p["id"]!, req, p.caller!, respond)
        }
        router.add("DELETE", "/api/users/:id/keys/:key", .authenticated, doc: .usersRevokeKey) { [unowned self] _, p, respond in
            revokeKey(p["id"]!, p["key"]!, p.caller!, respond)
        }
    }

    // MARK: Bodies

    struct CreateBody: Decodable {
        var username: String
        var password: String?
        var displayName: String?
        var roles: [String]
        enum Keys: String, CodingKey, CaseIterable { case username, password, displayName, roles }
        init(from decoder: Decoder) throws {
            let c = try decoder.strictContainer(Keys.self)
            username = try c.decode(String.self, forKey: .username)
            password = try c.decodeIfPresent(String.self, forKey: .password)
            displayName = try c.decodeIfPresent(String.self, forKey: .displayName)
            roles = try c.value(.roles, [])
        }
    }

    struct UpdateBody: Decodable {
        var password: String?
        var displayName: String??
        var disabled: Bool?
        enum Keys: String, CodingKey, CaseIterable { case password, displayName, disabled }
        init(from decoder: Decoder) throws {
            let c = try decoder.strictContainer(Keys.self)
            password = try c.decodeIfPresent(String.self, forKey: .password)
            // `"displayName": null` clears it; an absent key leaves it.
            displayName = c.contains(.displayName) ? .some(try c.decodeIfPresent(String.self, forKey: .displayName)) : nil
            disabled = try c.decodeIfPresent(Bool.self, forKey: .disabled)
        }
    }

    struct RoleBody: Decodable {
        var role: String
        enum Keys: String, CodingKey, CaseIterable { case role }
        init(from decoder: Decoder) throws { role = try decoder.strictContainer(Keys.self).decode(String.self, forKey: .role) }
    }

    struct KeyBody: Decodable {
        var name: String
        var expiresInDays: Double?
        enum Keys: String, CodingKey, CaseIterable { case name, expiresInDays }
        init(from decoder: Decoder) throws {
            let c = try decoder.strictContainer(Keys.self)
            name = try c.value(.name, "api")
            expiresInDays = try c.decodeIfPresent(Double.self, forKey: .expiresInDays)
        }
    }

    struct One: Encodable { let user: UserAccount }
    struct Detail: Encodable {
        let user: UserAccount
        let apiKeys: [APIKeyInfo]
    }
    struct Page: Encodable {
        let users: [UserAccount]
        let total: Int
        let limit: Int
        let offset: Int
    }
    struct NewKey: Encodable {
        /// The whole key, shown this once.
        let key: String
        let apiKey: APIKeyInfo
    }

    static let minPasswordLength = 12

    static func isValidUsername(_ s: String) -> Bool {
        (1...64).contains(s.utf8.count)
            && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || "._@-".utf8.contains($0) }
    }

    static func checkPassword(_ p: String) -> HTTPError? {
        if p.count < minPasswordLength {
            return HTTPError(422, "unprocessable", "password must have at least \(minPasswordLength) characters", field: "password")
        }
        if p.utf8.count > 1024 { return HTTPError(400, "invalid_body", "password is longer than 1024 bytes", field: "password") }
        return nil
    }

    // MARK: Handlers

    private func create(_ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        let body: CreateBody
        do { body = try RequestBody.decode(CreateBody.self, from: try RequestBody.object(req)) } catch { return respond(error.response) }
        guard Self.isValidUsername(body.username) else {
            return respond(.error(400, code: "invalid_body", message: "username must be 1 to 64 of A-Z a-z 0-9 . _ @ -", field: "username"))
        }
        if let p = body.password, let e = Self.checkPassword(p) { return respond(e.response) }
        if let d = body.displayName, d.unicodeScalars.count > 128 {
            return respond(.error(400, code: "invalid_body", message: "displayName is longer than 128 characters", field: "displayName"))
        }
        var granted: [Role] = []
        for (i, id) in body.roles.enumerated() {
            guard let r = identity.role(id) else { return respond(.error(422, code: "unknown_role", message: "no role '\(id)'", field: "roles[\(i)]")) }
            granted.append(r)
        }
        if let e = identity.escalation(by: caller, granting: granted) { return respond(e.response) }
        let rounds = identity.config.passwordRounds
        gateway.run(respond) { [identity] store in
            let hash = try body.password.map { try Passwords.hash($0, rounds: rounds) }
            let user = try store.insertUser(username: body.username, displayName: body.displayName, passwordHash: hash, roles: body.roles, actor: caller.actor)
            identity.reload(reason: "account created")
            return user
        } then: {
            .json(One(user: $0), status: 201)
        }
    }

    private func list(_ req: HTTPRequest, _ respond: HTTPResponder) {
        let limit: Int, offset: Int
        do {
            limit = try Self.intQuery(req, "limit", default: 50, range: 1...500)
            offset = try Self.intQuery(req, "offset", default: 0, range: 0...Int(Int32.max))
        } catch {
            return respond(error.response)
        }
        gateway.run(respond) { store in
            try store.users(limit: limit, offset: offset)
        } then: {
            .json(Page(users: $0.users, total: $0.total, limit: limit, offset: offset))
        }
    }

    private func detail(_ idText: String, _ caller: Caller, _ respond: HTTPResponder) {
        guard let id = Self.userID(idText, respond) else { return }
        guard caller.policy.has(scope: "users:read") || caller.userID == id else {
            return respond(.error(403, code: "forbidden", message: "users:read is needed to see other users"))
        }
        gateway.run(respond) { store -> Detail in
            guard let user = try store.user(id: id) else { throw StoreError.notFound("user \(id)") }
            return Detail(user: user, apiKeys: try store.apiKeys(userID: id))
        } then: {
            .json($0)
        }
    }

    private func update(_ idText: String, _ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        guard let id = Self.userID(idText, respond) else { return }
        let body: UpdateBody
        do { body = try RequestBody.decode(UpdateBody.self, from: try RequestBody.object(req)) } catch { return respond(error.response) }
        guard body.password != nil || body.displayName != nil || body.disabled != nil else {
            return respond(.error(400, code: "invalid_body", message: "give at least one of password, displayName, disabled"))
        }
        if let p = body.password, let e = Self.checkPassword(p) { return respond(e.response) }
        if case .some(.some(let d)) = body.displayName, d.unicodeScalars.count > 128 {
            return respond(.error(400, code: "invalid_body", message: "displayName is longer than 128 characters", field: "displayName"))
        }
        if body.disabled == true && caller.userID == id {
            return respond(.error(422, code: "unprocessable", message: "you cannot disable your own account", field: "disabled"))
        }
        if let e = identity.management(by: caller, of: id) { return respond(e.response) }
        let rounds = identity.config.passwordRounds
        gateway.run(respond) { [identity] store in
            let hash = try body.password.map { try Passwords.hash($0, rounds: rounds) }
            let user = try store.updateUser(id: id, displayName: body.displayName, passwordHash: hash, disabled: body.disabled, actor: caller.actor)
            identity.reload(reason: body.disabled == true ? "account disabled" : "account changed")
            return user
        } then: {
            .json(One(user: $0))
        }
    }

    private func assign(_ idText: String, _ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        guard let id = Self.userID(idText, respond) else { return }
        let body: RoleBody
        do { body = try RequestBody.decode(RoleBody.self, from: try RequestBody.object(req)) } catch { return respond(error.response) }
        guard let role = identity.role(body.role) else { return respond(.error(422, code: "unknown_role", message: "no role '\(body.role)'", field: "role")) }
        if let e = identity.escalation(by: caller, granting: [role]) ?? identity.management(by: caller, of: id) { return respond(e.response) }
        gateway.run(respond) { [identity] store in
            let user = try store.assignRole(userID: id, role: role.id, actor: caller.actor)
            identity.reload(reason: "role '\(role.id)' assigned")
            return user
        } then: {
            .json(One(user: $0))
        }
    }

    private func remove(_ idText: String, _ role: String, _ caller: Caller, _ respond: HTTPResponder) {
        guard let id = Self.userID(idText, respond) else { return }
        if let e = identity.management(by: caller, of: id) ?? identity.widening(by: caller, of: id, removing: role) { return respond(e.response) }
        gateway.run(respond) { [identity] store in
            let user = try store.removeRole(userID: id, role: role, actor: caller.actor)
            identity.reload(reason: "role '\(role)' removed")
            return user
        } then: {
            .json(One(user: $0))
        }
    }

    private func createKey(_ idText: String, _ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        guard let id = Self.userID(idText, respond) else { return }
        guard caller.policy.has(scope: "users:write") || caller.userID == id else {
            return respond(.error(403, code: "forbidden", message: "users:write is needed to create keys for other users"))
        }
        if let e = identity.management(by: caller, of: id) { return respond(e.response) }
        let body: KeyBody
        do {
            body =
                req.body.isEmpty
                ? try RequestBody.decode(KeyBody.self, from: Data("{}".utf8)) : try RequestBody.decode(KeyBody.self, from: try RequestBody.object(req))
        } catch {
            return respond(error.response)
        }
        guard (1...64).contains(body.name.unicodeScalars.count) else {
            return respond(.error(400, code: "invalid_body", message: "name must be 1 to 64 characters", field: "name"))
        }
        let auth = identity.config
        let days = body.expiresInDays ?? auth.apiKeyDays
        guard days > 0, days <= auth.apiKeyMaxDays else {
            return respond(
                .error(400, code: "invalid_body", message: "expiresInDays must be more than 0 and at most \(auth.apiKeyMaxDays)", field: "expiresInDays"))
        }
        let key = APIKey.generate()
        let now = clock.wallDate()
        gateway.run(respond) { store in
            try store.insertAPIKey(
                id: key.id, userID: id, name: body.name, digest: key.digest, expiresAt: now.addingTimeInterval(days * 86_400),
                maxActive: auth.maxAPIKeysPerUser, actor: caller.actor, now: now)
        } then: {
            .json(NewKey(key: key.text, apiKey: $0), status: 201)
        }
    }

    private func revokeKey(_ idText: String, _ keyID: String, _ caller: Caller, _ respond: HTTPResponder) {
        guard let id = Self.userID(idText, respond) else { return }
        guard caller.policy.has(scope: "users:write") || caller.userID == id else {
            return respond(.error(403, code: "forbidden", message: "users:write is needed to revoke keys of other users"))
        }
        if let e = identity.management(by: caller, of: id) { return respond(e.response) }
        gateway.run(respond) { store in
            try store.revokeAPIKey(id: keyID, userID: id, actor: caller.actor)
        } then: { _ in
            HTTPResponse(status: 204)
        }
    }

    // MARK: Parameters

    private static func userID(_ text: String, _ respond: HTTPResponder) -> Int64? {
        guard let id = Int64(text), id > 0 else {
            respond(.error(400, code: "invalid_path", message: "user id must be a positive integer, not '\(text.prefix(64))'", field: "id"))
            return nil
        }
        return id
    }

    static func intQuery(_ req: HTTPRequest, _ name: String, default value: Int, range: ClosedRange<Int>) throws(HTTPError) -> Int {
        guard let text = req.queryItems[name] else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw HTTPError(400, "invalid_query", "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)", field: name)
        }
        return n
    }
}
