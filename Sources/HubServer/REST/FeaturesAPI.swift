import Foundation
import HubCore
import HubStore
import WebSocketLoop

/// `/api/features…`: feature flags in Unleash's client-features format. A change is written
/// (with its audit entry), then every connected session is evaluated again before the answer
/// goes out: views recompiled, `flags` pushes, channels no longer allowed unsubscribed.
///
/// Threading: handlers on the loop; store work on the store queue.
final class FeaturesAPI: @unchecked Sendable {
    private let identity: IdentityService
    private let gateway: StoreGateway
    private let registry: PropertyRegistry

    init(identity: IdentityService, gateway: StoreGateway, registry: PropertyRegistry) {
        self.identity = identity
        self.gateway = gateway
        self.registry = registry
    }

    func routes(_ router: HTTPRouter) {
        let read = RouteAccess.scope("features:read"), write = RouteAccess.scope("features:write")
        router.add("GET", "/api/features", read, doc: .featuresList) { [unowned self] _, _, respond in respond(.json(List(identity.flags.flags))) }
        router.add("POST", "/api/features", write, doc: .featuresCreate) { [unowned self] req, p, respond in create(req, p.caller!, respond) }
        router.add("GET", "/api/features/:id", read, doc: .featuresDetail) { [unowned self] _, p, respond in
            guard let f = identity.flags.feature(p["id"]!) else { return respond(notFound(p["id"]!)) }
            respond(.json(One(feature: f)))
        }
        router.add("PUT", "/api/features/:id", write, doc: .featuresUpdate) { [unowned self] req, p, respond in update(p["id"]!, req, p.caller!, respond) }
        router.add("DELETE", "/api/features/:id", write, doc: .featuresDelete) { [unowned self] _, p, respond in delete(p["id"]!, p.caller!, respond) }
        // Flag targeting (user ids, addresses, constraint values) is for those who administer
        // flags; anyone signed in may ask what a flag gives them.
        router.add("GET", "/api/features/:id/evaluate", .authenticated, doc: .featuresEvaluate) { [unowned self] req, p, respond in
            respond(p.caller!.policy.has(scope: "features:read") ? evaluate(p["id"]!, req) : evaluateForCaller(p["id"]!, req, p.caller!))
        }
    }

    struct One: Encodable { let feature: FeatureFlag }
    struct List: Encodable {
        let features: [FeatureFlag]
        let segments: [FlagSegment]
        let count: Int
        init(_ s: FlagSet) {
            features = s.features
            segments = s.segments
            count = s.features.count
        }
    }
    struct Evaluation: Encodable {
        let feature: String
        let enabled: Bool
        let variant: VariantResult
        let context: ContextEcho
    }
    struct ContextEcho: Encodable {
        let userId: String?
        let sessionId: String?
        let remoteAddress: String?
        let environment: String?
        let appName: String?
        let roles: [String]
        let properties: [String: String]
    }

    private func notFound(_ name: String) -> HTTPResponse { .error(404, code: "not_found", message: "no feature '\(name.prefix(100))'") }

    /// A flag from the body, checked; the error names the field.
    private func flag(_ req: HTTPRequest, name: String? = nil) throws(HTTPError) -> FeatureFlag {
        let f: FeatureFlag
        do {
            f = try RequestBody.decode(FeatureFlag.self, from: try RequestBody.object(req, defaults: name.map { ["name": $0] } ?? [:]))
        } catch {
            throw HTTPError(400, "invalid_body", error.message, field: error.field)
        }
        if let name, f.name != name { throw HTTPError(400, "invalid_body", "name cannot change (\(name) → \(f.name))", field: "name") }
        do {
            try FlagCheck.check(f)
        } catch {
            throw HTTPError(400, "invalid_body", error.message, field: error.field)
        }
        return f
    }

    private func create(_ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        let f: FeatureFlag
        do { f = try flag(req) } catch { return respond(error.response) }
        if identity.flags.feature(f.name) != nil {
            return respond(.error(409, code: "duplicate", message: "feature '\(f.name)' already exists", field: "name"))
        }
        write(respond, reason: "feature '\(f.name)' created", { store in try store.insertFeature(f, actor: caller.actor) }) {
            .json(One(feature: f), status: 201)
        }
    }

    private func update(_ name: String, _ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        guard identity.flags.feature(name) != nil else { return respond(notFound(name)) }
        let f: FeatureFlag
        do { f = try flag(req, name: name) } catch { return respond(error.response) }
        write(respond, reason: "feature '\(name)' changed", { store in try store.updateFeature(f, actor: caller.actor) }) { .json(One(feature: f)) }
    }

    private func delete(_ name: String, _ caller: Caller, _ respond: HTTPResponder) {
        guard identity.flags.feature(name) != nil else { return respond(notFound(name)) }
        // A property or a role rule that needs the flag would never be seen again.
        let properties = registry.all.filter { $0.flag == name }.map(\.name)
        let rules = identity.rolesNeeding(flag: name)
        if !properties.isEmpty || !rules.isEmpty {
            let users = (properties.map { "property \($0)" } + rules.map { "role \($0)" }).joined(separator: ", ")
            return respond(.error(409, code: "conflict", message: "feature '\(name)' is required by \(users)"))
        }
        write(respond, reason: "feature '\(name)' deleted", { store in try store.deleteFeature(name, actor: caller.actor) }) { HTTPResponse(status: 204) }
    }

    /// Writes, reads the whole set back, applies it to every session, then answers.
    private func write<T>(_ respond: HTTPResponder, reason: String, _ work: @escaping (HubStore) throws -> T, then answer: @escaping (T) -> HTTPResponse) {
        let identity = self.identity
        gateway.run(respond) { store -> (T, FlagSet, Int64) in
            let result = try work(store)
            return (result, try store.flagSet(), try store.auditHead())
        } then: { result, set, head in
            identity.flagsChanged(set, reason: reason, auditHead: head)
            return answer(result)
        }
    }

    /// What a flag gives the caller itself (user, roles, token claims, address): a caller without
    /// `features:read` may not ask about any other context.
    private func evaluateForCaller(_ name: String, _ req: HTTPRequest, _ caller: Caller) -> HTTPResponse {
        if let asked = req.queryItems.keys.sorted().first {
            return .error(
                403, code: "forbidden", message: "evaluating for another context (\(asked.prefix(64))) needs features:read; without it, ask without parameters",
                field: String(asked.prefix(64)))
        }
        guard identity.flags.feature(name) != nil else { return notFound(name) }
        var ctx = identity.context(caller.principal, caller.policy.roles, ConnectionInfo(id: 0, remoteAddress: req.remoteAddress))
        ctx.sessionId = nil
        return evaluation(name, ctx)
    }

    private func evaluate(_ name: String, _ req: HTTPRequest) -> HTTPResponse {
        guard identity.flags.feature(name) != nil else { return notFound(name) }
        let q = req.queryItems
        var properties: [String: String] = [:]
        for (k, v) in q where k.hasPrefix("properties.") { properties[String(k.dropFirst("properties.".count))] = v }
        let roles = (q["roles"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let ctx = FlagContext(
            userId: q["userId"], sessionId: q["sessionId"], remoteAddress: q["remoteAddress"],
            environment: q["environment"] ?? identity.flagEnvironment.environment,
            appName: q["appName"] ?? identity.flagEnvironment.appName, roles: roles, properties: properties)
        return evaluation(name, ctx)
    }

    /// The answer for flag `name` in `ctx`, echoing the context evaluated.
    private func evaluation(_ name: String, _ ctx: FlagContext) -> HTTPResponse {
        let echo = ContextEcho(
            userId: ctx.userId, sessionId: ctx.sessionId, remoteAddress: ctx.remoteAddress, environment: ctx.environment, appName: ctx.appName,
            roles: ctx.roles, properties: ctx.properties)
        return .json(Evaluation(feature: name, enabled: identity.flags.isEnabled(name, ctx), variant: identity.flags.variant(name, ctx), context: echo))
    }
}
