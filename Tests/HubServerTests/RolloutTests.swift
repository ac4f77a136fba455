import Foundation
import HubCore
import HubServer
import HubTesting
import XCTest

/// The phased-rollout switches (docs/guides/rollout.md): RBAC in audit-only lets channels,
/// properties and read scopes through while counting and logging what it would deny (writes
/// stay enforced); validation in audit-only for a source not yet opted in publishes the value
/// and counts it instead of quarantining it.
final class RolloutTests: XCTestCase {
    func testRBACAuditOnlyLetsReadsThroughCountsThemAndKeepsWritesEnforced() throws {
        let hub = try TestHub { $0.rollout.enforceRBAC = .auditOnly }
        defer { hub.stop() }
        var arb = TickFactory.ticker("X", bid: 100)
        arb.stream = .arb
        hub.inject([arb])
        let (_, viewer) = try hub.createUser(roles: ["viewer"])
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(viewer)")
        c.send(#"{"id":1,"op":"subscribe","channel":"arb.deribit.X","fields":["bid","microprice"]}"#)
        XCTAssertNotNil(try c.waitFor { $0["id"] as? Int == 1 }["result"], "a channel and a property the viewer lacks: let through")
        let snap = try c.waitFor { $0["snap"] as? Bool == true }
        XCTAssertNotNil((snap["data"] as? [String: Any])?["microprice"], "a premium property, delivered while auditing")
        XCTAssertEqual(try hub.request("GET", "/api/state/arb.deribit.X", token: viewer).status, 200)
        XCTAssertEqual(try hub.request("GET", "/api/users", token: viewer).status, 200, "a read scope the viewer lacks: let through")
        XCTAssertEqual(try hub.request("POST", "/api/users", #"{"username":"sneaky"}"#, token: viewer).status, 403, "writes stay enforced")
        XCTAssertEqual(
            try hub.request("POST", "/api/publish", #"{"channel":"announcements.x.y","data":{"headline":"h"}}"#, token: viewer).status, 403,
            "publishing stays enforced")
        let serve = try XCTUnwrap(try hub.health()["serve"] as? [String: Any])
        XCTAssertGreaterThanOrEqual(serve["rbacWouldDeny"] as? Int ?? 0, 3, "channel, property and scope denials counted: \(serve)")
    }

    func testValidationAuditOnlyPublishesAndCountsForSourcesNotOptedIn() throws {
        let hub = try TestHub { $0.rollout.enforceValidation = ["binance"] }  // deribit has not opted in
        defer { hub.stop() }
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.*.*"}"#)
        _ = try c.nextJSON()
        hub.inject([TickFactory.ticker("X", bid: -5, ask: 1)])
        let tick = try c.waitFor { $0["ch"] as? String == "ticker.deribit.X" && $0["data"] != nil }
        XCTAssertEqual((tick["data"] as? [String: Any])?["bid"] as? Double, -5, "published as it came")
        let q = try hub.request("GET", "/api/properties/quarantine").object
        XCTAssertEqual(q["total"] as? Int, 0, "nothing quarantined")
        let audited = try XCTUnwrap(q["audited"] as? [String: Any])
        XCTAssertEqual(audited["total"] as? Int, 1)
        XCTAssertEqual((audited["bySource"] as? [String: [String: Int]])?["deribit"]?["bid"], 1)
        XCTAssertEqual(((try hub.health()["serve"] as? [String: Any])?["validationAudited"]) as? Int, 1)

        // A source that opted in is enforced: the same value is quarantined.
        let enforced = try TestHub()
        defer { enforced.stop() }
        enforced.inject([TickFactory.ticker("X", bid: -5, ask: 1)])
        let q2 = try enforced.request("GET", "/api/properties/quarantine").object
        XCTAssertEqual(q2["total"] as? Int, 1)
        XCTAssertEqual((q2["audited"] as? [String: Any])?["total"] as? Int, 0)
    }
}
