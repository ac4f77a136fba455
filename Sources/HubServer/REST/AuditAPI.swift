import HubStore
import WebSocketLoop

/// `GET /api/audit`: who changed what, when — newest first, paged with `before`.
///
/// Threading: handlers on the loop; the read on the store queue.
final class AuditAPI {
    private let gateway: StoreGateway

    init(gateway: StoreGateway) {
        self.gateway = gateway
    }

    struct Page: Encodable { let entries: [AuditEntry] }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/audit", .scope("audit:read")) { [gateway] req, _, respond in
            let limit: Int, before: Int
            do throws(HTTPError) {
                limit = try UsersAPI.intQuery(req, "limit", default: 100, range: 1...1000)
                before = try UsersAPI.intQuery(req, "before", default: 0, range: 0...Int.max)
            } catch {
                return respond(error.response)
            }
            gateway.run(respond) { store in try store.auditLog(limit: limit, before: before == 0 ? nil : Int64(before)) } then: { .json(Page(entries: $0)) }
        }
    }
}
