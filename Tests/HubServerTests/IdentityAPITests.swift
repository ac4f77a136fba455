import Foundation
import HubTesting
import XCTest

/// `/api/auth`, `/api/users`, `/api/roles`, `/api/audit` end to end: status codes and bodies.
final class IdentityAPITests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws { hub = try TestHub { $0.auth.loginMaxFailures = 3 } }
    override func tearDown() { hub.stop() }

    private func json(_ r: HTTPTestClient.Response) -> [String: Any] { r.json as? [String: Any] ?? [:] }
    private func error(_ r: HTTPTestClient.Response) -> [String: Any] { json(r)["error"] as? [String: Any] ?? [:] }

    /// Creates a user as the admin; returns its id.
    @discardableResult
    private func createUser(_ name: String, password: String? = nil, roles: [String] = []) throws -> Int {
        var body: [String: Any] = ["username": name, "roles": roles]
        if let password { body["password"] = password }
        let r = try hub.request("POST", "/api/users", String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self))
        XCTAssertEqual(r.status, 201, r.text)
        return try XCTUnwrap((json(r)["user"] as? [String: Any])?["id"] as? Int)
    }

    func testAPIKeyExchangeGivesAWorkingTokenAndBadKeysAre401() throws {
        let r = try hub.request("POST", "/api/auth/token", #"{"apiKey":"\#(TestHub.adminKey)"}"#, token: nil)
        XCTAssertEqual(r.status, 200, r.text)
        let body = json(r)
        XCTAssertEqual(body["tokenType"] as? String, "Bearer")
        XCTAssertEqual(body["expiresIn"] as? Int, 900)
        XCTAssertNil(body["refreshToken"] as? String, "API keys get no refresh token: the key is the long-lived credential")
        let token = try XCTUnwrap(body["accessToken"] as? String)
        let me = try hub.request("GET", "/api/auth/me", token: token)
        XCTAssertEqual(me.status, 200)
        XCTAssertEqual(json(me)["roles"] as? [String], ["admin"])
        XCTAssertEqual(json(me)["scopes"] as? [String], ["*"])

        let wrong = try hub.request("POST", "/api/auth/token", #"{"apiKey":"shk_testadmin_wrongwrongwrongwrongwrongwrongwr"}"#, token: nil)
        XCTAssertEqual(wrong.status, 401)
        XCTAssertEqual(error(wrong)["code"] as? String, "invalid_credentials")
        let malformed = try hub.request("POST", "/api/auth/token", #"{"apiKey":"hello"}"#, token: nil)
        XCTAssertEqual(malformed.status, 400)
        XCTAssertEqual(error(malformed)["field"] as? String, "apiKey")
        let missing = try hub.request("POST", "/api/auth/token", #"{"key":"x"}"#, token: nil)
        XCTAssertEqual(missing.status, 400)
        XCTAssertEqual(error(missing)["field"] as? String, "key")
    }

    func testLoginRefreshRotationAndReplay() throws {
        let id = try createUser("alice", password: "correct horse battery", roles: ["viewer"])
        let login = try hub.request("POST", "/api/auth/login", #"{"username":"alice","password":"correct horse battery"}"#, token: nil)
        XCTAssertEqual(login.status, 200, login.text)
        let access = try XCTUnwrap(json(login)["accessToken"] as? String)
        let refresh = try XCTUnwrap(json(login)["refreshToken"] as? String)
        XCTAssertEqual((json(login)["user"] as? [String: Any])?["id"] as? Int, id)
        XCTAssertEqual(json(try hub.request("GET", "/api/auth/me", token: access))["subject"] as? String, "\(id)")

        let r1 = try hub.request("POST", "/api/auth/refresh", #"{"refreshToken":"\#(refresh)"}"#, token: nil)
        XCTAssertEqual(r1.status, 200, r1.text)
        let refresh2 = try XCTUnwrap(json(r1)["refreshToken"] as? String)
        XCTAssertNotEqual(refresh2, refresh, "rotated")
        XCTAssertNotNil(json(r1)["accessToken"] as? String)
        // Spending the first again is a replay: refused, and the second is revoked with it.
        let replay = try hub.request("POST", "/api/auth/refresh", #"{"refreshToken":"\#(refresh)"}"#, token: nil)
        XCTAssertEqual(replay.status, 401)
        XCTAssertEqual(try hub.request("POST", "/api/auth/refresh", #"{"refreshToken":"\#(refresh2)"}"#, token: nil).status, 401)
        XCTAssertEqual(try hub.request("POST", "/api/auth/refresh", #"{"refreshToken":"nonsense"}"#, token: nil).status, 401)

        let bad = try hub.request("POST", "/api/auth/login", #"{"username":"alice","password":"wrong password!"}"#, token: nil)
        XCTAssertEqual(bad.status, 401)
        XCTAssertEqual(error(bad)["message"] as? String, "invalid username or password")
        let nobody = try hub.request("POST", "/api/auth/login", #"{"username":"nobody","password":"wrong password!"}"#, token: nil)
        XCTAssertEqual(nobody.status, 401)
        XCTAssertEqual(error(nobody)["message"] as? String, "invalid username or password", "no hint whether the user exists")
    }

    func testFailedLoginsAreThrottledPerUser() throws {
        try createUser("bob", password: "bob's long password")
        for _ in 0..<3 {
            XCTAssertEqual(try hub.request("POST", "/api/auth/login", #"{"username":"bob","password":"guess guess guess"}"#, token: nil).status, 401)
        }
        let limited = try hub.request("POST", "/api/auth/login", #"{"username":"bob","password":"bob's long password"}"#, token: nil)
        XCTAssertEqual(limited.status, 429, "even the right password waits once the limit is hit")
        XCTAssertEqual(error(limited)["code"] as? String, "too_many_attempts")
        XCTAssertGreaterThan(Int(limited.headers["retry-after"] ?? "") ?? 0, 0)
        // Another user from the same address is not locked out (the per-address limit is higher).
        try createUser("carol", password: "carol's long password")
        XCTAssertEqual(try hub.request("POST", "/api/auth/login", #"{"username":"carol","password":"carol's long password"}"#, token: nil).status, 200)
    }

    func testUsersCRUDWithStatusCodes() throws {
        let id = try createUser("dave", password: "dave's long password", roles: ["viewer"])
        // 409 duplicate (case-insensitive), 400 naming fields, 422 semantic problems.
        let dup = try hub.request("POST", "/api/users", #"{"username":"DAVE"}"#)
        XCTAssertEqual(dup.status, 409)
        let cases: [(String, Int, String?)] = [
            (#"{"username":"has space"}"#, 400, "username"),
            (#"{"username":5}"#, 400, "username"),
            (#"{"password":"x"}"#, 400, "username"),
            (#"{"username":"e","extra":1}"#, 400, "extra"),
            (#"{"username":"e","password":"short"}"#, 422, "password"),
            (#"{"username":"e","roles":["viewer","ghost"]}"#, 422, "roles[1]"),
            ("not json", 400, nil),
        ]
        for (body, status, field) in cases {
            let r = try hub.request("POST", "/api/users", body)
            XCTAssertEqual(r.status, status, body)
            XCTAssertEqual(error(r)["field"] as? String, field, body)
        }

        let list = try hub.request("GET", "/api/users?limit=1&offset=1")
        XCTAssertEqual(list.status, 200)
        XCTAssertEqual(json(list)["total"] as? Int, 2)
        XCTAssertEqual((json(list)["users"] as? [[String: Any]])?.first?["username"] as? String, "dave")
        XCTAssertEqual(error(try hub.request("GET", "/api/users?limit=0"))["field"] as? String, "limit")

        let detail = try hub.request("GET", "/api/users/\(id)")
        XCTAssertEqual(detail.status, 200)
        XCTAssertEqual((json(detail)["user"] as? [String: Any])?["roles"] as? [String], ["viewer"])
        XCTAssertNil((json(detail)["user"] as? [String: Any])?["passwordHash"], "never the hash")
        XCTAssertEqual(try hub.request("GET", "/api/users/999").status, 404)
        XCTAssertEqual(error(try hub.request("GET", "/api/users/abc"))["field"] as? String, "id")

        let put = try hub.request("PUT", "/api/users/\(id)", #"{"displayName":"Dave D","disabled":true}"#)
        XCTAssertEqual(put.status, 200, put.text)
        XCTAssertEqual((json(put)["user"] as? [String: Any])?["disabled"] as? Bool, true)
        XCTAssertEqual(try hub.request("PUT", "/api/users/\(id)", "{}").status, 400)
        XCTAssertEqual(try hub.request("PUT", "/api/users/999", #"{"disabled":false}"#).status, 404)
        let selfDisable = try hub.request("PUT", "/api/users/1", #"{"disabled":true}"#)
        XCTAssertEqual(selfDisable.status, 422, "the admin cannot lock itself out")
        // A disabled user cannot log in.
        let login = try hub.request("POST", "/api/auth/login", #"{"username":"dave","password":"dave's long password"}"#, token: nil)
        XCTAssertEqual(login.status, 403)

        let assign = try hub.request("POST", "/api/users/\(id)/role", #"{"role":"premium"}"#)
        XCTAssertEqual(assign.status, 200)
        XCTAssertEqual((json(assign)["user"] as? [String: Any])?["roles"] as? [String], ["premium", "viewer"])
        XCTAssertEqual(try hub.request("POST", "/api/users/\(id)/role", #"{"role":"ghost"}"#).status, 422)
        XCTAssertEqual(try hub.request("POST", "/api/users/999/role", #"{"role":"viewer"}"#).status, 404)
        let removed = try hub.request("DELETE", "/api/users/\(id)/roles/viewer")
        XCTAssertEqual((json(removed)["user"] as? [String: Any])?["roles"] as? [String], ["premium"])
        XCTAssertEqual(try hub.request("DELETE", "/api/users/\(id)/roles/viewer").status, 404)
    }

    func testAPIKeysAreShownOnceAndWorkUntilRevoked() throws {
        let id = try createUser("bot", roles: ["trader"])
        let created = try hub.request("POST", "/api/users/\(id)/keys", #"{"name":"ci"}"#)
        XCTAssertEqual(created.status, 201, created.text)
        let key = try XCTUnwrap(json(created)["key"] as? String)
        let keyID = try XCTUnwrap((json(created)["apiKey"] as? [String: Any])?["id"] as? String)
        XCTAssertTrue(key.hasPrefix("shk_\(keyID)_"))
        let detail = try hub.request("GET", "/api/users/\(id)").text
        XCTAssertFalse(detail.contains(key), "the key is never shown again")
        let token = try hub.request("POST", "/api/auth/token", #"{"apiKey":"\#(key)"}"#, token: nil)
        XCTAssertEqual(token.status, 200)
        let botToken = try XCTUnwrap(json(token)["accessToken"] as? String)
        // The bot sees itself, not others, and may mint its own keys.
        XCTAssertEqual(try hub.request("GET", "/api/users/\(id)", token: botToken).status, 200)
        XCTAssertEqual(try hub.request("GET", "/api/users/1", token: botToken).status, 403)
        XCTAssertEqual(try hub.request("POST", "/api/users/1/keys", "{}", token: botToken).status, 403)
        XCTAssertEqual(try hub.request("DELETE", "/api/users/\(id)/keys/\(keyID)").status, 204)
        XCTAssertEqual(try hub.request("POST", "/api/auth/token", #"{"apiKey":"\#(key)"}"#, token: nil).status, 401, "revoked")
    }

    func testRolesCRUDWithValidationAndProtection() throws {
        let list = try hub.request("GET", "/api/roles")
        XCTAssertEqual(list.status, 200)
        XCTAssertEqual(
            (json(list)["roles"] as? [[String: Any]])?.compactMap { $0["id"] as? String }, ["admin", "analyst", "anonymous", "premium", "trader", "viewer"])

        let body =
            #"{"id":"desk","description":"FX desk","grants":{"channels":[{"allow":"ticker.*.*"},{"deny":"ticker.deribit.*"}],"tiers":["public"],"scopes":["state:read"]}}"#
        XCTAssertEqual(try hub.request("POST", "/api/roles", body).status, 201)
        XCTAssertEqual(try hub.request("POST", "/api/roles", body).status, 409)
        XCTAssertEqual(try hub.request("GET", "/api/roles/desk").status, 200)
        let bad: [(String, String)] = [
            (#"{"id":"Bad Id"}"#, "id"),
            (#"{"id":"x","grants":{"channels":[{"allow":"ticker.*"}]}}"#, "grants.channels[0]"),
            (#"{"id":"x","grants":{"scopes":["everything"]}}"#, "grants.scopes[0]"),
            (#"{"id":"x","grants":{"tiers":["gold"]}}"#, "grants.tiers[0]"),
            (#"{"id":"x","grants":{"channels":[{"allow":"a.b.c","deny":"a.b.c"}]}}"#, "grants.channels[0]"),
            (#"{"id":"x","rights":[]}"#, "rights"),
        ]
        for (b, field) in bad {
            let r = try hub.request("POST", "/api/roles", b)
            XCTAssertEqual(r.status, 400, b)
            XCTAssertEqual(error(r)["field"] as? String, field, b)
        }
        let put = try hub.request("PUT", "/api/roles/desk", #"{"description":"FX","grants":{"tiers":["public","premium"]}}"#)
        XCTAssertEqual(put.status, 200, put.text)
        XCTAssertEqual(((json(put)["role"] as? [String: Any])?["grants"] as? [String: Any])?["tiers"] as? [String], ["public", "premium"])
        XCTAssertEqual(try hub.request("PUT", "/api/roles/ghost", #"{"description":"x"}"#).status, 404)
        XCTAssertEqual(try hub.request("PUT", "/api/roles/desk", #"{"id":"other"}"#).status, 400)

        let id = try createUser("erin", roles: ["desk"])
        XCTAssertEqual(try hub.request("DELETE", "/api/roles/desk").status, 409, "still assigned")
        XCTAssertEqual(try hub.request("DELETE", "/api/users/\(id)/roles/desk").status, 200)
        XCTAssertEqual(try hub.request("DELETE", "/api/roles/desk").status, 204)
        XCTAssertEqual(try hub.request("DELETE", "/api/roles/desk").status, 404)
        XCTAssertEqual(try hub.request("DELETE", "/api/roles/admin").status, 422, "built in")
    }

    func testEveryRouteIsGuardedWith401And403() throws {
        let viewerID = try createUser("vic", roles: ["viewer"])
        let viewer = try hub.token(subject: "\(viewerID)")
        // No token (anonymous is off in tests): 401 with a challenge, everywhere but the open routes.
        let table = hub.sync { s in s.routeTable.map { ($0.method, $0.path, "\($0.access)") } }
        XCTAssertGreaterThan(table.count, 20)
        // Every scope a route needs is one `GET /api/roles` lists (the console's grant editor offers them).
        let listed = try XCTUnwrap(try hub.request("GET", "/api/roles").object["scopes"] as? [String])
        for (method, path, access) in table where access.contains(":") {
            XCTAssertTrue(listed.contains(access), "\(method) \(path) needs \(access), not in \(listed)")
        }
        for (method, path, access) in table {
            let concrete = path.replacingOccurrences(of: ":id", with: "1").replacingOccurrences(of: ":role", with: "viewer")
                .replacingOccurrences(of: ":key", with: "k").replacingOccurrences(of: ":name", with: "bid").replacingOccurrences(
                    of: "*channel", with: "ticker.deribit.X")
            let r = try hub.request(method, concrete, method == "GET" ? nil : "{}", token: nil)
            if access == "open" {
                XCTAssertNotEqual(r.status, 401, "\(method) \(path)")
            } else {
                XCTAssertEqual(r.status, 401, "\(method) \(path) without a token")
                XCTAssertEqual(r.headers["www-authenticate"], "Bearer realm=\"streamhub\"", path)
            }
        }
        // A viewer lacks every write scope.
        for (method, path, body) in [
            ("POST", "/api/users", #"{"username":"x"}"#), ("PUT", "/api/roles/viewer", "{}"), ("POST", "/api/properties", "{}"),
            ("GET", "/api/users", nil), ("GET", "/api/audit", nil), ("GET", "/api/properties/quarantine", nil),
        ] {
            let r = try hub.request(method, path, body, token: viewer)
            XCTAssertEqual(r.status, 403, "\(method) \(path)")
            XCTAssertEqual(error(r)["code"] as? String, "forbidden")
        }
        XCTAssertEqual(try hub.request("GET", "/api/properties", token: viewer).status, 200)
        let garbage = try hub.request("GET", "/api/properties", token: "garbage")
        XCTAssertEqual(garbage.status, 401)
        XCTAssertEqual(error(garbage)["code"] as? String, "invalid_token")
        let basic = try HTTPTestClient.request("GET", port: hub.port, path: "/api/properties", headers: ["Authorization": "Basic YTpi"])
        XCTAssertEqual(basic.status, 401)
        let expired = try hub.token(subject: "\(viewerID)", lifetime: -60)
        XCTAssertEqual(error(try hub.request("GET", "/api/properties", token: expired))["code"] as? String, "token_expired")
    }

    func testNobodyGrantsScopesTheyDoNotHold() throws {
        // A user manager (users:read/write only) cannot make anyone an admin, nor write such a role.
        XCTAssertEqual(try hub.request("POST", "/api/roles", #"{"id":"usermgr","grants":{"scopes":["users:read","users:write","roles:write"]}}"#).status, 201)
        let mgrID = try createUser("mgr", roles: ["usermgr"])
        let mgr = try hub.token(subject: "\(mgrID)")
        let target = try createUser("target")
        let escalate = try hub.request("POST", "/api/users/\(target)/role", #"{"role":"admin"}"#, token: mgr)
        XCTAssertEqual(escalate.status, 403)
        XCTAssertTrue((error(escalate)["message"] as? String ?? "").contains("*"))
        XCTAssertEqual(try hub.request("POST", "/api/users/\(mgrID)/role", #"{"role":"admin"}"#, token: mgr).status, 403)
        XCTAssertEqual(try hub.request("PUT", "/api/roles/usermgr", #"{"grants":{"scopes":["*"]}}"#, token: mgr).status, 403)
        XCTAssertEqual(try hub.request("POST", "/api/users", #"{"username":"sneaky","roles":["admin"]}"#, token: mgr).status, 403)
        XCTAssertEqual(try hub.request("POST", "/api/users/\(target)/role", #"{"role":"usermgr"}"#, token: mgr).status, 200, "its own scopes it may grant")
    }

    func testAuditLogRecordsWhoChangedWhat() throws {
        let id = try createUser("fay", roles: ["viewer"])
        _ = try hub.request("POST", "/api/users/\(id)/role", #"{"role":"trader"}"#)
        _ = try hub.request("PUT", "/api/properties/bid", #"{"type":"decimal","description":"Best bid (edited).","tier":"public","sources":["deribit"]}"#)
        let audit = try hub.request("GET", "/api/audit?limit=3")
        XCTAssertEqual(audit.status, 200)
        let entries = try XCTUnwrap(json(audit)["entries"] as? [[String: Any]])
        XCTAssertEqual(entries.compactMap { $0["action"] as? String }, ["property.update", "user.role.add", "user.create"])
        XCTAssertEqual(entries.compactMap { $0["actor"] as? String }, ["user:1", "user:1", "user:1"])
        XCTAssertEqual(entries[1]["target"] as? String, "\(id)")
        XCTAssertNotNil(entries[0]["at"] as? String)
    }
}

extension IdentityAPITests {
    func testLesserManagersCannotTouchMorePrivilegedUsersOrWidenRoles() throws {
        XCTAssertEqual(
            try hub.request(
                "POST", "/api/roles",
                #"{"id":"usermgr","grants":{"channels":[{"allow":"ticker.*.*"}],"tiers":["public"],"scopes":["users:read","users:write","roles:read","roles:write"]}}"#
            ).status, 201)
        let mgrID = try createUser("mgr2", roles: ["usermgr"])
        let mgr = try hub.token(subject: "\(mgrID)")
        // The admin (user 1) is out of reach: password, keys, roles, state.
        XCTAssertEqual(try hub.request("PUT", "/api/users/1", #"{"password":"taken over password"}"#, token: mgr).status, 403)
        XCTAssertEqual(try hub.request("POST", "/api/users/1/keys", "{}", token: mgr).status, 403)
        XCTAssertEqual(try hub.request("DELETE", "/api/users/1/roles/admin", token: mgr).status, 403)
        XCTAssertEqual(try hub.request("PUT", "/api/users/1", #"{"disabled":true}"#, token: mgr).status, 403)
        // A viewer is: it holds nothing the manager lacks? (viewer has book/trades channels → no.)
        let viewerID = try createUser("v2", roles: ["viewer"])
        XCTAssertEqual(try hub.request("PUT", "/api/users/\(viewerID)", #"{"displayName":"x"}"#, token: mgr).status, 403)
        let plainID = try createUser("plain")
        XCTAssertEqual(try hub.request("PUT", "/api/users/\(plainID)", #"{"displayName":"x"}"#, token: mgr).status, 200)
        // roles:write does not let it widen a role past its own rights.
        let widen = try hub.request(
            "PUT", "/api/roles/usermgr",
            #"{"grants":{"channels":[{"allow":"*.*.*"}],"tiers":["public","premium"],"scopes":["users:read","users:write","roles:read","roles:write"]}}"#,
            token: mgr)
        XCTAssertEqual(widen.status, 403)
        XCTAssertTrue((error(widen)["message"] as? String ?? "").contains("tier premium"), widen.text)
        // Nor touch a role that has more than it: narrowing or deleting the admin role.
        XCTAssertEqual(try hub.request("PUT", "/api/roles/admin", #"{"grants":{}}"#, token: mgr).status, 403)
        XCTAssertEqual(try hub.request("DELETE", "/api/roles/analyst", token: mgr).status, 403)
    }

    func testTheLastEnabledAdminStays() throws {
        let last = try hub.request("DELETE", "/api/users/1/roles/admin")
        XCTAssertEqual(last.status, 422)
        XCTAssertEqual(error(last)["message"] as? String, "user 1 is the last enabled admin")
        let second = try createUser("ops", roles: ["admin"])
        XCTAssertEqual(try hub.request("DELETE", "/api/users/1/roles/admin").status, 200, "another admin exists now")
        XCTAssertEqual(try hub.request("PUT", "/api/users/\(second)", #"{"disabled":true}"#, token: try hub.token(subject: "\(second)")).status, 422)
    }

    func testThePropertyCatalogueShowsWhatTheCallerMayReceive() throws {
        let viewer = try hub.token(subject: "\(try createUser("cat", roles: ["viewer"]))")
        let names =
            ((try hub.request("GET", "/api/properties", token: viewer).json as? [String: Any])?["properties"] as? [[String: Any]])?.compactMap {
                $0["tier"] as? String
            } ?? []
        XCTAssertFalse(names.isEmpty)
        XCTAssertEqual(Set(names), ["public"])
        XCTAssertEqual(try hub.request("GET", "/api/properties/markIv", token: viewer).status, 404)
        XCTAssertEqual(try hub.request("GET", "/api/properties/markIv").status, 200)
        let csv = try hub.request("GET", "/api/properties/matrix?format=csv", token: viewer).text
        XCTAssertFalse(csv.contains(",markIv,"))
        let audit = try XCTUnwrap((try hub.request("GET", "/api/audit?limit=1").json as? [String: Any])?["entries"] as? [[String: Any]])
        XCTAssertNotNil(audit.first?["detail"] as? [String: Any], "detail is an object")
    }
}
