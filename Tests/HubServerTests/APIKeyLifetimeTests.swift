import Foundation
import HubCore
import HubTesting
import XCTest

/// API keys do not outlive what they stand for: they expire (90 days unless asked otherwise,
/// at most `auth.apiKeyMaxDays`), a user holds a bounded number, their last use is recorded,
/// and a new password or a disable revokes them for good.
final class APIKeyLifetimeTests: XCTestCase {
    let clock = ManualClock(running: true)
    var hub: TestHub!

    override func setUpWithError() throws { hub = try TestHub(clock: clock) { $0.auth.maxAPIKeysPerUser = 3 } }
    override func tearDown() { hub.stop() }

    private func makeKey(_ user: Int, _ body: String = "{}", token: String? = TestHub.admin) throws -> HTTPTestClient.Response {
        try hub.request("POST", "/api/users/\(user)/keys", body, token: token)
    }

    private func exchange(_ key: String) throws -> HTTPTestClient.Response {
        try hub.request("POST", "/api/auth/token", #"{"apiKey":"\#(key)"}"#, token: nil)
    }

    func testKeysExpireAndTheBootstrapKeyDoesNot() throws {
        let user = try hub.createUser(roles: ["viewer"])
        // Minted by the user's own 15-minute token: it still expires.
        let made = try makeKey(user.id, token: user.token)
        XCTAssertEqual(made.status, 201, made.text)
        let key = try XCTUnwrap(made.object["key"] as? String)
        let info = try XCTUnwrap(made.object["apiKey"] as? [String: Any])
        let created = ISO8601DateFormatter().date(from: info["createdAt"] as? String ?? "")
        let expires = ISO8601DateFormatter().date(from: info["expiresAt"] as? String ?? "")
        XCTAssertEqual(try XCTUnwrap(expires).timeIntervalSince(try XCTUnwrap(created)), 90 * 86_400, accuracy: 1)
        let short = try makeKey(user.id, #"{"name":"short","expiresInDays":1}"#)
        XCTAssertEqual(short.status, 201)
        for bad in [#"{"expiresInDays":0}"#, #"{"expiresInDays":366}"#, #"{"expiresInDays":"never"}"#] {
            let r = try makeKey(user.id, bad)
            XCTAssertEqual(r.status, 400, bad)
            XCTAssertEqual((r.object["error"] as? [String: Any])?["field"] as? String, "expiresInDays", bad)
        }

        XCTAssertEqual(try exchange(key).status, 200)
        let listed = try hub.request("GET", "/api/users/\(user.id)").object["apiKeys"] as? [[String: Any]]
        XCTAssertNotNil(listed?.first { $0["name"] as? String == "api" }?["lastUsedAt"], "last use recorded")

        clock.advance(by: 2 * 86_400)
        let shortKey = try XCTUnwrap(short.object["key"] as? String)
        let expired = try exchange(shortKey)
        XCTAssertEqual(expired.status, 401)
        XCTAssertTrue(expired.text.contains("API key expired"), expired.text)
        XCTAssertEqual(try exchange(key).status, 200, "the 90-day key still works")
        clock.advance(by: 89 * 86_400)
        XCTAssertEqual(try exchange(key).status, 401, "past 90 days")
        XCTAssertEqual(try exchange(TestHub.adminKey).status, 200, "the bootstrap key is the config's to rotate")
    }

    func testAUserHoldsABoundedNumberOfKeys() throws {
        let user = try hub.createUser(roles: ["viewer"])
        var ids: [String] = []
        for _ in 0..<3 {
            let r = try makeKey(user.id, token: user.token)
            XCTAssertEqual(r.status, 201)
            ids.append(try XCTUnwrap((r.object["apiKey"] as? [String: Any])?["id"] as? String))
        }
        let fourth = try makeKey(user.id, token: user.token)
        XCTAssertEqual(fourth.status, 422)
        XCTAssertTrue(fourth.text.contains("holds 3 API keys, the most allowed"), fourth.text)
        XCTAssertEqual(try hub.request("DELETE", "/api/users/\(user.id)/keys/\(ids[0])", token: user.token).status, 204)
        XCTAssertEqual(try makeKey(user.id, token: user.token).status, 201, "a revoked key frees its place")
    }

    func testANewPasswordOrADisableRevokesKeysForGood() throws {
        let user = try hub.createUser(roles: ["viewer"])
        let first = try XCTUnwrap(try makeKey(user.id).object["key"] as? String)
        XCTAssertEqual(try exchange(first).status, 200)
        XCTAssertEqual(try hub.request("PUT", "/api/users/\(user.id)", #"{"password":"a brand new password"}"#).status, 200)
        XCTAssertEqual(try exchange(first).status, 401, "an admin password reset revokes the key")

        let second = try XCTUnwrap(try makeKey(user.id).object["key"] as? String)
        XCTAssertEqual(try hub.request("PUT", "/api/users/\(user.id)", #"{"disabled":true}"#).status, 200)
        XCTAssertEqual(try hub.request("PUT", "/api/users/\(user.id)", #"{"disabled":false}"#).status, 200)
        XCTAssertEqual(try exchange(second).status, 401, "enabling the account again does not bring its keys back")
        let keys = try hub.request("GET", "/api/users/\(user.id)").object["apiKeys"] as? [[String: Any]]
        XCTAssertEqual(keys?.count, 2)
        XCTAssertTrue(keys?.allSatisfy { $0["revokedAt"] != nil } ?? false)
    }
}
