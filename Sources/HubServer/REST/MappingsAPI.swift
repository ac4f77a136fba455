import Foundation
import HubCore
import HubStore
import WebSocketLoop

/// `/api/mappings…`: the instrument and event mappings cross-venue enrichment works on. A
/// change is written (with its audit entry), read back whole and applied to the enrichment
/// stage before the answer goes out; opportunities of removed or changed mappings are
/// retracted on their `arb` channels.
///
/// Threading: handlers on the loop; store work on the store queue.
final class MappingsAPI: @unchecked Sendable {
    private let gateway: StoreGateway
    private let pipeline: Pipeline
    private let clock: HubClock

    init(gateway: StoreGateway, pipeline: Pipeline, clock: HubClock) {
        self.gateway = gateway
        self.pipeline = pipeline
        self.clock = clock
    }

    func routes(_ router: HTTPRouter) {
        let read = RouteAccess.scope("mappings:read"), write = RouteAccess.scope("mappings:write")
        router.add("GET", "/api/mappings", read, doc: .mappingsList) { [unowned self] _, _, respond in
            let all = pipeline.enrich.mappings
            respond(.json(List(mappings: all, count: all.count)))
        }
        router.add("GET", "/api/mappings/:id", read, doc: .mappingsDetail) { [unowned self] _, p, respond in
            guard let m = mapping(p["id"]!) else { return respond(notFound(p["id"]!)) }
            respond(.json(One(mapping: m)))
        }
        router.add("POST", "/api/mappings", write, doc: .mappingsCreate) { [unowned self] req, p, respond in create(req, p.caller!, respond) }
        router.add("PUT", "/api/mappings/:id", write, doc: .mappingsUpdate) { [unowned self] req, p, respond in update(p["id"]!, req, p.caller!, respond) }
        router.add("DELETE", "/api/mappings/:id", write, doc: .mappingsDelete) { [unowned self] _, p, respond in delete(p["id"]!, p.caller!, respond) }
    }

    struct One: Encodable { let mapping: InstrumentMapping }
    struct List: Encodable {
        let mappings: [InstrumentMapping]
        let count: Int
    }

    /// Event mappings are kept by the enrichment stage too (for listing), computed on never.
    private func mapping(_ id: String) -> InstrumentMapping? { pipeline.enrich.mappings.first { $0.id == id } }

    private func notFound(_ id: String) -> HTTPResponse { .error(404, code: "not_found", message: "no mapping '\(id.prefix(100))'") }

    /// A mapping from the body, checked; the error names the field.
    private func body(_ req: HTTPRequest, id: String? = nil) throws(HTTPError) -> InstrumentMapping {
        let m: InstrumentMapping
        do {
            m = try RequestBody.decode(InstrumentMapping.self, from: try RequestBody.object(req, defaults: id.map { ["id": $0] } ?? [:]))
        } catch {
            throw HTTPError(400, "invalid_body", error.message, field: error.field)
        }
        if let id, m.id != id { throw HTTPError(400, "invalid_body", "id cannot change (\(id) → \(m.id))", field: "id") }
        do {
            try m.check()
        } catch {
            throw HTTPError(400, "invalid_body", error.message, field: error.field)
        }
        return m
    }

    private func create(_ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        let m: InstrumentMapping
        do { m = try body(req) } catch { return respond(error.response) }
        write(respond, { store in try store.insertMapping(m, actor: caller.actor) }) { .json(One(mapping: m), status: 201) }
    }

    private func update(_ id: String, _ req: HTTPRequest, _ caller: Caller, _ respond: HTTPResponder) {
        guard mapping(id) != nil else { return respond(notFound(id)) }
        let m: InstrumentMapping
        do { m = try body(req, id: id) } catch { return respond(error.response) }
        write(respond, { store in try store.updateMapping(m, actor: caller.actor) }) { .json(One(mapping: m)) }
    }

    private func delete(_ id: String, _ caller: Caller, _ respond: HTTPResponder) {
        guard mapping(id) != nil else { return respond(notFound(id)) }
        write(respond, { store in try store.deleteMapping(id, actor: caller.actor) }) { HTTPResponse(status: 204) }
    }

    /// Writes, reads every mapping back, applies them on the loop, then answers.
    private func write(_ respond: HTTPResponder, _ work: @escaping (HubStore) throws -> Void, then answer: @escaping () -> HTTPResponse) {
        let pipeline = self.pipeline, clock = self.clock
        gateway.run(respond) { store -> [InstrumentMapping] in
            try work(store)
            return try store.mappings()
        } then: { all in
            pipeline.load(mappings: all, nowMillis: clock.wallMilliseconds())
            return answer()
        }
    }
}
