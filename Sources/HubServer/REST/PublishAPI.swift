import HubCore
import SimdJSON
import WebSocketLoop

/// `POST /api/publish` (`publish:write`): one message into a channel the caller's roles may
/// publish to — `{"channel": "announcements.desk.btc", "data": {"headline": "…"}}` → 201
/// `{"channel", "epoch", "offset"}`. The `publish` op on a WebSocket goes through the same
/// `Publisher`.
///
/// Threading: loop-confined.
final class PublishAPI {
    private let publisher: Publisher
    private let maxBytes: Int
    private let parser = JSONParser()

    init(publisher: Publisher, maxBytes: Int) {
        self.publisher = publisher
        self.maxBytes = maxBytes
    }

    func routes(_ router: HTTPRouter) {
        router.add("POST", "/api/publish", .scope("publish:write"), doc: .publish) { [unowned self] req, p, respond in respond(publish(req, p.caller!)) }
    }

    private func publish(_ req: HTTPRequest, _ caller: Caller) -> HTTPResponse {
        guard req.body.count <= maxBytes else {
            publisher.countRefusal()
            return .error(413, code: "payload_too_large", message: "the body is over publish.maxBytes (\(maxBytes) bytes)", field: "data")
        }
        let parsed: Result<PublishRequest, PublishRequest.Failure>
        do {
            parsed = try parser.parse(req.body) { root in
                guard root.kind == .object else { return .failure(PublishRequest.Failure(field: "", message: "the body must be a JSON object")) }
                do throws(PublishRequest.Failure) {
                    return .success(try PublishRequest(parsing: root))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            publisher.countRefusal()
            return .error(400, code: "invalid_body", message: "the body is not valid JSON")
        }
        switch parsed {
        case .failure(let f):
            publisher.countRefusal()
            return .error(400, code: "invalid_body", message: f.message, field: f.field.isEmpty ? nil : f.field)
        case .success(let request):
            switch publisher.publish(request, policy: caller.policy, caller: Principal.usageName(of: caller.principal)) {
            case .success(let published):
                return HTTPResponse(status: 201, body: published.json)
            case .failure(let r):
                var response = HTTPResponse.error(r.status, code: r.code, message: r.message, field: r.field)
                if let wait = r.retryAfterSeconds { response.headers = [("retry-after", "\(wait)")] }
                return response
            }
        }
    }
}
