import HubCore
import HubTesting
import XCTest

/// Malformed frames are answered (or the connection closed with a 4000-range code) and the
/// server keeps serving everyone else.
final class BadInputTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws {
        hub = try TestHub { $0.serve.maxMessageBytes = 1024 }
    }
    override func tearDown() { hub.stop() }

    private func errorCode(_ m: [String: Any]) -> Int? { (m["error"] as? [String: Any])?["code"] as? Int }

    func testMalformedRequestsAreAnsweredWithCodedErrors() throws {
        let c = try TestClient.connect(hub.wsURL)
        let cases: [(String, Int, Int?)] = [
            ("not json", 1000, nil),
            ("[1,2,3]", 1000, nil),
            (#"{"op":"ping"}"#, 1000, nil),
            (#"{"id":"1","op":"ping"}"#, 1000, nil),
            (#"{"id":1.5,"op":"ping"}"#, 1000, nil),
            (#"{"id":2}"#, 1000, 2),
            (#"{"id":3,"op":42}"#, 1000, 3),
            (#"{"id":4,"op":"launch"}"#, 1001, 4),
            (#"{"id":5,"op":"subscribe"}"#, 1000, 5),
            (#"{"id":6,"op":"subscribe","channel":"ticker"}"#, 1002, 6),
            (#"{"id":7,"op":"subscribe","channel":"ticker..x"}"#, 1002, 7),
            (#"{"id":8,"op":"subscribe","channel":"TICKER.deribit.x"}"#, 1002, 8),
            (#"{"id":9,"op":"subscribe","channel":"nope.deribit.x"}"#, 1002, 9),
            (#"{"id":10,"op":"subscribe","channel":"ticker.deribit.x","fields":["bid","noSuchField"]}"#, 1006, 10),
            (#"{"id":11,"op":"subscribe","channel":"ticker.deribit.x","fields":"bid"}"#, 1000, 11),
            (#"{"id":12,"op":"subscribe","channel":"ticker.deribit.*","since":{"epoch":"e","offset":1}}"#, 1000, 12),
            (#"{"id":13,"op":"subscribe","channel":"ticker.deribit.x","since":{"epoch":"e","offset":-1}}"#, 1000, 13),
            (#"{"id":14,"op":"subscribe","channel":"ticker.deribit.x","filter":{"bid":{"gt":1}}}"#, 1000, 14),
            (#"{"id":15,"op":"unsubscribe","channel":"ticker.deribit.never"}"#, 1004, 15),
        ]
        for (frame, code, id) in cases {
            c.send(frame)
            let m = try c.nextJSON()
            XCTAssertEqual(errorCode(m), code, frame)
            XCTAssertEqual(m["id"] as? Int, id, frame)
            XCTAssertNotNil((m["error"] as? [String: Any])?["message"] as? String, frame)
        }
        c.send(#"{"id":16,"op":"subscribe","channel":"ticker.deribit.x"}"#)
        c.send(#"{"id":17,"op":"subscribe","channel":"ticker.deribit.x"}"#)
        XCTAssertNotNil(try c.nextJSON()["result"])
        XCTAssertEqual(errorCode(try c.nextJSON()), 1003)
        // Still serving this connection.
        c.send(#"{"id":18,"op":"ping"}"#)
        XCTAssertEqual(try c.nextJSON()["id"] as? Int, 18)
        let health = try hub.health()
        XCTAssertGreaterThanOrEqual((health["serve"] as? [String: Any])?["protocolErrors"] as? Int ?? 0, 20)
    }

    func testOversizedAndBinaryFramesCloseWithCodesAndOthersKeepReceiving() throws {
        let watcher = try TestClient.connect(hub.wsURL)
        watcher.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.W"}"#)
        _ = try watcher.nextJSON()

        let big = try TestClient.connect(hub.wsURL)
        big.send(#"{"id":1,"op":"ping","pad":""# + String(repeating: "x", count: 4000) + #""}"#)
        XCTAssertEqual(try big.waitClosed().code, 4009)

        let binary = try TestClient.connect(hub.wsURL)
        binary.sendBinary([0, 1, 2, 3])
        XCTAssertEqual(try binary.waitClosed().code, 4010)

        hub.inject([TickFactory.ticker("W", bid: 1)])
        XCTAssertEqual(try watcher.nextJSON()["type"] as? String, "channel")
        XCTAssertEqual(try watcher.nextJSON()["ch"] as? String, "ticker.deribit.W")
    }

    func testTooManyBadRequestsCloseWith4000() throws {
        hub.stop()
        hub = try TestHub { $0.serve.maxProtocolErrors = 3 }
        let c = try TestClient.connect(hub.wsURL)
        for _ in 0..<4 { c.send("garbage") }
        for _ in 0..<3 { XCTAssertEqual(errorCode(try c.nextJSON()), 1000) }
        XCTAssertEqual(try c.waitClosed().code, 4000)
    }

    func testUpgradeOnlyOnWebSocketPathAndUnknownRoutesAre404() throws {
        XCTAssertThrowsError(try TestClient.connect("ws://127.0.0.1:\(hub.port)/other", timeout: 3))
        let r = try HTTPTestClient.get(port: hub.port, path: "/api/nothing")
        XCTAssertEqual(r.status, 404)
        XCTAssertEqual(((r.json as? [String: Any])?["error"] as? [String: Any])?["code"] as? String, "not_found")
        let m = try HTTPTestClient.request("POST", port: hub.port, path: "/healthz", body: Data("{}".utf8))
        XCTAssertEqual(m.status, 405)
    }
}
