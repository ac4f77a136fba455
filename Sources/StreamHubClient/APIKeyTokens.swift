import Foundation
import WebSocketLoop

/// Access tokens from an API key (`POST /api/auth/token`), for `StreamHubClient(tokens:)`:
/// `StreamHubClient(url: …, tokens: APIKeyTokens(baseURL: "http://127.0.0.1:8080", apiKey: key).token)`.
public final class APIKeyTokens: Sendable {
    private let endpoint: String
    private let body: [UInt8]
    private let loop: EventLoop

    public init(baseURL: String, apiKey: String) throws {
        endpoint = baseURL.hasSuffix("/") ? baseURL + "api/auth/token" : baseURL + "/api/auth/token"
        body = Array(try JSONSerialization.data(withJSONObject: ["apiKey": apiKey]))
        var c = LoopConfiguration()
        c.permessageDeflate = false
        c.maxConnections = 16
        loop = try EventLoop(configuration: c)
        loop.start(name: "streamhub-tokens")
    }

    deinit { loop.stop() }

    /// A fresh access token.
    @Sendable public func token() async throws -> String {
        let (endpoint, body, loop) = (self.endpoint, self.body, self.loop)
        let result: Result<HTTPClientResponse, LoopError> = await withCheckedContinuation { done in
            loop.execute {
                loop.fetch(endpoint, method: "POST", headers: [("Content-Type", "application/json")], body: body, timeout: 10) { done.resume(returning: $0) }
            }
        }
        switch result {
        case .failure(let e):
            throw StreamHubError.connectFailed("\(e)")
        case .success(let r):
            let object = (try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any]
            guard r.status == 200, let token = object?["accessToken"] as? String else {
                let error = object?["error"] as? [String: Any]
                throw StreamHubError.reply(code: r.status, message: error?["message"] as? String ?? "no token (HTTP \(r.status))")
            }
            return token
        }
    }
}
