import HubCore
import WebSocketLoop

/// `GET /api/state/<channel>`: a channel's latest state, from memory (never from Redis), as
/// the caller's roles allow: a channel they may not see is "not found", properties outside
/// their tiers are left out.
///
/// Threading: loop-confined.
final class StateAPI {
    private let hub: Hub
    private let identity: IdentityService

    init(hub: Hub, identity: IdentityService) {
        self.hub = hub
        self.identity = identity
    }

    func routes(_ router: HTTPRouter) {
        router.add("GET", "/api/state/*channel", .scope("state:read"), doc: .state) { [unowned self] _, p, respond in
            respond(state(p["channel"] ?? "", p.caller!))
        }
    }

    private func state(_ name: String, _ caller: Caller) -> HTTPResponse {
        guard let bytes = hub.latestState(name, mask: identity.mask(for: caller.policy), allowed: caller.policy.allows) else {
            return .error(404, code: "not_found", message: "no channel '\(name.prefix(200))' with data")
        }
        return HTTPResponse(status: 200, body: bytes)
    }
}
