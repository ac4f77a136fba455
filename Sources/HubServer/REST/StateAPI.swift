import HubCore
import WebSocketLoop

/// `GET /api/state/<channel>`: a channel's latest state, from memory (never from Redis).
///
/// Threading: loop-confined.
final class StateAPI {
    private let hub: Hub

    init(hub: Hub) {
        self.hub = hub
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/state/*channel") { [unowned self] _, p, respond in respond(state(p["channel"] ?? "")) }
    }

    private func state(_ name: String) -> HTTPResponse {
        guard let bytes = hub.latestState(name) else {
            return .error(404, code: "not_found", message: "no channel '\(name.prefix(200))' with data")
        }
        return HTTPResponse(status: 200, body: bytes)
    }
}
