import Foundation
import HubTesting
import Synchronization
import WebSocketLoop
import XCTest

/// An echo server on the loop: every text message is sent back; HTTP answers from a handler.
final class EchoServer: WebSocketHandler, HTTPHandler, @unchecked Sendable {
    var loop: EventLoop!
    var pending: [ObjectIdentifier: [[UInt8]]] = [:]
    let tooBig = Mutex(0)
    /// Signalled once per text message received.
    let received = DispatchSemaphore(value: 0)

    /// `?greet` connections get a message before they send anything (the server writes first).
    func webSocketOpened(_ c: WebSocketConnection) {
        guard c.query == "greet" else { return }
        pending[ObjectIdentifier(c)] = [Array(String(repeating: "welcome ", count: 500).utf8)]
        c.requestWritable()
    }
    func webSocketReceived(_ c: WebSocketConnection, _ m: IncomingMessage) {
        switch m {
        case .text(let b):
            received.signal()
            if String(decoding: b, as: UTF8.self) == "close-me" {
                c.close(code: 4321, reason: "asked")
                return
            }
            pending[ObjectIdentifier(c), default: []].append(Array(b))
            c.requestWritable()
        case .binary: c.close(code: 4010, reason: "binary")
        case .tooBig: tooBig.withLock { $0 += 1 }
        }
    }
    func webSocketWritable(_ c: WebSocketConnection, frame: inout FrameBuffer) -> WritableResult {
        guard var q = pending[ObjectIdentifier(c)], !q.isEmpty else { return .idle }
        frame.append(q.removeFirst())
        pending[ObjectIdentifier(c)] = q
        return .text(more: !q.isEmpty)
    }
    func webSocketClosed(_ c: WebSocketConnection, error: String?) { pending[ObjectIdentifier(c)] = nil }

    func handle(_ request: HTTPRequest, respond: HTTPResponder) {
        if request.path == "/api/later" {
            loop.schedule(after: 0.05) { respond(HTTPResponse(status: 202, body: Array("late".utf8))) }
            return
        }
        if request.path == "/api/big" {
            respond(HTTPResponse(status: 200, contentType: "text/plain", body: [UInt8](repeating: 65, count: 300_000)))
            return
        }
        let body =
            "\(request.method) \(request.path) q=\(request.queryItems.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")) body=\(request.body.count) auth=\(request.headers["authorization"] ?? "-")"
        respond(HTTPResponse(status: 200, contentType: "text/plain", headers: [("X-Echo", "1")], body: Array(body.utf8)))
    }
}

final class EventLoopTests: XCTestCase {
    var echo: EchoServer!
    var loop: EventLoop!

    override func setUpWithError() throws {
        echo = EchoServer()
        var c = LoopConfiguration(listen: .init(host: "127.0.0.1", port: 0))
        c.dynamicPrefixes = ["/api"]
        c.maxMessageBytes = 64 * 1024
        c.maxBodyBytes = 1024
        loop = try EventLoop(configuration: c, webSocketHandler: echo, httpHandler: echo)
        echo.loop = loop
        loop.start()
    }

    override func tearDown() {
        loop.stop()
        loop.waitUntilFinished()
    }

    /// An echo server on a loop of its own, both kept until the test ends (the loop holds its
    /// handler weakly), then stopped.
    private func startEcho(_ configuration: LoopConfiguration) throws -> (EchoServer, EventLoop) {
        let server = EchoServer()
        let other = try EventLoop(configuration: configuration, webSocketHandler: server)
        server.loop = other
        other.start()
        addTeardownBlock {
            withExtendedLifetime(server) {
                other.stop()
                other.waitUntilFinished()
            }
        }
        return (server, other)
    }

    /// Both event libraries run the same loop: poll (the default) and libuv (epoll). On each: a message larger than lws' receive buffer echoed, a server close code,
    /// a timer scheduled from another thread (libuv arms lws' timers only after lws callbacks),
    /// a stop that finishes.
    func testEveryEventLibraryEchoesClosesTimesAndStops() throws {
        XCTAssertEqual(loop.eventLibrary, .poll, "the default")
        XCTAssertNil(loop.eventLibraryFallback)
        for library in LoopConfiguration.EventLibrary.allCases {
            var c = LoopConfiguration(listen: .init(host: "127.0.0.1", port: 0))
            c.eventLibrary = library
            let server = EchoServer()
            let other = try EventLoop(configuration: c, webSocketHandler: server)
            server.loop = other
            other.start()
            XCTAssertEqual(other.eventLibrary, library)
            let client = try TestClient.connect("ws://127.0.0.1:\(other.port)/ws")
            let big = String(repeating: "\(library.rawValue) ", count: 3000)
            client.send(big)
            XCTAssertEqual(try client.next(), big, "\(library)")
            let fired = DispatchSemaphore(value: 0)
            other.execute { other.schedule(after: 0.01) { fired.signal() } }
            XCTAssertEqual(fired.wait(timeout: .now() + 5), .success, "\(library): a timer scheduled through execute fires")
            client.send("close-me")
            XCTAssertEqual(try client.waitClosed().code, 4321, "\(library)")
            other.stop()
            other.waitUntilFinished()
            XCTAssertTrue(other.isFinished)
        }
    }

    /// A loop is torn down whole on either library, whether it ran or not: its listener is
    /// closed (the port can be bound again), which lws does only when it frees the context.
    func testALoopReleasesItsListenerWhetherItRanOrNot() throws {
        for library in LoopConfiguration.EventLibrary.allCases {
            for runs in [false, true] {
                var c = LoopConfiguration(listen: .init(host: "127.0.0.1", port: 0))
                c.eventLibrary = library
                var first: EventLoop? = try EventLoop(configuration: c)
                let port = try XCTUnwrap(first?.port)
                if runs {
                    first?.start()
                    first?.stop()
                    first?.waitUntilFinished()
                }
                first = nil
                c.listen = .init(host: "127.0.0.1", port: port)
                let again = try EventLoop(configuration: c)
                XCTAssertEqual(again.port, port, "\(library), ran: \(runs)")
            }
        }
    }

    func testBindsAnOSChosenPortAndRejectsABusyOne() throws {
        XCTAssertGreaterThan(loop.port, 1024)
        XCTAssertThrowsError(try EventLoop(configuration: LoopConfiguration(listen: .init(host: "127.0.0.1", port: loop.port))))
    }

    /// Frames go to the socket before the loop waits, without a writable callback, on either
    /// library, with and without TLS; once a socket stops taking them (the peer does not read)
    /// lws buffers the rest (with TLS: a record `SSL_write` could not finish) and the
    /// connection's frames go out from writable callbacks until it drains — every message
    /// arrives, whole and in order.
    func testFramesAreWrittenDirectlyUntilASocketBacksUp() throws {
        let certificates = try TestCertificates()
        defer { certificates.remove() }
        for library in LoopConfiguration.EventLibrary.allCases {
            for tls in [false, true] {
                try framesAreWrittenDirectlyUntilASocketBacksUp(library: library, tls: tls ? certificates : nil)
            }
        }
    }

    private func framesAreWrittenDirectlyUntilASocketBacksUp(library: LoopConfiguration.EventLibrary, tls: TestCertificates?) throws {
        let name = "\(library)\(tls == nil ? "" : " TLS")"
        var c = LoopConfiguration(listen: .init(host: "127.0.0.1", port: 0))
        c.eventLibrary = library
        if let tls { c.serverTLS = .init(certFile: tls.certFile, keyFile: tls.keyFile) }
        c.maxMessageBytes = 64 * 1024
        let (server, other) = try startEcho(c)
        func counts() -> (direct: UInt64, callback: UInt64) {
            let result = Mutex<(UInt64, UInt64)>((0, 0))
            let done = DispatchSemaphore(value: 0)
            other.execute {
                result.withLock { $0 = (other.framesWrittenDirectly, other.framesWrittenOnCallback) }
                done.signal()
            }
            _ = done.wait(timeout: .now() + 5)
            return result.withLock { $0 }
        }
        let client = try TestClient.connect("\(tls == nil ? "ws" : "wss")://127.0.0.1:\(other.port)/ws", caFile: tls?.caFile)
        for i in 0..<20 {
            client.send("small \(i)")
            XCTAssertEqual(try client.next(), "small \(i)", name)
        }
        let before = counts()
        XCTAssertEqual(before.direct, 20, "\(name): each echo written before the loop waited")
        XCTAssertEqual(before.callback, 0, name)

        client.pauseReading()
        let count = 400
        func message(_ i: Int) -> String { "\(i):" + String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: 32 * 1024) }
        for i in 0..<count { client.send(message(i)) }
        for _ in 0..<(20 + count) {
            guard server.received.wait(timeout: .now() + 20) == .success else {
                return XCTFail("\(name): the server did not read every message")
            }
        }
        client.resumeReading()
        for i in 0..<count {
            let got = try client.next(timeout: 10)
            XCTAssertEqual(got, message(i), "\(name): echo \(i) whole and in order")
            if got != message(i) { break }
        }
        let after = counts()
        XCTAssertGreaterThan(after.direct, before.direct, name)
        XCTAssertGreaterThan(after.callback, 0, "\(name): a backed-up socket waits for its writable callback")
        XCTAssertEqual(after.direct + after.callback, before.direct + UInt64(count), "\(name): one frame per echo")
    }

    func testEchoesMessagesIncludingOnesLargerThanTheReceiveBuffer() throws {
        let c = try TestClient.connect("ws://127.0.0.1:\(loop.port)/ws")
        c.send("hello")
        XCTAssertEqual(try c.next(), "hello")
        let big = String(repeating: "abcdefgh", count: 6000)  // 48 KiB: arrives in several fragments
        c.send(big)
        XCTAssertEqual(try c.next(), big)
    }

    func testMessagesOverTheLimitAreReportedNotDelivered() throws {
        let c = try TestClient.connect("ws://127.0.0.1:\(loop.port)/ws")
        c.send(String(repeating: "x", count: 70_000))
        c.send("after")
        XCTAssertEqual(try c.next(), "after")
        XCTAssertEqual(echo.tooBig.withLock { $0 }, 1)
    }

    func testPermessageDeflateIsNegotiatedWhenTheClientOffersIt() throws {
        let c = try TestClient.connect("ws://127.0.0.1:\(loop.port)/ws", deflate: true)
        let text = String(repeating: "compressible ", count: 1000)
        c.send(text)
        XCTAssertEqual(try c.next(), text)
    }

    /// The server's compressor bounded to a 512-byte window and the smallest zlib memory, both
    /// orders of first use (server writes first, client first), messages that reach far back
    /// and ones the client compresses with its full window: everything arrives intact.
    func testABoundedDeflateCompressorRoundTripsInBothDirections() throws {
        var c = LoopConfiguration(listen: .init(host: "127.0.0.1", port: 0))
        c.deflateWindowBits = 9
        c.deflateMemoryLevel = 1
        let (_, bounded) = try startEcho(c)
        var rng = SystemRandomNumberGenerator()
        // Repeats 4 KiB apart: a 32 KiB window finds them, a 512-byte one must not be asked to.
        let words = (0..<400).map { _ in String((0..<8).map { _ in "abcdefghijklmnopqrstuvwxyz".randomElement(using: &rng)! }) }
        let messages = (1...30).map { i in (0..<(i * 60)).map { words[($0 * 7 + i) % words.count] }.joined(separator: " ") }
        for query in ["greet", ""] {
            let client = try TestClient.connect("ws://127.0.0.1:\(bounded.port)/ws\(query.isEmpty ? "" : "?" + query)", deflate: true)
            if !query.isEmpty { XCTAssertEqual(try client.next(), String(repeating: "welcome ", count: 500)) }
            for m in messages {
                client.send(m)
                XCTAssertEqual(try client.next(), m)
            }
        }
    }

    func testServerCloseCodesReachTheClient() throws {
        let c = try TestClient.connect("ws://127.0.0.1:\(loop.port)/ws")
        c.send("close-me")
        let closed = try c.waitClosed()
        XCTAssertEqual(closed.code, 4321)
        XCTAssertEqual(closed.reason, "asked")
    }

    func testConnectFailureIsReported() throws {
        XCTAssertThrowsError(try TestClient.connect("ws://127.0.0.1:1/ws", timeout: 5))
    }

    func testHTTPRequestsWithQueryHeadersBodyAndDeferredResponses() throws {
        let r = try HTTPTestClient.request(
            "POST", port: loop.port, path: "/api/x?b=2&a=h%20i", headers: ["Authorization": "Bearer t"], body: Data("12345".utf8))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.text, "POST /api/x q=a=h i&b=2 body=5 auth=Bearer t")
        XCTAssertEqual(r.headers["x-echo"], "1")
        XCTAssertEqual(r.headers["content-type"], "text/plain")
        XCTAssertEqual(try HTTPTestClient.get(port: loop.port, path: "/api/later").status, 202)
        let big = try HTTPTestClient.get(port: loop.port, path: "/api/big")
        XCTAssertEqual(big.body.count, 300_000)
        let tooBig = try HTTPTestClient.request("POST", port: loop.port, path: "/api/x", body: Data(count: 5000))
        XCTAssertEqual(tooBig.status, 413)
    }

    func testTimersFireOnTheLoopAndCanBeCancelled() throws {
        let fired = Mutex<[String]>([])
        let done = DispatchSemaphore(value: 0)
        loop.execute { [loop] in
            XCTAssertTrue(loop!.isLoopThread)
            let cancelled = loop!.schedule(after: 0.02) { fired.withLock { $0.append("cancelled") } }
            cancelled.cancel()
            var ticks = 0
            var repeating: LoopTimer?
            repeating = loop!.every(0.01) {
                ticks += 1
                fired.withLock { $0.append("tick") }
                if ticks == 3 {
                    repeating?.cancel()
                    loop!.schedule(after: 0.05) { done.signal() }
                }
            }
        }
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertEqual(fired.withLock { $0 }, ["tick", "tick", "tick"])
        XCTAssertFalse(loop.isLoopThread)
    }

    func testWebSocketURLParsing() throws {
        let u = try WebSocketURL(parsing: "wss://www.deribit.com/ws/api/v2")
        XCTAssertEqual(u, try WebSocketURL(parsing: "wss://www.deribit.com:443/ws/api/v2"))
        XCTAssertTrue(u.secure)
        XCTAssertEqual(u.port, 443)
        XCTAssertEqual(u.path, "/ws/api/v2")
        let plain = try WebSocketURL(parsing: "ws://127.0.0.1:9000")
        XCTAssertEqual(plain.port, 9000)
        XCTAssertEqual(plain.path, "/")
        for bad in ["http://x/", "ws://", "ws://:80/", "ws://h:0/", "ws://h:99999/", "ws://h:x/"] {
            XCTAssertThrowsError(try WebSocketURL(parsing: bad), bad)
        }
    }
}
