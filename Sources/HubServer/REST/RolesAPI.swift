import Foundation
import HubCore
import HubStore
import WebSocketLoop

/// `/api/roles…`: the grants behind every check. An edit takes effect on every live session
/// holding the role before the answer goes out.
///
/// Threading: handlers on the loop; store work on the store queue.
final class RolesAPI: @unchecked Sendable {
    private let identity: IdentityService
    private let gateway: StoreGateway

    init(identity: IdentityService, gateway: StoreGateway) {
        self.identity = identity
        self.gateway = gateway
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/roles", .scope("roles:read"), doc: .rolesList) { [unowned self] _, _, respond in list(respond) }
        router.add("GET", "/api/roles/:id", .scope("roles:read"), doc: .rolesDetail) { [unowned self] _, p, respond in
            guard let r = identity.role(p["id"]!) else { return respond(.error(404, code: "not_found", message: "no role '\(p["id"]!.prefix(64))'")) }
            respond(.json(One(role: r)))
        }
        router.add("POST", "/api/roles", .scope("roles:write"), doc: .rolesCreate) { [unowned self] req, p, respond in create(req, p.caller!, respond) }
        router.add("PUT", "/api/roles/:id", .scope("roles:write"), doc: .rolesUpdate) { [unowned self] req, p, respond in
            update(p["id"]!, req, p.caller!, respond)
        }
        router.add("DELETE", "/api/roles/:id", .scope("roles:write"), doc: .rolesDelete) { [unowned self] _, p, respond in delete(p["id"]!, p.caller!, respond)
        }
    }

    struct One: Encodable { let role: Role }
    struct List: Encodable {
        let roles: [Role]
        let count: Int
        /// The scopes routes declare, for editors of grants.
        let scopes = Scope.known
    }

    private func list(_ respond: HTTPResponder) {
        gateway.run(respond) { store in
            try store.roles()
        } then: {
            .json(List(roles: $0, count: $0.count))
        }
    }

    /// Decodes and checks a role body; the error names the field.
    private func role(_ req: HTTPRequest, id: String? = nil) throws(HTTPError) -> Role {
        let r: Role
        do {
            r = try RequestBody.decode(Role.self, from: try RequestBody.object(req, defaults: id.map { ["id": $0] } ?? [:]))
        } catch {
            throw HTTPError(400, "invalid_body", error.message, field: error.field)
        }
        guard Role.isValidID(r.id) else { throw HTTPError(400, "invalid_body", "id must be 1 to 32 of a-z 0-9 _ - (not export or import)", field: "id") }
        if let id, r.id != id { throw HTTPError(400, "invalid_body", "id cannot change (\(id) → \(r.id))", field: "id") }
        guard r.description.unicodeScalars.count <= 256 else {
            throw HTTPError(400, "invalid_body", "description is longer than 256 characters", field: "description")
        }
        do {
            try r.grants.check()
        } catch {
            throw HTTPError(400, "invalid_body", error.message, field: error.field)
        }
        return r
    }

    private func create(_ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        let r: Role
        do { r = try role(req) } catch { return respond(error.response) }
        if identity.role(r.id) != nil { return respond(.error(409, code: "duplicate", message: "role '\(r.id)' already exists", field: "id")) }
        if let e = identity.escalation(by: caller, granting: [r]) { return respond(e.response) }
        gateway.run(respond) { [identity] store in
            try store.insertRole(r, actor: caller.actor)
            identity.reload(reason: "role '\(r.id)' created")
        } then: { _ in
            .json(One(role: r), status: 201)
        }
    }

    private func update(_ id: String, _ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        guard let current = identity.role(id) else { return respond(.error(404, code: "not_found", message: "no role '\(id.prefix(64))'")) }
        let r: Role
        do { r = try role(req, id: id) } catch { return respond(error.response) }
        // Neither widen a role past your own rights, nor touch one that has more than you, nor
        // uncover for its holders (yourself included) what its denies kept from them.
        if let e = identity.escalation(by: caller, granting: [r, current]) ?? identity.widening(by: caller, changing: r) {
            return respond(e.response)
        }
        gateway.run(respond) { [identity] store in
            try store.updateRole(r, actor: caller.actor)
            identity.reload(reason: "role '\(id)' changed")
        } then: { _ in
            .json(One(role: r))
        }
    }

    private func delete(_ id: String, _ caller: Caller, _ respond: HTTPResponder) {
        if let current = identity.role(id), let e = identity.escalation(by: caller, granting: [current]) { return respond(e.response) }
        gateway.run(respond) { [identity] store in
            try store.deleteRole(id, actor: caller.actor)
            identity.reload(reason: "role '\(id)' deleted")
        } then: { _ in
            HTTPResponse(status: 204)
        }
    }
}
