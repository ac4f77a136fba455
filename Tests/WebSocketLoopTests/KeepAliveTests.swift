import CWebSockets
import Foundation
import HubTesting
import Synchronization
import XCTest

@testable import WebSocketLoop

#if canImport(Glibc)
import Glibc
#endif

/// Accepted connections are kept honest by TCP keepalive, which the kernel runs, not by
/// libwebsockets' validity pings, whose per-connection timers made each accept cost O(n).
final class KeepAliveTests: XCTestCase {
    final class Recorder: WebSocketHandler, @unchecked Sendable {
        /// SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPCNT, TCP_KEEPINTVL of each accepted socket.
        let options = Mutex<[[Int32]]>([])
        func webSocketOpened(_ c: WebSocketConnection) {
            let fd = lws_get_socket_fd(c.wsi)
            func read(_ level: Int32, _ name: Int32) -> Int32 {
                var value: Int32 = -1
                var size = socklen_t(MemoryLayout<Int32>.size)
                return getsockopt(fd, level, name, &value, &size) == 0 ? value : -1
            }
            let values = [
                read(SOL_SOCKET, SO_KEEPALIVE), read(Int32(IPPROTO_TCP), TCP_KEEPIDLE), read(Int32(IPPROTO_TCP), TCP_KEEPCNT),
                read(Int32(IPPROTO_TCP), TCP_KEEPINTVL),
            ]
            options.withLock { $0.append(values) }
            c.close(code: 1000, reason: "seen")
        }
        func webSocketReceived(_ c: WebSocketConnection, _ m: IncomingMessage) {}
        func webSocketWritable(_ c: WebSocketConnection, frame: inout FrameBuffer) -> WritableResult { .idle }
        func webSocketClosed(_ c: WebSocketConnection, error: String?) {}
    }

    func testAcceptedSocketsProbeSilentPeersWithTCPKeepaliveOnEitherLoop() throws {
        for library in LoopConfiguration.EventLibrary.allCases {
            let recorder = Recorder()
            var c = LoopConfiguration(listen: .init(host: "127.0.0.1", port: 0))
            c.eventLibrary = library
            let loop = try EventLoop(configuration: c, webSocketHandler: recorder)
            loop.start()
            defer {
                loop.stop()
                loop.waitUntilFinished()
            }
            let client = try TestClient.connect("ws://127.0.0.1:\(loop.port)/ws")
            _ = try? client.next()  // the server closes once it has looked
            XCTAssertEqual(recorder.options.withLock { $0 }, [[1, 60, 3, 10]], "\(library)")
        }
    }
}
