import Foundation
import HubTesting
import Synchronization
import WebSocketLoop
import XCTest

/// `EventLoop.fetch`: GETs from the loop against a real server loop.
final class HTTPClientTests: XCTestCase {
    var echo: EchoServer!
    var server: EventLoop!
    var client: EventLoop!

    override func setUpWithError() throws {
        echo = EchoServer()
        var c = LoopConfiguration(listen: .init(host: "127.0.0.1", port: 0))
        c.dynamicPrefixes = ["/api"]
        server = try EventLoop(configuration: c, webSocketHandler: echo, httpHandler: echo)
        echo.loop = server
        server.start()
        var cc = LoopConfiguration()
        cc.clientTLS = false
        client = try EventLoop(configuration: cc)
        client.start()
    }

    override func tearDown() {
        for l in [client!, server!] {
            l.stop()
            l.waitUntilFinished()
        }
    }

    /// Fetches on the client loop and waits for the answer.
    func get(_ url: String, headers: [(String, String)] = [], timeout: Double = 5, maxBytes: Int = 1 << 20) -> Result<HTTPClientResponse, LoopError> {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<HTTPClientResponse, LoopError>?>(nil)
        client.execute { [client] in
            client!.fetch(url, headers: headers, timeout: timeout, maxBytes: maxBytes) { r in
                result.withLock { $0 = r }
                done.signal()
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        return result.withLock { $0! }
    }

    func testGetsStatusHeadersAndLargeBodies() throws {
        let r = try get("http://127.0.0.1:\(server.port)/api/x?a=1", headers: [("Authorization", "Bearer z")]).get()
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), "GET /api/x q=a=1 body=0 auth=Bearer z")
        let big = try get("http://127.0.0.1:\(server.port)/api/big").get()
        XCTAssertEqual(big.body.count, 300_000, "read across many chunks")
        XCTAssertEqual(try get("http://127.0.0.1:\(server.port)/api/later").get().status, 202)
    }

    func testPostsABodyWithItsLength() throws {
        let done = DispatchSemaphore(value: 0)
        let result = Mutex<Result<HTTPClientResponse, LoopError>?>(nil)
        let body = Array(String(repeating: "{\"alert\":1}", count: 2000).utf8)
        client.execute { [client, server] in
            client!.fetch("http://127.0.0.1:\(server!.port)/api/hook", method: "POST", headers: [("Content-Type", "application/json")], body: body) { r in
                result.withLock { $0 = r }
                done.signal()
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success)
        let r = try result.withLock { $0! }.get()
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), "POST /api/hook q= body=\(body.count) auth=-", "the whole body arrived")
    }

    func testFailuresAreReportedNotHung() {
        guard case .failure = get("http://127.0.0.1:1/x") else { return XCTFail("connection refused must fail") }
        guard case .failure(let e) = get("http://127.0.0.1:\(server.port)/api/big", maxBytes: 1000) else { return XCTFail("over the limit") }
        XCTAssertTrue("\(e)".contains("exceeds"), "\(e)")
        guard case .failure = get("ftp://example.com/") else { return XCTFail("not http") }
        // A listener that never answers: the deadline fires.
        let silent = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(silent) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        listen(silent, 4)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(silent, $0, &len) } }
        let port = Int(UInt16(bigEndian: addr.sin_port))
        guard case .failure(let slow) = get("http://127.0.0.1:\(port)/", timeout: 0.3) else { return XCTFail("a silent server must time out") }
        XCTAssertTrue("\(slow)".contains("no answer"), "\(slow)")
    }
}
