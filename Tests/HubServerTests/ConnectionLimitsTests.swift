import Foundation
import HubCore
import HubTesting
import XCTest

/// What one client address may hold: connections (beyond the cap the upgrade is 429) and
/// subscriptions across its connections; and anonymous connections that hold nothing idle out.
final class ConnectionLimitsTests: XCTestCase {
    func testConnectionsPerAddressAreCapped() throws {
        let hub = try TestHub {
            $0.auth.anonymous = true
            $0.server.maxConnectionsPerAddress = 3
        }
        defer { hub.stop() }
        var open = try (0..<3).map { _ in try TestClient.connect(hub.anonymousURL) }
        try hub.wait("three sessions") { $0.hub.sessionCount == 3 }
        let refused = try HTTPTestClient.upgrade(port: hub.port, path: "/ws")
        XCTAssertEqual(refused.status, 429)
        XCTAssertTrue(refused.text.contains("too many connections from this address"), refused.text)
        XCTAssertEqual(try HTTPTestClient.upgrade(port: hub.port, path: "/ws", from: "127.0.0.2").status, 101, "another address")
        // A closed connection frees its place.
        open.removeLast().close()
        try hub.wait("two sessions") { $0.hub.sessionCount == 2 }
        open.append(try TestClient.connect(hub.anonymousURL))
        try hub.wait("three again") { $0.hub.sessionCount == 3 }
    }

    func testSubscriptionsPerAddressAreCappedAcrossConnections() throws {
        let hub = try TestHub { $0.serve.maxSubscriptionsPerAddress = 5 }
        defer { hub.stop() }
        let a = try TestClient.connect(hub.wsURL), b = try TestClient.connect(hub.wsURL)
        for i in 1...3 { a.send(#"{"id":\#(i),"op":"subscribe","channel":"ticker.deribit.A\#(i)"}"#) }
        for i in 1...2 { b.send(#"{"id":\#(i),"op":"subscribe","channel":"ticker.deribit.B\#(i)"}"#) }
        XCTAssertNotNil(try a.waitFor { $0["id"] as? Int == 3 }["result"])
        XCTAssertNotNil(try b.waitFor { $0["id"] as? Int == 2 }["result"])
        b.send(#"{"id":3,"op":"subscribe","channel":"ticker.deribit.B3"}"#)
        let error = try XCTUnwrap(try b.waitFor { $0["id"] as? Int == 3 }["error"] as? [String: Any])
        XCTAssertEqual(error["code"] as? Int, 1005)
        XCTAssertEqual(error["message"] as? String, "at most 5 subscriptions per client address")
        a.send(#"{"id":4,"op":"unsubscribe","channel":"ticker.deribit.A1"}"#)
        XCTAssertNotNil(try a.waitFor { $0["id"] as? Int == 4 }["result"])
        b.send(#"{"id":4,"op":"subscribe","channel":"ticker.deribit.B3"}"#)
        XCTAssertNotNil(try b.waitFor { $0["id"] as? Int == 4 }["result"], "a freed place is taken")
        a.close()
        _ = try a.waitClosed()
        try hub.wait("a's subscriptions freed") { $0.hub.subscriptionCount == 3 }
        b.send(#"{"id":5,"op":"subscribe","channel":"ticker.deribit.B4"}"#)
        XCTAssertNotNil(try b.waitFor { $0["id"] as? Int == 5 }["result"])
    }

    func testAnonymousConnectionsHoldingNothingIdleOut() throws {
        let clock = ManualClock(running: true)
        let hub = try TestHub(clock: clock) {
            $0.auth.anonymous = true
            $0.auth.anonymousIdleSeconds = 60
        }
        defer { hub.stop() }
        let idle = try TestClient.connect(hub.anonymousURL)
        let watching = try TestClient.connect(hub.anonymousURL)
        watching.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.X"}"#)
        XCTAssertNotNil(try watching.waitFor { $0["id"] as? Int == 1 }["result"])
        let signedIn = try TestClient.connect(hub.wsURL)
        try hub.wait("three sessions") { $0.hub.sessionCount == 3 }
        clock.advance(by: 61)
        let closed = try idle.waitClosed(timeout: 5)
        XCTAssertEqual(closed.code, 4002)
        XCTAssertEqual(closed.reason, "idle: no subscription")
        // The subscribed anonymous connection and the signed-in one stay.
        watching.send(#"{"id":2,"op":"ping"}"#)
        XCTAssertNotNil(try watching.waitFor { $0["id"] as? Int == 2 }["result"])
        signedIn.send(#"{"id":1,"op":"ping"}"#)
        XCTAssertNotNil(try signedIn.waitFor { $0["id"] as? Int == 1 }["result"])
    }
}
