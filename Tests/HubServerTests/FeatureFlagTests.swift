import Foundation
import HubCore
import HubTesting
import Venues
import XCTest

/// Feature flags end to end: REST, the default flags gating real behaviour on WebSockets, and
/// live changes reaching connected sessions.
final class FeatureFlagTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws { hub = try TestHub() }
    override func tearDown() { hub.stop() }

    private func json(_ r: HTTPTestClient.Response) -> [String: Any] { r.json as? [String: Any] ?? [:] }
    private func error(_ r: HTTPTestClient.Response) -> [String: Any] { json(r)["error"] as? [String: Any] ?? [:] }

    /// A user with `roles`; its id and token.
    func user(_ roles: [String]) throws -> (id: Int, token: String) {
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["username": "u\(UUID().uuidString.prefix(8))", "roles": roles]), as: UTF8.self)
        let r = try hub.request("POST", "/api/users", body)
        let id = try XCTUnwrap((json(r)["user"] as? [String: Any])?["id"] as? Int, r.text)
        return (id, try hub.token(subject: "\(id)"))
    }

    func connect(_ token: String) throws -> TestClient {
        try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(token)")
    }

    func subscribe(_ c: TestClient, _ channel: String, id: Int = 1, fields: [String]? = nil) throws -> [String: Any] {
        let f = fields.map { ",\"fields\":[\($0.map { "\"\($0)\"" }.joined(separator: ","))]" } ?? ""
        c.send(#"{"id":\#(id),"op":"subscribe","channel":"\#(channel)"\#(f)}"#)
        return try c.waitFor("reply \(id)") { $0["id"] as? Int == id }
    }

    func arb() -> RawEvent {
        var e = TickFactory.ticker("BTC-X", bid: 100)
        e.stream = .arb
        return e
    }

    func setFlag(_ name: String, _ body: String) throws {
        let r = try hub.request("PUT", "/api/features/\(name)", body)
        XCTAssertEqual(r.status, 200, r.text)
    }

    func testADateConstraintThatCrashedICUIsAnsweredNotFatal() throws {
        // Found by fuzzing: ICU's date parser died of a division fault on this fraction.
        let body =
            #"{"name":"dated","enabled":true,"strategies":[{"name":"default","constraints":[{"contextName":"currentTime","operator":"DATE_BEFORE","value":"2022-01-22T14:00:00.00022222222222222222222222222222222222222+02:00"}]}]}"#
        XCTAssertEqual(try hub.request("POST", "/api/features", body).status, 201)
        XCTAssertEqual(json(try hub.request("GET", "/api/features/dated/evaluate"))["enabled"] as? Bool, false, "2022 is past")
        let bad = try hub.request(
            "POST", "/api/features", body.replacingOccurrences(of: "2022-01-22T14", with: "2022-02-30T14").replacingOccurrences(of: "dated", with: "dated2"))
        XCTAssertEqual(bad.status, 400)
    }

    func testDefaultFlagsAreSeededAndTheRESTAPIWorks() throws {
        let list = try hub.request("GET", "/api/features")
        XCTAssertEqual(list.status, 200)
        XCTAssertEqual((json(list)["features"] as? [[String: Any]])?.compactMap { $0["name"] as? String }, ["beta-features", "premium-data", "sharp-books-v2"])

        let flag =
            #"{"name":"new-ui","description":"x","enabled":true,"strategies":[{"name":"flexibleRollout","parameters":{"rollout":"30","stickiness":"userId","groupId":"new-ui"},"constraints":[{"contextName":"roles","operator":"IN","values":["trader"]}]}],"variants":[{"name":"blue","weight":1},{"name":"green","weight":1}]}"#
        XCTAssertEqual(try hub.request("POST", "/api/features", flag).status, 201)
        XCTAssertEqual(try hub.request("POST", "/api/features", flag).status, 409)
        XCTAssertEqual(try hub.request("GET", "/api/features/new-ui").status, 200)
        let bad: [(String, String)] = [
            (#"{"name":"a/b","enabled":true}"#, "name"),
            (#"{"name":"x","enabled":true,"strategies":[{"name":"magic"}]}"#, "strategies[0].name"),
            (#"{"name":"x","enabled":true,"strategies":[{"name":"flexibleRollout","parameters":{"rollout":"150"}}]}"#, "strategies[0].parameters.rollout"),
            (
                #"{"name":"x","enabled":true,"strategies":[{"name":"default","constraints":[{"contextName":"a","operator":"LIKE","values":[]}]}]}"#,
                "strategies[0].constraints[0].operator"
            ),
            (
                #"{"name":"x","enabled":true,"strategies":[{"name":"default","constraints":[{"contextName":"a","operator":"NUM_GT","value":"ten"}]}]}"#,
                "strategies[0].constraints[0].value"
            ),
            (
                #"{"name":"x","enabled":true,"strategies":[{"name":"default","constraints":[{"contextName":"a","operator":"REGEX","value":"(open"}]}]}"#,
                "strategies[0].constraints[0].value"
            ),
            (#"{"name":"x","enabled":true,"dependencies":[{"feature":"x"}]}"#, "dependencies[0].feature"),
            (#"{"enabled":true}"#, "name"),
        ]
        for (body, field) in bad {
            let r = try hub.request("POST", "/api/features", body)
            XCTAssertEqual(r.status, 400, body)
            XCTAssertEqual(error(r)["field"] as? String, field, body)
        }

        // Evaluate: a trader in and out of the 30 % rollout, a viewer never.
        var inside: String?, outside: String?
        for i in 0..<200 where inside == nil || outside == nil {
            if MurmurHash3.normalized("u\(i)", groupId: "new-ui") <= 30 { inside = inside ?? "u\(i)" } else { outside = outside ?? "u\(i)" }
        }
        let yes = json(try hub.request("GET", "/api/features/new-ui/evaluate?userId=\(inside!)&roles=trader"))
        XCTAssertEqual(yes["enabled"] as? Bool, true)
        XCTAssertNotNil((yes["variant"] as? [String: Any])?["name"] as? String)
        XCTAssertEqual(json(try hub.request("GET", "/api/features/new-ui/evaluate?userId=\(outside!)&roles=trader"))["enabled"] as? Bool, false)
        XCTAssertEqual(json(try hub.request("GET", "/api/features/new-ui/evaluate?userId=\(inside!)&roles=viewer"))["enabled"] as? Bool, false)
        XCTAssertEqual(try hub.request("GET", "/api/features/ghost/evaluate").status, 404)

        // Export is Unleash's client-features document; import merges it back.
        let export = try hub.request("GET", "/api/features/export")
        XCTAssertEqual(json(export)["version"] as? Int, 1)
        XCTAssertEqual(try hub.request("DELETE", "/api/features/new-ui").status, 204)
        XCTAssertEqual(try hub.request("DELETE", "/api/features/new-ui").status, 404)
        let imported = try hub.request("POST", "/api/features/import", export.text)
        XCTAssertEqual(imported.status, 200, imported.text)
        XCTAssertEqual(json(imported)["summary"] as? [String: Int], ["create": 1, "update": 0, "unchanged": 3])
        XCTAssertEqual(try hub.request("GET", "/api/features/new-ui").status, 200)
        let noList = try hub.request("POST", "/api/features/import", #"{"feature":[]}"#)
        XCTAssertEqual(noList.status, 400, "a document without `features` imports nothing: refused")
        XCTAssertEqual(try hub.request("POST", "/api/features/import", #"{"features":null}"#).status, 400)
        // Flags that properties or role rules need cannot be deleted.
        let inUse = try hub.request("DELETE", "/api/features/premium-data")
        XCTAssertEqual(inUse.status, 409)
        XCTAssertTrue((error(inUse)["message"] as? String ?? "").contains("property markIv"), inUse.text)
        XCTAssertEqual(try hub.request("DELETE", "/api/features/beta-features").status, 409)
        // Guarded: a viewer may not read flags, nobody without a token.
        let viewer = try user(["viewer"]).token
        XCTAssertEqual(try hub.request("GET", "/api/features", token: viewer).status, 403)
        XCTAssertEqual(try hub.request("GET", "/api/features", token: nil).status, 401)
        let premium = try user(["premium"]).token
        XCTAssertEqual(try hub.request("GET", "/api/features", token: premium).status, 403, "targeting is for flag administrators")
        XCTAssertEqual(try hub.request("PUT", "/api/features/new-ui", #"{"enabled":false}"#, token: premium).status, 403)
        let audit = try XCTUnwrap(json(try hub.request("GET", "/api/audit?limit=20"))["entries"] as? [[String: Any]])
        XCTAssertEqual(
            audit.compactMap { $0["action"] as? String }.filter { $0.hasPrefix("feature.") },
            ["feature.import", "feature.delete", "feature.create", "feature.seed"])
    }

    func testPremiumDataGatesPremiumPropertiesLive() throws {
        hub.inject([TickFactory.ticker("P-PERP", bid: 100)])
        let c = try connect(try user(["premium"]).token)
        XCTAssertNotNil(try subscribe(c, "ticker.deribit.P-PERP")["result"])
        let snap = try c.waitFor { $0["snap"] as? Bool == true }
        XCTAssertNotNil((snap["data"] as? [String: Any])?["microprice"], "flag on: premium property present")

        try setFlag("premium-data", #"{"enabled":false,"strategies":[{"name":"default"}]}"#)
        let push = try c.waitFor(timeout: 1, "flags push") { $0["type"] as? String == "flags" }
        XCTAssertEqual(push["flags"] as? [String], ["beta-features"])
        hub.inject([TickFactory.ticker("P-PERP", bid: 101)])
        let tick = try c.waitFor { $0["ch"] as? String == "ticker.deribit.P-PERP" && $0["snap"] == nil }
        XCTAssertNil((tick["data"] as? [String: Any])?["microprice"], "flag off: gone from the view")
        XCTAssertNotNil((tick["data"] as? [String: Any])?["bid"])
        XCTAssertEqual((try subscribe(c, "ticker.*.P-PERP", id: 2, fields: ["microprice"])["error"] as? [String: Any])?["code"] as? Int, 1011)
    }

    func testSharpBooksV2GatesTheV2PropertyByRole() throws {
        let analyst = try user(["analyst"]).token, premium = try user(["premium"]).token
        func catalogue(_ token: String) throws -> [String] {
            ((json(try hub.request("GET", "/api/properties", token: token))["properties"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String }
        }
        XCTAssertTrue(try catalogue(analyst).contains("sharpConsensusV2"))
        XCTAssertFalse(try catalogue(premium).contains("sharpConsensusV2"), "premium tier, but the flag targets analysts and admins")
        XCTAssertTrue(try catalogue(premium).contains("sharpConsensus"), "v1 is premium-data's")
        hub.inject([TickFactory.ticker("S-PERP", bid: 1)])
        let c = try connect(premium)
        XCTAssertEqual((try subscribe(c, "ticker.deribit.S-PERP", fields: ["bid", "sharpConsensusV2"])["error"] as? [String: Any])?["code"] as? Int, 1011)
        let a = try connect(analyst)
        XCTAssertNotNil(try subscribe(a, "ticker.deribit.S-PERP", fields: ["bid", "sharpConsensusV2"])["result"])
    }

    func testBetaFeaturesRolloutSplitsTwoConnectedUsersLive() throws {
        // Two premium users on opposite sides of a 50 % rollout of beta-features (sticky on userId).
        var inside: (id: Int, token: String)?, outside: (id: Int, token: String)?
        while inside == nil || outside == nil {
            let u = try user(["premium"])
            if MurmurHash3.normalized("\(u.id)", groupId: "beta-features") <= 50 { inside = inside ?? u } else { outside = outside ?? u }
        }
        hub.inject([arb()])
        let a = try connect(inside!.token), b = try connect(outside!.token)
        XCTAssertNotNil(try subscribe(a, "arb.*.*")["result"])
        XCTAssertNotNil(try subscribe(b, "arb.*.*")["result"], "100 % rollout: both get arbitrage")
        _ = try a.waitFor { $0["ch"] as? String == "arb.deribit.BTC-X" }
        _ = try b.waitFor { $0["ch"] as? String == "arb.deribit.BTC-X" }

        try setFlag(
            "beta-features",
            #"{"enabled":true,"strategies":[{"name":"flexibleRollout","parameters":{"rollout":"50","stickiness":"userId","groupId":"beta-features"}}]}"#)
        let gone = try b.waitFor(timeout: 1, "unsubscribed") { $0["type"] as? String == "unsubscribed" }
        XCTAssertEqual(gone["channel"] as? String, "arb.*.*", "the whole pattern: no arb channel is left to it")
        XCTAssertEqual(gone["reason"] as? String, "feature 'beta-features' changed")
        XCTAssertEqual((try b.waitFor { $0["type"] as? String == "flags" })["flags"] as? [String], ["premium-data"])

        hub.inject([arb()])
        XCTAssertEqual((try a.waitFor { $0["ch"] as? String == "arb.deribit.BTC-X" && $0["snap"] == nil })["ch"] as? String, "arb.deribit.BTC-X")
        // b receives nothing more from arb: a ping answered proves the queue is drained.
        b.send(#"{"id":99,"op":"ping"}"#)
        let rest = try b.waitFor { $0["id"] as? Int == 99 }
        XCTAssertNotNil(rest["result"])
        XCTAssertFalse(b.drain().contains { $0.contains("arb.deribit") })
        XCTAssertEqual((try subscribe(b, "arb.deribit.BTC-X", id: 3)["error"] as? [String: Any])?["code"] as? Int, 1011)

        // Back to 100 %: b's wildcard subscription is gone (it was removed), but a new one works.
        try setFlag("beta-features", #"{"enabled":true,"strategies":[{"name":"default"}]}"#)
        XCTAssertEqual((try b.waitFor { $0["type"] as? String == "flags" })["flags"] as? [String], ["beta-features", "premium-data"])
        XCTAssertNotNil(try subscribe(b, "arb.deribit.BTC-X", id: 4)["result"])
    }

    func testFlagChangesWrittenByAnotherProcessArriveThroughThePoll() throws {
        hub.inject([arb()])
        let c = try connect(try user(["premium"]).token)
        XCTAssertNotNil(try subscribe(c, "arb.deribit.BTC-X")["result"])
        // As another hub or a tool sharing the store would write it.
        try hub.server.store.updateFeature(FeatureFlag(name: "beta-features", enabled: false, strategies: [FlagStrategy(name: "default")]), actor: "cli")
        let gone = try c.waitFor(timeout: 3, "unsubscribed after the poll") { $0["type"] as? String == "unsubscribed" }
        XCTAssertEqual(gone["reason"] as? String, "permissions changed")
        XCTAssertEqual((try c.waitFor { $0["type"] as? String == "flags" })["flags"] as? [String], ["premium-data"])
        XCTAssertEqual(try hub.request("POST", "/api/features", #"{"name":"export","enabled":true}"#).status, 400, "reserved name")
    }
}
