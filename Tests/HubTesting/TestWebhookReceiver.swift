import Foundation
import Synchronization
import WebSocketLoop

/// An HTTP listener on a free loopback port (its own libwebsockets loop) that records the
/// requests it gets on `/hook`, answering the first `failFirst` with 500.
public final class TestWebhookReceiver: HTTPHandler, @unchecked Sendable {
    public struct Received: Sendable {
        public let method: String
        public let headers: [String: String]
        public let body: [UInt8]
        public var json: [String: Any]? { try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] }
    }

    private var loop: EventLoop!
    private let state: Mutex<(received: [Received], attempts: Int, failFirst: Int)>
    public var url: String { "http://127.0.0.1:\(loop.port)/hook" }

    public init(failFirst: Int = 0) throws {
        state = Mutex(([], 0, failFirst))
        var c = LoopConfiguration(listen: .init(host: "127.0.0.1", port: 0))
        c.dynamicPrefixes = ["/hook"]
        loop = try EventLoop(configuration: c, httpHandler: self)
        loop.start(name: "webhook-receiver")
    }

    public func handle(_ request: HTTPRequest, respond: HTTPResponder) {
        let fail = state.withLock { s -> Bool in
            s.attempts += 1
            if s.attempts <= s.failFirst { return true }
            s.received.append(Received(method: request.method, headers: request.headers, body: request.body))
            return false
        }
        respond(HTTPResponse(status: fail ? 500 : 204))
    }

    /// Requests accepted so far (the failed attempts not among them).
    public var received: [Received] { state.withLock { $0.received } }
    /// Every request, failed or not.
    public var attempts: Int { state.withLock { $0.attempts } }

    public func stop() {
        loop.stop()
        loop.waitUntilFinished()
    }
}
