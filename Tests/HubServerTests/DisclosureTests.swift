import Foundation
import HubTesting
import XCTest

/// What the hub tells whom: flag targeting only to flag administrators (others learn what a flag
/// gives them), `/healthz` details only with `monitoring:read`, and a WebSocket credential the
/// hub cannot read is refused rather than taken for none.
final class DisclosureTests: XCTestCase {
    var hub: TestHub!
    override func setUpWithError() throws { hub = try TestHub { $0.auth.anonymous = true } }
    override func tearDown() { hub.stop() }

    func testFlagTargetingIsForFlagAdministrators() throws {
        let targeted =
            #"{"name":"vip","enabled":true,"strategies":[{"name":"userWithId","parameters":{"userIds":"1,42,4242"}},{"name":"remoteAddress","parameters":{"IPs":"10.9.8.0/24"}}]}"#
        XCTAssertEqual(try hub.request("POST", "/api/features", targeted).status, 201)
        for roles in [["premium"], ["analyst"], ["viewer"]] {
            let user = try hub.createUser(roles: roles)
            for path in ["/api/features", "/api/features/vip", "/api/features/export"] {
                XCTAssertEqual(try hub.request("GET", path, token: user.token).status, 403, "\(roles) \(path)")
            }
            // Asking about someone else is refused, naming the parameter.
            let other = try hub.request("GET", "/api/features/vip/evaluate?userId=4242", token: user.token)
            XCTAssertEqual(other.status, 403, other.text)
            XCTAssertEqual((other.object["error"] as? [String: Any])?["field"] as? String, "userId")
            XCTAssertEqual(try hub.request("GET", "/api/features/vip/evaluate?roles=admin", token: user.token).status, 403)
            // Asking about yourself answers for you, and shows no one else's targeting.
            let mine = try hub.request("GET", "/api/features/vip/evaluate", token: user.token)
            XCTAssertEqual(mine.status, 200, mine.text)
            XCTAssertEqual(mine.object["enabled"] as? Bool, false)
            XCTAssertEqual((mine.object["context"] as? [String: Any])?["userId"] as? String, "\(user.id)")
            XCTAssertEqual((mine.object["context"] as? [String: Any])?["roles"] as? [String], roles)
            XCTAssertFalse(mine.text.contains("4242") || mine.text.contains("10.9.8"), mine.text)
        }
        XCTAssertEqual(try hub.request("GET", "/api/features/vip/evaluate", token: nil).status, 401, "anonymous has no self to ask about")
        // The admin evaluates any context.
        XCTAssertEqual(try hub.request("GET", "/api/features/vip/evaluate?userId=4242").object["enabled"] as? Bool, true)
    }

    func testHealthDetailsNeedMonitoringRead() throws {
        let open = try hub.request("GET", "/healthz", token: nil)
        XCTAssertEqual(open.status, 200)
        XCTAssertEqual(open.object.keys.sorted(), ["status"])
        let viewer = try hub.createUser(roles: ["viewer"])
        XCTAssertEqual(try hub.request("GET", "/healthz", token: viewer.token).object.keys.sorted(), ["status"])
        let analyst = try hub.createUser(roles: ["analyst"])
        let full = try hub.request("GET", "/healthz", token: analyst.token).object
        XCTAssertNotNil(full["sources"])
        XCTAssertNotNil(full["serve"])
        XCTAssertEqual(try hub.request("GET", "/healthz", token: "not-a-token").status, 401, "a bad token is not quietly ignored")
    }

    func testAnUnreadableCredentialOnTheWebSocketIs401() throws {
        for header in ["Basic YWRtaW46YWRtaW4=", "Bearer", "Token abc"] {
            let r = try HTTPTestClient.upgrade(port: hub.port, path: "/ws", headers: ["Authorization": header])
            XCTAssertEqual(r.status, 401, header)
        }
        // No header: anonymous, as configured.
        XCTAssertEqual(try HTTPTestClient.upgrade(port: hub.port, path: "/ws").status, 101)
        XCTAssertEqual(try HTTPTestClient.upgrade(port: hub.port, path: "/ws", headers: ["Authorization": "Bearer \(hub.adminToken)"]).status, 101)
    }
}
