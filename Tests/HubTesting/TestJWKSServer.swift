import Foundation
import Synchronization
import WebSocketLoop

/// An HTTPS listener on a free loopback port (its own libwebsockets loop, `TestCertificates`)
/// that serves a JWKS document at `/jwks.json` — replaceable, to rotate keys — and counts the
/// requests.
public final class TestJWKSServer: HTTPHandler, @unchecked Sendable {
    private var loop: EventLoop!
    private let state = Mutex<(jwks: [UInt8], requests: Int)>(([], 0))
    public var url: String { "https://127.0.0.1:\(loop.port)/jwks.json" }

    public init(certificates: TestCertificates) throws {
        var c = LoopConfiguration(listen: .init(host: "127.0.0.1", port: 0))
        c.dynamicPrefixes = ["/jwks.json"]
        c.serverTLS = .init(certFile: certificates.certFile, keyFile: certificates.keyFile)
        loop = try EventLoop(configuration: c, httpHandler: self)
        loop.start(name: "jwks-server")
    }

    /// The document served from now on.
    public func serve(_ jwks: Data) { state.withLock { $0.jwks = Array(jwks) } }

    public var requests: Int { state.withLock { $0.requests } }

    public func handle(_ request: HTTPRequest, respond: HTTPResponder) {
        let body = state.withLock { s -> [UInt8] in
            s.requests += 1
            return s.jwks
        }
        var r = HTTPResponse(status: 200, body: body)
        r.headers = [("content-type", "application/json")]
        respond(r)
    }

    public func stop() {
        loop.stop()
        loop.waitUntilFinished()
    }
}
