import HubTesting
import Venues
import XCTest

/// The simulator speaks Deribit's JSON-RPC over a real WebSocket.
final class DeribitSimulatorTests: XCTestCase {
    var sim: DeribitSimulator!

    override func setUpWithError() throws {
        var c = DeribitSimulatorConfig()
        c.stepMilliseconds = 20
        c.minHeartbeatSeconds = 1
        sim = try DeribitSimulator(config: c)
        sim.start()
    }

    override func tearDown() { sim.stop() }

    private func call(_ c: TestClient, _ id: Int, _ method: String, _ params: String = "{}") throws -> [String: Any] {
        c.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
        return try c.waitFor { $0["id"] as? Int == id }
    }

    func testSubscribeAcknowledgesValidChannelsThenSendsSnapshotAndNotifications() throws {
        let c = try TestClient.connect(sim.url)
        let r = try call(
            c, 1, "public/subscribe", #"{"channels":["book.BTC-PERPETUAL.100ms","ticker.ETH-PERPETUAL.100ms","ticker.NOPE.100ms","book.BTC-PERPETUAL.raw"]}"#)
        XCTAssertEqual(
            r["result"] as? [String], ["book.BTC-PERPETUAL.100ms", "ticker.ETH-PERPETUAL.100ms"],
            "unknown instruments and unauthorised raw channels are left out")
        XCTAssertNotNil(r["usIn"] as? Int)
        XCTAssertEqual(r["testnet"] as? Bool, false)
        let first = try c.waitFor { ($0["params"] as? [String: Any])?["channel"] as? String == "book.BTC-PERPETUAL.100ms" }
        let data = try XCTUnwrap((first["params"] as? [String: Any])?["data"] as? [String: Any])
        XCTAssertEqual(data["type"] as? String, "snapshot")
        XCTAssertNil(data["prev_change_id"])
        let change = try c.waitFor { (($0["params"] as? [String: Any])?["data"] as? [String: Any])?["type"] as? String == "change" }
        let cd = try XCTUnwrap((change["params"] as? [String: Any])?["data"] as? [String: Any])
        XCTAssertEqual(cd["prev_change_id"] as? Int, data["change_id"] as? Int)
        _ = try c.waitFor { ($0["params"] as? [String: Any])?["channel"] as? String == "ticker.ETH-PERPETUAL.100ms" }

        let u = try call(c, 2, "public/unsubscribe", #"{"channels":["ticker.ETH-PERPETUAL.100ms"]}"#)
        XCTAssertEqual(u["result"] as? [String], ["ticker.ETH-PERPETUAL.100ms"])
    }

    func testRequestValidationAuthAndInstruments() throws {
        let c = try TestClient.connect(sim.url)
        XCTAssertEqual((try call(c, 1, "public/fly")["error"] as? [String: Any])?["code"] as? Int, -32601)
        XCTAssertEqual((try call(c, 2, "public/subscribe", #"{"channels":"x"}"#)["error"] as? [String: Any])?["code"] as? Int, -32602)
        XCTAssertEqual((try call(c, 3, "public/set_heartbeat", #"{"interval":0}"#)["error"] as? [String: Any])?["code"] as? Int, 11050)
        XCTAssertEqual(try call(c, 4, "public/set_heartbeat", #"{"interval":1}"#)["result"] as? String, "ok")
        XCTAssertEqual((try call(c, 5, "public/test")["result"] as? [String: Any])?["version"] as? String, "1.2.26")
        XCTAssertEqual(
            (try call(c, 6, "public/auth", #"{"grant_type":"client_credentials","client_id":"x","client_secret":"y"}"#)["error"] as? [String: Any])?["code"]
                as? Int, 13004)
        XCTAssertNotNil(
            (try call(c, 7, "public/auth", #"{"grant_type":"client_credentials","client_id":"sim-client","client_secret":"sim-secret"}"#)["result"]
                as? [String: Any])?["access_token"])
        XCTAssertEqual(try call(c, 8, "public/subscribe", #"{"channels":["book.BTC-PERPETUAL.raw"]}"#)["result"] as? [String], ["book.BTC-PERPETUAL.raw"])
        let instruments = try XCTUnwrap(try call(c, 9, "public/get_instruments", #"{"currency":"BTC","kind":"option"}"#)["result"] as? [[String: Any]])
        XCTAssertEqual(instruments.count, 6)
        XCTAssertTrue(instruments.allSatisfy { $0["kind"] as? String == "option" && $0["strike"] != nil })
        c.send("not json")
        XCTAssertEqual((try c.waitFor { $0["error"] != nil && $0["id"] == nil }["error"] as? [String: Any])?["code"] as? Int, -32700)
    }

    func testAClientThatIgnoresTestRequestsIsDisconnected() throws {
        let c = try TestClient.connect(sim.url)
        XCTAssertEqual(try call(c, 1, "public/set_heartbeat", #"{"interval":1}"#)["result"] as? String, "ok")
        _ = try c.waitFor { ($0["params"] as? [String: Any])?["type"] as? String == "test_request" }
        _ = try c.waitClosed(timeout: 5)
    }
}
