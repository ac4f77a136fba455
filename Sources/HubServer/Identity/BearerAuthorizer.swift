import HubCore
import WebSocketLoop

/// REST access: `Authorization: Bearer <jwt>` verified off the loop, then the route's rule
/// checked against the caller's current policy. No header means the anonymous role when that
/// is allowed. 401 when the caller is not (or not validly) identified, 403 when it is but its
/// roles lack the scope or its account is disabled.
///
/// Threading: loop-confined (verification hops to Swift's pool and back).
final class BearerAuthorizer: RequestAuthorizer, @unchecked Sendable {
    private let identity: IdentityService
    private unowned let loop: EventLoop

    init(identity: IdentityService, loop: EventLoop) {
        self.identity = identity
        self.loop = loop
    }

    static let challenge = ("www-authenticate", "Bearer realm=\"streamhub\"")

    func authorize(_ request: HTTPRequest, _ access: RouteAccess, _ done: @escaping (Result<Caller, HTTPError>) -> Void) {
        guard let header = request.headers["authorization"] else {
            guard let anonymous = identity.anonymous else {
                return done(.failure(HTTPError(401, "unauthorized", "authentication required (Authorization: Bearer <token>)", headers: [Self.challenge])))
            }
            return done(check(anonymous, access, from: request.remoteAddress))
        }
        guard let token = Self.bearerToken(header) else {
            return done(.failure(HTTPError(401, "unauthorized", "the Authorization header must be 'Bearer <token>'", headers: [Self.challenge])))
        }
        let reply = UncheckedBox(done)
        let address = request.remoteAddress
        identity.verify(token: token) { [self] result in
            loop.execute { [self] in
                let done = reply.value
                switch result {
                case .success(let p): done(check(p, access, from: address))
                case .failure(let f):
                    let what = f.kind == .expired ? "token expired" : "invalid token"
                    done(
                        .failure(
                            HTTPError(
                                401, f.kind == .expired ? "token_expired" : "invalid_token", "\(what): \(f.reason)",
                                headers: [("www-authenticate", "Bearer realm=\"streamhub\", error=\"invalid_token\"")])))
                }
            }
        }
    }

    private func check(_ p: Principal, _ access: RouteAccess, from address: String) -> Result<Caller, HTTPError> {
        let connection = ConnectionInfo(id: 0, remoteAddress: address)
        guard let policy = identity.policy(for: p, on: connection) else {
            return .failure(HTTPError(403, "forbidden", "account disabled or unknown"))
        }
        let caller = Caller(principal: p, policy: policy, userID: identity.userID(of: p))
        switch access {
        case .open, .openIdentified, .anyCaller: return .success(caller)
        case .authenticated:
            return p.isAnonymous ? .failure(HTTPError(401, "unauthorized", "authentication required", headers: [Self.challenge])) : .success(caller)
        case .scope(let scope):
            if policy.has(scope: scope) { return .success(caller) }
            if p.isAnonymous { return .failure(HTTPError(401, "unauthorized", "authentication required for \(scope)", headers: [Self.challenge])) }
            return .failure(HTTPError(403, "forbidden", "your roles (\(policy.roles.joined(separator: ", "))) do not grant \(scope)"))
        }
    }

    /// The token of `Bearer <token>` (scheme case-insensitive, RFC 6750).
    static func bearerToken(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
