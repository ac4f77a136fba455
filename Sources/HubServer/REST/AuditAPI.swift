import Foundation
import HubAuth
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

    struct Page: Encodable { let entries: [Entry] }

    /// An entry with its detail as a JSON object (the store keeps it as text).
    struct Entry: Encodable {
        let id: Int64
        let at: Date
        let actor: String
        let action: String
        let target: String
        let detail: JSONValue

        init(_ e: AuditEntry) {
            id = e.id
            at = e.at
            actor = e.actor
            action = e.action
            target = e.target
            detail = (try? JSONDecoder().decode(JSONValue.self, from: Data(e.detail.utf8))) ?? .string(e.detail)
        }
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/audit", .scope("audit:read"), doc: .audit) { [gateway] req, _, respond in
            let limit: Int, before: Int
            do throws(HTTPError) {
                limit = try UsersAPI.intQuery(req, "limit", default: 100, range: 1...1000)
                before = try UsersAPI.intQuery(req, "before", default: 0, range: 0...Int.max)
            } catch {
                return respond(error.response)
            }
            gateway.run(respond) { store in
                try store.auditLog(limit: limit, before: before == 0 ? nil : Int64(before))
            } then: {
                .json(Page(entries: $0.map(Entry.init)))
            }
        }
    }
}
