import Foundation
import HubCore
import HubStore
import Logging
import WebSocketLoop

/// `/api/properties…`: the registry over REST. Reads answer from memory on the loop; writes are
/// validated on the loop, persisted on the store queue, then applied to the live registry (and
/// so to transformation and projections) without a restart.
///
/// Threading: handlers run on the loop thread; store calls on `storeQueue`.
final class PropertiesAPI: @unchecked Sendable {
    private let registry: PropertyRegistry
    private let transform: Transform
    private let store: HubStore
    private let storeQueue: DispatchQueue
    private unowned let loop: EventLoop
    /// Called on the loop after a definition changed (views that depend on tiers are recompiled).
    private let onChange: () -> Void
    /// Runs on the store queue after a write (a cluster node announces the change with it).
    var afterWork: ((HubStore) -> Void)?
    private let logger: Logger

    init(
        registry: PropertyRegistry, transform: Transform, store: HubStore, storeQueue: DispatchQueue, loop: EventLoop, logger: Logger,
        onChange: @escaping () -> Void
    ) {
        self.logger = logger
        self.onChange = onChange
        self.registry = registry
        self.transform = transform
        self.store = store
        self.storeQueue = storeQueue
        self.loop = loop
    }

    func routes(_ router: HTTPRouter) {
        let read = RouteAccess.scope("properties:read"), write = RouteAccess.scope("properties:write")
        router.add("GET", "/api/properties", read, doc: .propertiesList) { [unowned self] _, p, respond in
            respond(.json(PropertyList(properties: registry.all.filter(visible(to: p.caller!)))))
        }
        router.add("GET", "/api/properties/matrix", read, doc: .propertiesMatrix) { [unowned self] req, p, respond in respond(matrix(req, p.caller!)) }
        router.add("GET", "/api/properties/quarantine", .scope("monitoring:read"), doc: .propertiesQuarantine) { [unowned self] _, _, respond in
            respond(.json(quarantine()))
        }
        router.add("GET", "/api/properties/:name", read, doc: .propertiesDetail) { [unowned self] _, p, respond in
            guard let def = registry.definition(p["name"]!), visible(to: p.caller!)(def) else {
                return respond(.error(404, code: "not_found", message: "no property '\(p["name"]!.prefix(64))'"))
            }
            respond(detail(def.name))
        }
        router.add("POST", "/api/properties", write, doc: .propertiesCreate) { [unowned self] req, p, respond in create(req, p.caller!, respond) }
        router.add("PUT", "/api/properties/:name", write, doc: .propertiesUpdate) { [unowned self] req, p, respond in
            update(p["name"]!, req, p.caller!, respond)
        }
    }

    // MARK: Reads

    /// The catalogue shows a caller the properties its roles let it receive (writers see all:
    /// they define them).
    private func visible(to caller: Caller) -> (PropertyDefinition) -> Bool {
        let policy = caller.policy
        return policy.has(scope: "properties:write") ? { _ in true } : { policy.allows($0) }
    }

    struct PropertyList: Encodable {
        let properties: [PropertyDefinition]
        var count: Int { properties.count }
        enum CodingKeys: CodingKey { case properties, count }
        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(count, forKey: .count)
            try c.encode(properties, forKey: .properties)
        }
    }

    struct Detail: Encodable {
        let property: PropertyDefinition
        let lineage: Lineage
        struct Lineage: Encodable {
            let upstream: [String]
            let downstream: [String]
            let formula: String?
            let formulaVersion: Int?
        }
    }

    private func detail(_ name: String) -> HTTPResponse {
        guard let def = registry.definition(name) else {
            return .error(404, code: "not_found", message: "no property '\(name)'")
        }
        return .json(
            Detail(
                property: def,
                lineage: .init(
                    upstream: registry.upstream(name), downstream: registry.downstream(name), formula: def.formula, formulaVersion: def.formulaVersion)))
    }

    struct Matrix: Encodable {
        let sources: [String]
        let properties: [String]
        let cells: [PropertyRegistry.MatrixCell]
    }

    private func matrix(_ req: HTTPRequest, _ caller: Caller) -> HTTPResponse {
        let shown = visible(to: caller)
        let cells = registry.matrix().filter { registry.definition($0.property).map(shown) ?? false }
        switch req.queryItems["format"] ?? "json" {
        case "csv":
            var csv = "source,property,type\n"
            for c in cells { csv += "\(c.source),\(c.property),\(c.type.rawValue)\n" }
            return HTTPResponse(status: 200, contentType: "text/csv", body: Array(csv.utf8))
        case "json":
            return .json(Matrix(sources: Array(Set(cells.map(\.source))).sorted(), properties: Array(Set(cells.map(\.property))).sorted(), cells: cells))
        case let other:
            return .error(400, code: "invalid_query", message: "format must be json or csv, not '\(other)'", field: "format")
        }
    }

    struct Quarantine: Encodable {
        let total: UInt64
        let bySource: [String: [String: UInt64]]
        let recent: [Transform.Quarantined]
        /// Values of sources in audit-only validation (`rollout.enforceValidation`): published, not quarantined.
        let audited: Audited
    }

    struct Audited: Encodable {
        let total: UInt64
        let bySource: [String: [String: UInt64]]
        let recent: [Transform.Quarantined]
    }

    private func quarantine() -> Quarantine {
        Quarantine(
            total: transform.quarantinedCount, bySource: transform.quarantinedBy, recent: transform.recentQuarantine.reversed(),
            audited: Audited(total: transform.auditedCount, bySource: transform.auditedBy, recent: transform.recentAudited.reversed()))
    }

    // MARK: Writes

    private func create(_ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        let def: PropertyDefinition
        do {
            def = try RequestBody.decode(PropertyDefinition.self, from: try RequestBody.object(req))
        } catch {
            return respond(error.response)
        }
        if registry.definition(def.name) != nil {
            return respond(.error(409, code: "duplicate", message: "property '\(def.name)' already exists", field: "name"))
        }
        do {
            try def.check(known: registry.names)
        } catch {
            return respond(.error(400, code: "invalid_body", message: error.description, field: error.field))
        }
        persist({ (store: HubStore) throws(StoreError) in try store.insertProperties([def], actor: caller.actor) }, respond) { [self] in
            do throws(DefinitionError) {
                try registry.add(def)
                onChange()
                return .json(
                    Detail(
                        property: def,
                        lineage: .init(upstream: registry.upstream(def.name), downstream: [], formula: def.formula, formulaVersion: def.formulaVersion)),
                    status: 201)
            } catch {
                return Self.response(error)
            }
        }
    }

    private func update(_ name: String, _ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        guard registry.definition(name) != nil else {
            return respond(.error(404, code: "not_found", message: "no property '\(name)'"))
        }
        let def: PropertyDefinition
        do {
            def = try RequestBody.decode(PropertyDefinition.self, from: try RequestBody.object(req, defaults: ["name": name]))
        } catch {
            return respond(error.response)
        }
        guard def.name == name else {
            return respond(.error(400, code: "invalid_body", message: "name cannot change (\(name) → \(def.name))", field: "name"))
        }
        // Check against a registry with this definition swapped in (cycles, unknown inputs).
        let trial = PropertyRegistry()
        do throws(DefinitionError) {
            try trial.load(registry.all)
            try trial.replace(def)
        } catch {
            return respond(Self.response(error))
        }
        persist({ (store: HubStore) throws(StoreError) in try store.updateProperty(def, actor: caller.actor) }, respond) { [self] in
            do throws(DefinitionError) {
                try registry.replace(def)
                onChange()
                return detail(name)
            } catch {
                return Self.response(error)
            }
        }
    }

    /// Runs `write` on the store queue, then `apply` on the loop, and answers.
    private func persist(_ write: @escaping @Sendable (HubStore) throws(StoreError) -> Void, _ respond: HTTPResponder, apply: @escaping () -> HTTPResponse) {
        let store = self.store
        let applyBox = UncheckedBox(apply)
        storeQueue.async { [self] in
            let outcome: StoreError?
            do throws(StoreError) {
                try write(store)
                outcome = nil
                afterWork?(store)
            } catch {
                outcome = error
            }
            loop.execute {
                switch outcome {
                case nil: respond(applyBox.value())
                case .duplicate(let what)?: respond(.error(409, code: "duplicate", message: "\(what) already exists", field: "name"))
                case .notFound(let what)?: respond(.error(404, code: "not_found", message: "no \(what)"))
                case .conflict(let what)?: respond(.error(409, code: "conflict", message: what))
                case .refused(let what)?: respond(.error(422, code: "unprocessable", message: what))
                case let other?:
                    self.logger.error("control-plane store failed", metadata: ["error": "\(other)"])
                    respond(HTTPError.internal.response)
                }
            }
        }
    }

    static func response(_ e: DefinitionError) -> HTTPResponse {
        switch e.kind {
        case .duplicate: return .error(409, code: "duplicate", message: e.message, field: e.field)
        case .unknown: return .error(404, code: "not_found", message: e.message)
        case .invalid: return .error(400, code: "invalid_body", message: e.description, field: e.field)
        }
    }
}

/// Carries a loop-confined closure through a worker hop back to the loop that created it.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
