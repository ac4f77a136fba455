import Foundation
import WebSocketLoop

/// Routes REST requests by method and path pattern (`/api/users/:id`) to handlers.
/// Unknown paths get 404, known paths with another method 405 — both as JSON errors.
///
/// Threading: loop-confined.
final class HTTPRouter: HTTPHandler {
    typealias Handler = (HTTPRequest, [String: String], HTTPResponder) -> Void

    private struct Route {
        let method: String
        let segments: [Substring]
        let handler: Handler
    }

    private var routes: [Route] = []

    func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method, segments: pattern.split(separator: "/"), handler: handler))
    }

    func handle(_ request: HTTPRequest, respond: HTTPResponder) {
        let parts = request.path.split(separator: "/")
        var pathMatched = false
        for route in routes {
            guard let params = match(route.segments, parts) else { continue }
            pathMatched = true
            if route.method == request.method || (route.method == "GET" && request.method == "HEAD") {
                route.handler(request, params, respond)
                return
            }
        }
        if pathMatched {
            respond(.error(405, code: "method_not_allowed", message: "\(request.method) is not allowed on \(request.path)"))
        } else {
            respond(.error(404, code: "not_found", message: "no route for \(request.path)"))
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
