import Foundation
import HubTesting
import XCTest

/// A deny cannot be shed by the one it holds back: emptying a deny-only role you hold, or taking
/// it from yourself, widens your rights and needs rights you do not have. Changes that narrow or
/// keep what someone may do go through; so does an admin's.
final class DenyShedTests: XCTestCase {
    var hub: TestHub!
    var ops: (id: Int, token: String)!

    override func setUpWithError() throws {
        hub = try TestHub()
        for body in [
            #"{"id":"ops","grants":{"channels":[{"allow":"ticker.*.*"}],"tiers":["public"],"scopes":["roles:read","roles:write","users:read","users:write"]}}"#,
            #"{"id":"nodribit","grants":{"channels":[{"deny":"ticker.deribit.*"}]}}"#,
            #"{"id":"nomid","grants":{"properties":{"deny":["mid"]}}}"#,
            #"{"id":"extra","grants":{"channels":[{"allow":"ticker.binance.*"}],"tiers":["public"]}}"#,
        ] {
            let r = try hub.request("POST", "/api/roles", body)
            XCTAssertEqual(r.status, 201, r.text)
        }
        ops = try hub.createUser("ops", roles: ["ops", "nodribit", "nomid", "extra"])
    }
    override func tearDown() { hub.stop() }

    private func put(_ role: String, _ grants: String, token: String? = nil) throws -> HTTPTestClient.Response {
        try hub.request("PUT", "/api/roles/\(role)", #"{"grants":\#(grants)}"#, token: token ?? ops.token)
    }

    func testEmptyingADenyRoleYouHoldIsRefused() throws {
        let r = try put("nodribit", "{}")
        XCTAssertEqual(r.status, 403, r.text)
        XCTAssertTrue(r.text.contains("this change would give you rights you do not hold: channels ticker.deribit.* (denied to you)"), r.text)
        let property = try put("nomid", "{}")
        XCTAssertEqual(property.status, 403, property.text)
        XCTAssertTrue(property.text.contains("property mid (denied to you)"), property.text)
        // Narrowing the deny role is fine: deny more.
        XCTAssertEqual(try put("nodribit", #"{"channels":[{"deny":"ticker.deribit.*"},{"deny":"ticker.coinbase.*"}]}"#).status, 200)
        XCTAssertEqual(
            try hub.request("GET", "/api/roles/nodribit").object["role"].flatMap { ($0 as? [String: Any])?["grants"] as? [String: Any] }?["channels"]
                as? [[String: String]], [["deny": "ticker.deribit.*"], ["deny": "ticker.coinbase.*"]])

        // The deny still holds on a live session.
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(ops.token)")
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.BTC-PERPETUAL"}"#)
        XCTAssertNotNil(try c.waitFor { $0["id"] as? Int == 1 }["error"], "still denied")
        c.send(#"{"id":2,"op":"subscribe","channel":"ticker.binance.BTC-USDT"}"#)
        XCTAssertNotNil(try c.waitFor { $0["id"] as? Int == 2 }["result"])
    }

    func testTakingADenyRoleFromYourselfIsRefused() throws {
        let r = try hub.request("DELETE", "/api/users/\(ops.id)/roles/nodribit", token: ops.token)
        XCTAssertEqual(r.status, 403, r.text)
        XCTAssertEqual(try hub.request("DELETE", "/api/users/\(ops.id)/roles/nomid", token: ops.token).status, 403)
        // Dropping a role that only allowed things narrows: fine.
        XCTAssertEqual(try hub.request("DELETE", "/api/users/\(ops.id)/roles/extra", token: ops.token).status, 200)
        let roles = try hub.request("GET", "/api/users/\(ops.id)").object["user"].flatMap { ($0 as? [String: Any])?["roles"] as? [String] }
        XCTAssertEqual(roles?.sorted(), ["nodribit", "nomid", "ops"])
    }

    func testUncoveringForAnotherHolderNeedsTheRightsItUncovers() throws {
        // A wide user held back by nodribit: ops (ticker.* only) may not lift the deny for them.
        let wide = try hub.createUser("wide", roles: ["trader", "nodribit"])
        XCTAssertEqual(try hub.request("DELETE", "/api/users/\(wide.id)/roles/nodribit", token: ops.token).status, 403)
        // The admin may: it holds everything.
        XCTAssertEqual(try hub.request("DELETE", "/api/users/\(wide.id)/roles/nodribit").status, 200)
        XCTAssertEqual(try hub.request("PUT", "/api/roles/nodribit", #"{"grants":{}}"#).status, 200)
    }
}
