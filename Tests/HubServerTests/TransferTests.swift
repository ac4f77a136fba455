import Foundation
import HubTesting
import XCTest

/// Import and export of users, roles, properties and flags over REST (the CLI shares
/// `Transfer`): formats both ways, dry runs, one transaction, problems named by record and field.
final class TransferTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws { hub = try TestHub() }
    override func tearDown() { hub?.stop() }

    private func report(_ r: HTTPTestClient.Response) -> [String: Any] { (r.object["report"] as? [String: Any]) ?? r.object }
    private func problems(_ r: HTTPTestClient.Response) -> [String] {
        (report(r)["problems"] as? [[String: Any]] ?? []).map { "\($0["at"] ?? "") \($0["field"] ?? "")" }
    }
    private func changes(_ r: HTTPTestClient.Response) -> [String] {
        (report(r)["changes"] as? [[String: Any]] ?? []).map {
            "\($0["action"] ?? "") \($0["key"] ?? "")\(($0["fields"] as? [String]).map { " " + $0.joined(separator: ",") } ?? "")"
        }
    }
    private func usernames() throws -> [String] {
        (try hub.request("GET", "/api/users?limit=500").object["users"] as? [[String: Any]] ?? []).compactMap { $0["username"] as? String }
    }

    func testUsersRoundTripAsCSVWithADryRunFirst() throws {
        let created = try hub.request("POST", "/api/users", #"{"username":"alice","password":"alice's long password","roles":["trader"]}"#)
        XCTAssertEqual(created.status, 201, created.text)
        _ = try hub.createUser("bob", roles: ["viewer"])
        let aliceID = try XCTUnwrap((created.object["user"] as? [String: Any])?["id"] as? Int)
        XCTAssertEqual(try hub.request("POST", "/api/users/\(aliceID)/keys", "{}").status, 201)

        let json = try hub.request("GET", "/api/users/export")
        XCTAssertEqual(json.status, 200)
        let users = try XCTUnwrap(json.object["users"] as? [[String: Any]])
        let alice = try XCTUnwrap(users.first { $0["username"] as? String == "alice" })
        XCTAssertTrue((alice["passwordHash"] as? String ?? "").hasPrefix("pbkdf2-sha256$"), "the password only as its hash")
        XCTAssertFalse(json.text.contains("shk_"), "API keys are never exported")
        XCTAssertEqual(alice.keys.sorted(), ["disabled", "passwordHash", "roles", "username"])

        let csv = try hub.request("GET", "/api/users/export?format=csv")
        XCTAssertEqual(csv.headers["content-type"], "text/csv")
        var lines = csv.text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "username,displayName,disabled,roles,passwordHash,setPasswordOnFirstLogin")
        // bob gets a second role and a name, carol is new; the rest stays as exported.
        lines = lines.map { $0.hasPrefix("bob,") ? "bob,Bob B,false,viewer;premium,," : $0 } + ["carol,,false,trader,,"]
        let edited = lines.joined(separator: "\n") + "\n"

        let dry = try hub.request("POST", "/api/users/import?format=csv&dryRun=true", edited)
        XCTAssertEqual(dry.status, 200, dry.text)
        XCTAssertEqual(report(dry)["written"] as? Bool, false)
        XCTAssertTrue(changes(dry).contains("update bob displayName,roles"), "\(changes(dry))")
        XCTAssertTrue(changes(dry).contains("create carol"), "\(changes(dry))")
        XCTAssertTrue(changes(dry).contains("unchanged alice"), "\(changes(dry))")
        XCTAssertFalse(try usernames().contains("carol"), "a dry run writes nothing")

        let real = try hub.request("POST", "/api/users/import?format=csv", edited)
        XCTAssertEqual(real.status, 200, real.text)
        XCTAssertEqual(report(real)["written"] as? Bool, true)
        XCTAssertEqual(report(real)["summary"] as? [String: Int], ["create": 1, "update": 1, "unchanged": 2])
        XCTAssertTrue(try usernames().contains("carol"))
        let bob = try XCTUnwrap(
            (try hub.request("GET", "/api/users?limit=500").object["users"] as? [[String: Any]])?.first { $0["username"] as? String == "bob" })
        XCTAssertEqual(bob["roles"] as? [String], ["premium", "viewer"])
        XCTAssertEqual(bob["displayName"] as? String, "Bob B")
        let login = try hub.request("POST", "/api/auth/login", #"{"username":"alice","password":"alice's long password"}"#, token: nil)
        XCTAssertEqual(login.status, 200, "the hash kept the password")
        // Re-importing the export changes nothing.
        let again = try hub.request("POST", "/api/users/import", json.text)
        XCTAssertEqual((report(again)["summary"] as? [String: Int])?["update"], 1, "bob goes back to the exported state: \(changes(again))")
    }

    func testAnInvalidFileChangesNothingAndNamesEachRecordAndField() throws {
        let body = """
            {"users":[
              {"username":"dora","roles":["viewer"]},
              {"username":"bad name"},
              {"username":"erin","roles":["ghost"]},
              {"username":"finn","password":"plain text please"},
              {"username":"gus","passwordHash":"md5$abc"},
              {"username":"dora"},
              {"username":"hal","colour":"blue"}
            ]}
            """
        let r = try hub.request("POST", "/api/users/import", body)
        XCTAssertEqual(r.status, 422, r.text)
        XCTAssertEqual((r.object["error"] as? [String: Any])?["code"] as? String, "invalid_records")
        XCTAssertEqual(
            problems(r), ["users[1] username", "users[2] roles[0]", "users[3] password", "users[4] passwordHash", "users[5] username", "users[6] colour"])
        XCTAssertFalse(try usernames().contains("dora"), "one transaction: the good record is not written either")

        let csv = "username,disabled,roles\nivy,false,viewer\njack,maybe,viewer\n"
        let bad = try hub.request("POST", "/api/users/import?format=csv", csv)
        XCTAssertEqual(bad.status, 422, bad.text)
        XCTAssertEqual(problems(bad), ["line 3 disabled"])
        let spanning = "username,displayName,disabled\nivy,\"two\nlines\",false\njack,,maybe\n"
        XCTAssertEqual(problems(try hub.request("POST", "/api/users/import?format=csv", spanning)), ["line 4 disabled"], "a quoted cell spans two lines")
        let huge = #"[{"username":"huge","passwordHash":"pbkdf2-sha256$4294967296$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA=="}]"#
        XCTAssertEqual(problems(try hub.request("POST", "/api/users/import", huge)), ["users[0] passwordHash"], "rounds a login could not afford")
        let lastAdmin = try hub.request("POST", "/api/users/import", #"[{"username":"admin","displayName":"Administrator","roles":["viewer"]}]"#)
        XCTAssertEqual(lastAdmin.status, 422, lastAdmin.text)
        XCTAssertEqual(problems(lastAdmin), ["users[0] roles"], "the last enabled admin keeps the role")
        XCTAssertEqual(try hub.request("POST", "/api/users/import?format=csv", "name,roles\nx,y\n").status, 400, "an unknown column")
        XCTAssertEqual(try hub.request("POST", "/api/users/import", "not json").status, 400)
        XCTAssertEqual(try hub.request("POST", "/api/users/import?format=yaml", "{}").status, 400)
        XCTAssertEqual(try hub.request("POST", "/api/users/import?dryRun=maybe", "[]").status, 400)
    }

    func testImportedUsersSetTheirPasswordOnFirstLoginWithAOneTimeCode() throws {
        let body = #"[{"username":"nina","roles":["viewer"],"setPasswordOnFirstLogin":true}]"#
        let dry = try hub.request("POST", "/api/users/import?dryRun=true", body)
        XCTAssertEqual(changes(dry), ["create nina passwordSetup"])
        XCTAssertEqual((report(dry)["setupCodes"] as? [Any])?.count, 0, "a dry run issues no code")
        let r = try hub.request("POST", "/api/users/import", body)
        XCTAssertEqual(r.status, 200, r.text)
        let codes = try XCTUnwrap(report(r)["setupCodes"] as? [[String: Any]])
        XCTAssertEqual(codes.map { $0["username"] as? String }, ["nina"])
        let code = try XCTUnwrap(codes.first?["code"] as? String)
        XCTAssertTrue(code.hasPrefix("shs_"))
        XCTAssertFalse(try hub.request("GET", "/api/users/export").text.contains(code), "the code is never exported")

        func setup(_ code: String, _ password: String) throws -> HTTPTestClient.Response {
            let b = String(decoding: try JSONSerialization.data(withJSONObject: ["username": "nina", "code": code, "password": password]), as: UTF8.self)
            return try hub.request("POST", "/api/auth/setup", b, token: nil)
        }
        XCTAssertEqual(try setup("shs_wrong", "nina's new password").status, 401)
        XCTAssertEqual(try setup(code, "short").status, 422)
        let done = try setup(code, "nina's new password")
        XCTAssertEqual(done.status, 200, done.text)
        XCTAssertNotNil(done.object["refreshToken"] as? String, "answers as a login")
        XCTAssertEqual(try setup(code, "another long password").status, 401, "the code is used up")
        let login = try hub.request("POST", "/api/auth/login", #"{"username":"nina","password":"nina's new password"}"#, token: nil)
        XCTAssertEqual(login.status, 200, login.text)
        // A user that has a password gets no code; a record cannot ask for both.
        let again = try hub.request("POST", "/api/users/import", body)
        XCTAssertEqual((report(again)["setupCodes"] as? [Any])?.count, 0, again.text)
        // A password set by an administrator voids a pending code.
        let omar = try hub.request("POST", "/api/users/import", #"[{"username":"omar","setPasswordOnFirstLogin":true}]"#)
        let omarCode = try XCTUnwrap((report(omar)["setupCodes"] as? [[String: Any]])?.first?["code"] as? String)
        let omarID = try XCTUnwrap(
            (try hub.request("GET", "/api/users?limit=500").object["users"] as? [[String: Any]])?.first { $0["username"] as? String == "omar" }?["id"] as? Int)
        XCTAssertEqual(try hub.request("PUT", "/api/users/\(omarID)", #"{"password":"set by the admin, long"}"#).status, 200)
        let late = String(
            decoding: try JSONSerialization.data(withJSONObject: ["username": "omar", "code": omarCode, "password": "omar's own password"]), as: UTF8.self)
        XCTAssertEqual(try hub.request("POST", "/api/auth/setup", late, token: nil).status, 401)
        let both = try hub.request("POST", "/api/users/import", #"[{"username":"olga","passwordHash":"x","setPasswordOnFirstLogin":true}]"#)
        XCTAssertTrue(problems(both).contains("users[0] setPasswordOnFirstLogin"), "\(problems(both))")
    }

    func testImportsGrantNothingTheCallerCouldNotGrantByHand() throws {
        let role = #"{"id":"usermgr","grants":{"scopes":["users:read","users:write"]}}"#
        XCTAssertEqual(try hub.request("POST", "/api/roles", role).status, 201)
        let manager = try hub.createUser("mgr", roles: ["usermgr"])
        let r = try hub.request("POST", "/api/users/import", #"[{"username":"mallory","roles":["admin"]}]"#, token: manager.token)
        XCTAssertEqual(r.status, 403, r.text)
        XCTAssertEqual((r.object["error"] as? [String: Any])?["field"] as? String, "users[0]")
        XCTAssertFalse(try usernames().contains("mallory"))
        XCTAssertEqual(try hub.request("POST", "/api/roles/import", "[]", token: manager.token).status, 403, "roles:write is needed")
        // `ADMIN` is `admin` (usernames ignore case): the same checks as for the account itself.
        let shout = try hub.request("POST", "/api/users/import", #"[{"username":"ADMIN","roles":[],"disabled":true}]"#, token: manager.token)
        XCTAssertEqual(shout.status, 403, shout.text)
        XCTAssertEqual(
            (try hub.request("GET", "/api/users?limit=500").object["users"] as? [[String: Any]])?.first { $0["username"] as? String == "admin" }?["roles"]
                as? [String], ["admin"])
        // Password hashes leave only with every right.
        let partial = try hub.request("GET", "/api/users/export", token: manager.token)
        XCTAssertEqual(partial.status, 200)
        XCTAssertFalse(partial.text.contains("passwordHash"), partial.text)
    }

    func testRolesAsCSVRoundTripAndAnUpdateShowsItsFields() throws {
        let csv = try hub.request("GET", "/api/roles/export?format=csv")
        XCTAssertEqual(csv.status, 200)
        XCTAssertTrue(csv.text.hasPrefix("id,description,channels,tiers,propertiesAllow,propertiesDeny,scopes,publish\n"), csv.text)
        let same = try hub.request("POST", "/api/roles/import?format=csv&dryRun=true", csv.text)
        XCTAssertEqual(same.status, 200, same.text)
        XCTAssertEqual((report(same)["summary"] as? [String: Int])?["update"], 0, "\(changes(same))")
        XCTAssertEqual((report(same)["summary"] as? [String: Int])?["create"], 0)

        let added = csv.text + "desk,Desk traders,allow:ticker.*.*;deny:*.synthetic.*;allow:options.*.*@beta-features,public;premium,,iv,state:read,\n"
        let r = try hub.request("POST", "/api/roles/import?format=csv", added)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertTrue(changes(r).contains("create desk"), "\(changes(r))")
        let desk = try XCTUnwrap(try hub.request("GET", "/api/roles/desk").object["role"] as? [String: Any])
        let grants = try XCTUnwrap(desk["grants"] as? [String: Any])
        XCTAssertEqual((grants["channels"] as? [[String: String]])?.last, ["allow": "options.*.*", "flag": "beta-features"])
        XCTAssertEqual(grants["tiers"] as? [String], ["public", "premium"])
        let changed = try hub.request(
            "POST", "/api/roles/import", #"{"roles":[{"id":"desk","description":"Desk traders","grants":{"scopes":["state:read","streams:read"]}}]}"#)
        XCTAssertEqual(changed.status, 200, changed.text)
        XCTAssertEqual(changes(changed), ["update desk grants.channels,grants.properties,grants.scopes,grants.tiers"])
        let bad = try hub.request("POST", "/api/roles/import", #"[{"id":"Bad Id"},{"id":"ok","grants":{"scopes":["nope"]}},{"id":"export"}]"#)
        XCTAssertEqual(problems(bad), ["roles[0] id", "roles[1] grants.scopes[0]", "roles[2] id"], "export is a route, not a role")
        XCTAssertEqual(try hub.request("POST", "/api/roles", #"{"id":"import"}"#).status, 400)
    }

    func testPropertiesUpsertIntoTheLiveRegistryWithADiff() throws {
        let export = try hub.request("GET", "/api/properties/export")
        var properties = try XCTUnwrap(export.object["properties"] as? [[String: Any]])
        let i = try XCTUnwrap(properties.firstIndex { $0["name"] as? String == "bid" })
        properties[i]["description"] = "Best bid, as imported"
        properties.append(["name": "deskNote", "type": "string", "description": "A note of the desk", "tier": "internal"])
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["properties": properties]), as: UTF8.self)
        let dry = try hub.request("POST", "/api/properties/import?dryRun=true", body)
        XCTAssertEqual(dry.status, 200, dry.text)
        XCTAssertEqual(changes(dry).filter { !$0.hasPrefix("unchanged") }, ["update bid description", "create deskNote"])
        let bidChange = try XCTUnwrap((report(dry)["changes"] as? [[String: Any]])?.first { $0["key"] as? String == "bid" })
        let diff = try XCTUnwrap((bidChange["diff"] as? [[String: String]])?.first)
        XCTAssertEqual(diff["field"], "description")
        XCTAssertEqual(diff["after"], #""Best bid, as imported""#, "the diff shows the values")
        XCTAssertNotEqual(diff["before"], diff["after"])
        XCTAssertEqual(try hub.request("GET", "/api/properties/deskNote").status, 404)
        XCTAssertEqual(try hub.request("POST", "/api/properties/import", body).status, 200)
        XCTAssertEqual(try hub.request("GET", "/api/properties/deskNote").status, 200, "in the live registry at once")
        let bid = try hub.request("GET", "/api/properties/bid").object["property"] as? [String: Any]
        XCTAssertEqual(bid?["description"] as? String, "Best bid, as imported")
        // A reader exports what the catalogue shows it.
        let viewer = try hub.createUser("pv", roles: ["viewer"])
        let seen = try XCTUnwrap(try hub.request("GET", "/api/properties/export", token: viewer.token).object["properties"] as? [[String: Any]])
        XCTAssertFalse(seen.isEmpty)
        XCTAssertTrue(seen.allSatisfy { $0["tier"] as? String == "public" }, "no premium or internal definition for a viewer")
        let bad = try hub.request(
            "POST", "/api/properties/import",
            #"[{"name":"x1","type":"nope","description":"","tier":"public"},{"name":"x2","type":"decimal","description":"","tier":"public","derivedFrom":["ghost"]}]"#
        )
        XCTAssertEqual(bad.status, 422, bad.text)
        XCTAssertEqual(problems(bad).map { $0.split(separator: " ")[0] }, ["properties[0]", "properties[1]"], bad.text)
    }

    func testFlagsInUnleashClientAndAdminFormatsBothWays() throws {
        let flag =
            #"{"name":"new-ui","description":"The new console","enabled":true,"strategies":[{"name":"flexibleRollout","parameters":{"rollout":"25","stickiness":"userId","groupId":"new-ui"},"constraints":[{"contextName":"roles","operator":"IN","values":["trader"]}]}],"variants":[{"name":"blue","weight":1000}]}"#
        XCTAssertEqual(try hub.request("POST", "/api/features", flag).status, 201)
        let client = try hub.request("GET", "/api/features/export")
        XCTAssertEqual(client.status, 200)
        let admin = try hub.request("GET", "/api/features/export?format=admin")
        let doc = admin.object
        XCTAssertNotNil(doc["featureStrategies"] as? [[String: Any]])
        let environments = try XCTUnwrap(doc["featureEnvironments"] as? [[String: Any]])
        XCTAssertTrue(environments.allSatisfy { $0["environment"] as? String == "production" }, "the hub's flags.environment")
        XCTAssertEqual((doc["features"] as? [Any])?.count, (client.object["features"] as? [Any])?.count)
        // Delete a flag, bring it back from the admin export: the client document is as before.
        XCTAssertEqual(try hub.request("DELETE", "/api/features/new-ui").status, 204)
        let back = try hub.request("POST", "/api/features/import?format=admin", admin.text)
        XCTAssertEqual(back.status, 200, back.text)
        XCTAssertTrue(changes(back).contains("create new-ui"), "\(changes(back))")
        XCTAssertEqual(try hub.request("GET", "/api/features/export").object as NSDictionary, client.object as NSDictionary)
        // An export of another environment, in Unleash's import body (whose `environment` is its
        // target there): the export's only environment is read.
        var other = doc
        other["featureEnvironments"] = environments.map { e in e.merging(["environment": "staging", "enabled": true]) { _, b in b } }
        let wrapped = String(decoding: try JSONSerialization.data(withJSONObject: ["environment": "production", "data": other]), as: UTF8.self)
        let staged = try hub.request("POST", "/api/features/import?format=admin", wrapped)
        XCTAssertEqual(staged.status, 200, staged.text)
        XCTAssertEqual((try hub.request("GET", "/api/features/new-ui").object["feature"] as? [String: Any])?["enabled"] as? Bool, true)
        // Several environments: the import must be told which.
        var both = doc
        both["featureEnvironments"] = (other["featureEnvironments"] as? [[String: Any]] ?? []) + environments
        let two = String(decoding: try JSONSerialization.data(withJSONObject: both), as: UTF8.self)
        let ambiguous = try hub.request("POST", "/api/features/import?format=admin", two)
        XCTAssertEqual(ambiguous.status, 400, ambiguous.text)
        XCTAssertEqual(try hub.request("POST", "/api/features/import?format=admin&environment=production&dryRun=true", two).status, 200)
        XCTAssertEqual(try hub.request("POST", "/api/features/import", #"{"feature":[]}"#).status, 400, "client-features has a features list")
        let bad = try hub.request(
            "POST", "/api/features/import",
            #"{"features":[{"name":"ok"},{"name":"x","strategies":[{"name":"flexibleRollout","parameters":{"rollout":"200"}}]}]}"#)
        XCTAssertEqual(bad.status, 422, bad.text)
        XCTAssertEqual(problems(bad), ["features[1] strategies[0].parameters.rollout"])
        XCTAssertEqual(try hub.request("GET", "/api/features/ok").status, 404, "nothing written")
    }
}
