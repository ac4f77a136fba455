import Foundation
import HubCore
import WebSocketLoop

/// What a route needs from its caller.
enum RouteAccess: Equatable {
    /// Anyone (health, login).
    case open
    /// Anyone; a caller that sends a token is identified (a bad token is 401) so the answer may
    /// depend on its scopes (`/healthz` in full for `monitoring:read`).
    case openIdentified
    /// Any authenticated caller (not the anonymous role).
    case authenticated
    /// Any caller the hub accepts: the anonymous role too, when the hub allows it.
    case anyCaller
    /// A caller whose roles grant this scope (the anonymous role counts when it has it).
    case scope(String)

    /// `open`, `authenticated`, `any caller` or the scope, as the route table shows it.
    var name: String {
        switch self {
        case .open, .openIdentified: return "open"
        case .authenticated: return "authenticated"
        case .anyCaller: return "any caller"
        case .scope(let s): return s
        }
    }
}

/// Who is calling, once the route's access rule held.
struct Caller {
    let principal: Principal
    let policy: AccessPolicy
    /// The local user id (nil for anonymous and externally issued tokens).
    let userID: Int64?

    /// How the audit log names the caller.
    var actor: String {
        if principal.isAnonymous { return "anonymous" }
        if let userID { return "user:\(userID)" }
        return "\(principal.issuer):\(principal.subject)"
    }
}

/// Path parameters and the caller of one request.
struct RouteContext {
    let parameters: [String: String]
    let caller: Caller?
    subscript(_ name: String) -> String? { parameters[name] }
}

/// Decides whether a request may reach a route; answers on the loop thread.
protocol RequestAuthorizer: AnyObject {
    func authorize(_ request: HTTPRequest, _ access: RouteAccess, _ done: @escaping (Result<Caller, HTTPError>) -> Void)
}

/// A REST failure: status, machine-readable code, message, and the offending field if any.
struct HTTPError: Error {
    let status: Int
    let code: String
    let message: String
    var field: String?
    var headers: [(String, String)] = []

    /// An unexpected failure: the client learns that it happened, never what it was.
    static let `internal` = HTTPError(500, "internal", "internal error")

    init(_ status: Int, _ code: String, _ message: String, field: String? = nil, headers: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = headers
    }

    var response: HTTPResponse {
        var r = HTTPResponse.error(status, code: code, message: message, field: field)
        r.headers = headers
        return r
    }
}

/// Routes REST requests by method and path pattern (`/api/users/:id`) to handlers, after the
/// route's access rule (every route declares one). Unknown paths get 404, known paths with
/// another method 405 — both as JSON errors.
///
/// Threading: loop-confined.
final class HTTPRouter: HTTPHandler {
    typealias Handler = (HTTPRequest, RouteContext, HTTPResponder) -> Void

    private struct Route {
        let method: String
        let pattern: String
        let segments: [Substring]
        let access: RouteAccess
        /// Lets a request through without the access check (a scraper's token, say).
        let bypass: ((HTTPRequest) -> Bool)?
        let doc: RouteDoc
        let handler: Handler
    }

    /// One answered request, as monitoring and usage analytics count it.
    struct Answered {
        let method: String
        /// The route's pattern (`/api/users/:id`); `other` when no route matched.
        let route: String
        /// Who called (nil for open routes and refused requests).
        let caller: Caller?
        let status: Int
        let nanoseconds: UInt64
    }

    private var routes: [Route] = []
    /// Checks callers; without one, only `.open` routes answer (the others fail closed).
    var authorizer: RequestAuthorizer?
    /// Told of every answered request (loop thread).
    var observer: ((Answered) -> Void)?

    /// Adds a route; `doc` is its OpenAPI description (so no route exists undescribed).
    func add(
        _ method: String, _ pattern: String, _ access: RouteAccess, doc: RouteDoc, bypass: ((HTTPRequest) -> Bool)? = nil, _ handler: @escaping Handler
    ) {
        routes.append(
            Route(method: method, pattern: pattern, segments: pattern.split(separator: "/"), access: access, bypass: bypass, doc: doc, handler: handler))
    }

    /// The declared access of every route (for the reference docs and tests).
    var table: [(method: String, path: String, access: RouteAccess)] {
        routes.map { ($0.method, "/" + $0.segments.joined(separator: "/"), $0.access) }
    }

    /// Every route with its description, for `OpenAPIDocument`.
    var described: [OpenAPIDocument.Route] {
        routes.map { OpenAPIDocument.Route(method: $0.method, pattern: $0.pattern, access: $0.access, doc: $0.doc) }
    }

    func handle(_ request: HTTPRequest, respond: HTTPResponder) {
        let parts = request.path.split(separator: "/")
        // A path is the resource of its most literal patterns: `/api/features/export` is not
        // also the flag `export` of `/api/features/:id`.
        var resource: [(Route, [String: String])] = []
        var literal = -1
        // `/api/features/` is no route: not the list, and not a flag named "" (libwebsockets
        // also cuts a path at an encoded newline, so `/api/features/%0A` arrives as this).
        let trailingSlash = request.path.utf8.count > 1 && request.path.hasSuffix("/")
        for route in routes where !trailingSlash {
            guard let params = match(route.segments, parts) else { continue }
            let n = route.segments.count { !$0.hasPrefix(":") && !$0.hasPrefix("*") }
            if n > literal { (resource, literal) = ([], n) }
            if n == literal { resource.append((route, params)) }
        }
        let pathMatched = resource.first?.0
        let found = resource.first { $0.0.method == request.method || ($0.0.method == "GET" && request.method == "HEAD") }
        let callerBox = CallerBox()
        if let observer {
            let start = MonotonicClock.nanoseconds(), method = request.method, pattern = (found?.0 ?? pathMatched)?.pattern ?? "other"
            respond.onRespond = { response in
                observer(
                    Answered(
                        method: method, route: pattern, caller: callerBox.caller, status: response.status, nanoseconds: MonotonicClock.nanoseconds() &- start))
            }
        }
        if let (route, params) = found {
            dispatch(route, params, request, respond, callerBox)
            return
        }
        if pathMatched != nil {
            let allowed = resource.map(\.0.method)
            var response = HTTPResponse.error(405, code: "method_not_allowed", message: "\(request.method) is not allowed on \(request.path)")
            response.headers = [("allow", (allowed.contains("GET") ? allowed + ["HEAD"] : allowed).joined(separator: ", "))]
            respond(response)
        } else {
            respond(.error(404, code: "not_found", message: "no route for \(request.path)"))
        }
    }

    private func dispatch(_ route: Route, _ params: [String: String], _ request: HTTPRequest, _ respond: HTTPResponder, _ callerBox: CallerBox) {
        let unidentified = route.access == .openIdentified && request.headers["authorization"] == nil
        guard route.access != .open, !unidentified, route.bypass?(request) != true else {
            return route.handler(request, RouteContext(parameters: params, caller: nil), respond)
        }
        guard let authorizer else { return respond(.error(401, code: "unauthorized", message: "authentication is not available")) }
        authorizer.authorize(request, route.access) { outcome in
            switch outcome {
            case .success(let caller):
                callerBox.caller = caller
                route.handler(request, RouteContext(parameters: params, caller: caller), respond)
            case .failure(let e): respond(e.response)
            }
        }
    }

    /// `:name` takes one segment; a final `*name` takes the rest of the path (channel names
    /// may contain `/`, as in `ticker.binance.BTC/USDT`).
    private func match(_ pattern: [Substring], _ parts: [Substring]) -> [String: String]? {
        var params: [String: String] = [:]
        if let last = pattern.last, last.hasPrefix("*") {
            guard parts.count >= pattern.count, let head = match(Array(pattern.dropLast()), Array(parts.prefix(pattern.count - 1))) else { return nil }
            params = head
            params[String(last.dropFirst())] = parts.dropFirst(pattern.count - 1).joined(separator: "/")
            return params
        }
        guard pattern.count == parts.count else { return nil }
        for (p, v) in zip(pattern, parts) {
            if p.hasPrefix(":") {
                params[String(p.dropFirst())] = String(v)  // lws has URL-decoded the path already
            } else if p != v {
                return nil
            }
        }
        return params
    }
}

/// The caller of a request once known (the response observer reads it).
private final class CallerBox {
    var caller: Caller?
}
