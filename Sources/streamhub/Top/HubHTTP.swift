import Foundation
import Synchronization
import WebSocketLoop

/// Blocking REST calls to a running hub over the libwebsockets client (its own loop thread):
/// what `streamhub top` reads. Signs in with an API key when given one and exchanges it again
/// before the token expires.
final class HubHTTP: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let base: String
    private let loop: EventLoop
    private let apiKey: String?
    private var token: String?
    private var tokenExpires = Date.distantFuture

    init(url: String, token: String?, apiKey: String?) throws {
        var base = url
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://") else {
            throw CLIError(message: "--url must be an http:// or https:// URL (the hub's address, e.g. http://127.0.0.1:8080)")
        }
        self.base = base
        self.token = token
        self.apiKey = apiKey
        do {
            loop = try EventLoop(configuration: LoopConfiguration())
        } catch {
            throw CLIError(message: "cannot start the HTTP client: \(error)", code: 1)
        }
        loop.start(name: "top-http")
    }

    deinit {
        loop.stop()
        loop.waitUntilFinished()
    }

    /// The response to one request: status and body, or a failure (no connection, timeout).
    func request(_ method: String, _ path: String, body: [UInt8]? = nil, authorized: Bool = true) throws(Failure) -> (status: Int, body: Data) {
        if authorized { try ensureToken() }
        var headers: [(String, String)] = []
        if authorized, let token { headers.append(("Authorization", "Bearer \(token)")) }
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<HTTPClientResponse, LoopError>?>(nil)
        let url = base + path, sendable = (headers, body)
        loop.execute { [loop] in
            loop.fetch(url, method: method, headers: sendable.0, body: sendable.1, timeout: 5, maxBytes: 8 << 20) { r in
                result.withLock { $0 = r }
                done.signal()
            }
        }
        done.wait()
        switch result.withLock({ $0! }) {
        case .success(let r): return (r.status, Data(r.body))
        case .failure(let e): throw Failure(description: "\(e)")
        }
    }

    /// JSON of a GET, or why not (`HTTP 403: …` names the missing scope).
    func json(_ path: String) -> Result<[String: Any], Failure> {
        do {
            let r = try request("GET", path)
            guard r.status == 200 else {
                let message = ((try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any]).flatMap {
                    ($0["error"] as? [String: Any])?["message"] as? String
                }
                return .failure(Failure(description: "HTTP \(r.status)\(message.map { ": \($0)" } ?? "")"))
            }
            guard let object = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any] else {
                return .failure(Failure(description: "not a JSON object"))
            }
            return .success(object)
        } catch {
            return .failure(error)
        }
    }

    /// With an API key: a token from `POST /api/auth/token`, renewed a minute before it expires.
    private func ensureToken() throws(Failure) {
        guard let apiKey, token == nil || tokenExpires.timeIntervalSinceNow < 60 else { return }
        let body = try? JSONSerialization.data(withJSONObject: ["apiKey": apiKey])
        let r = try request("POST", "/api/auth/token", body: Array(body ?? Data()), authorized: false)
        guard r.status == 200, let answer = (try? JSONSerialization.jsonObject(with: r.body)) as? [String: Any],
            let access = answer["accessToken"] as? String
        else {
            throw Failure(description: "the API key was refused (HTTP \(r.status))")
        }
        token = access
        tokenExpires = Date().addingTimeInterval((answer["expiresIn"] as? Double) ?? 900)
    }
}
