import Foundation
import HubCache
import HubCore
import HubTesting
import XCTest

/// The publish API against a live hub: `POST /api/publish` and the `publish` op put messages
/// into channels like venue data (offsets, history in Redis, recovery, views, grants), only where
/// a role grants it, validated property by property, rate-limited per caller.
final class PublishTests: XCTestCase {
    var hub: TestHub!
    var redis: TestRedis!

    override func setUpWithError() throws {
        redis = try TestRedis()
        hub = try TestHub {
            $0.redis.url = self.redis.url
            $0.publish.burst = 5
            $0.publish.ratePerSecond = 1
        }
    }

    override func tearDown() {
        hub.stop()
        redis.shutdown()
    }

    func json(_ r: HTTPTestClient.Response) -> [String: Any] { r.object }

    func testAnAdminPublishesAnAnnouncementThatReachesReadersLikeVenueData() throws {
        let (_, viewer) = try hub.createUser(roles: ["viewer"])
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(viewer)")
        c.send(#"{"id":1,"op":"subscribe","channel":"announcements.*.*","fields":["headline","severity"]}"#)
        XCTAssertNotNil(try c.nextJSON()["result"])

        let body =
            #"{"channel":"announcements.desk.btc","data":{"headline":"BTC options expiry moved","severity":"warning","body":"See the venue notice.","link":"https://example.com/n/1"}}"#
        let r = try hub.request("POST", "/api/publish", body)
        XCTAssertEqual(r.status, 201, r.text)
        XCTAssertEqual(json(r)["channel"] as? String, "announcements.desk.btc")
        XCTAssertEqual(json(r)["offset"] as? Int, 1)
        let epoch = try XCTUnwrap(json(r)["epoch"] as? String)

        XCTAssertEqual(try c.nextJSON()["type"] as? String, "channel", "the new channel joins the pattern")
        let m = try c.nextJSON()
        XCTAssertEqual(m["ch"] as? String, "announcements.desk.btc")
        XCTAssertEqual(m["off"] as? Int, 1)
        XCTAssertEqual(m["data"] as? [String: String], ["headline": "BTC options expiry moved", "severity": "warning"], "the subscription's view")

        // Into history like any event channel: Redis holds it and a late reader recovers it.
        XCTAssertEqual(try hub.request("POST", "/api/publish", #"{"channel":"announcements.desk.btc","data":{"headline":"second"}}"#).status, 201)
        let store = try XCTUnwrap(hub.server.history as? RedisHistoryStore)
        XCTAssertTrue(store.waitUntilFlushed(timeout: 10))
        XCTAssertEqual(try redis.client().command(["XLEN", "streamhub:history:announcements.desk.btc"]), .integer(2))
        let late = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(viewer)")
        late.send(#"{"id":2,"op":"subscribe","channel":"announcements.desk.btc","since":{"epoch":"\#(epoch)","offset":0}}"#)
        XCTAssertEqual(((try late.nextJSON())["result"] as? [String: Any])?["recovered"] as? Bool, true)
        XCTAssertEqual(try late.nextJSON()["off"] as? Int, 1)
        XCTAssertEqual(((try late.nextJSON())["data"] as? [String: Any])?["headline"] as? String, "second")

        // A role without the channel never sees it.
        let (_, anonymousLike) = try hub.createUser(roles: ["anonymous"])
        let outsider = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(anonymousLike)")
        outsider.send(#"{"id":3,"op":"subscribe","channel":"announcements.desk.btc"}"#)
        XCTAssertEqual(((try outsider.nextJSON())["error"] as? [String: Any])?["code"] as? Int, 1011)
    }

    func testBadBodiesAreRefusedNamingTheFieldAndChangeNothing() throws {
        func refused(_ body: String, _ status: Int, _ field: String?, _ what: String) throws {
            let r = try hub.request("POST", "/api/publish", body)
            XCTAssertEqual(r.status, status, "\(what): \(r.text)")
            let error = json(r)["error"] as? [String: Any]
            XCTAssertEqual(error?["field"] as? String, field, "\(what): \(r.text)")
        }
        try refused(#"{"data":{"headline":"x"}}"#, 400, "channel", "no channel")
        try refused(#"{"channel":"announcements.desk.*","data":{"headline":"x"}}"#, 400, "channel", "a pattern")
        try refused(#"{"channel":"news.desk.x","data":{"headline":"x"}}"#, 400, "channel", "an unknown stream")
        try refused(#"{"channel":"announcements.desk.x","data":[]}"#, 400, "data", "data not an object")
        try refused(#"{"channel":"announcements.desk.x","data":{}}"#, 400, "data", "no property")
        try refused(#"{"channel":"announcements.desk.x","data":{"headline":null}}"#, 400, "data.headline", "null")
        try refused(#"{"channel":"announcements.desk.x","data":{"colour":"red"}}"#, 422, "data.colour", "unregistered")
        try refused(#"{"channel":"announcements.desk.x","data":{"severity":"apocalyptic"}}"#, 422, "data.severity", "not in the enum")
        try refused(#"{"channel":"announcements.desk.x","data":{"link":"javascript:alert(1)"}}"#, 422, "data.link", "pattern")
        try refused(#"{"channel":"ticker.deribit.X","data":{"bid":1}}"#, 403, "channel", "admin may not publish prices")
        let big = String(repeating: "x", count: 70_000)
        try refused(#"{"channel":"announcements.desk.x","data":{"body":"\#(big)"}}"#, 413, "data", "over publish.maxBytes")
        XCTAssertEqual(try hub.request("POST", "/api/publish", "not json").status, 400)
        XCTAssertNil(hub.sync { $0.hub.channel(named: "announcements.desk.x") }, "nothing was published")
        let serve = try XCTUnwrap(try hub.health()["serve"] as? [String: Any])
        XCTAssertEqual(serve["publishRefused"] as? Int, 12, "each refusal counted")
        XCTAssertEqual(serve["published"] as? Int, 0)
        // Without publish:write (a viewer): 403 before anything is read.
        let (_, viewer) = try hub.createUser(roles: ["viewer"])
        XCTAssertEqual(try hub.request("POST", "/api/publish", #"{"channel":"announcements.desk.x","data":{"headline":"x"}}"#, token: viewer).status, 403)
    }

    func testTheOpPublishesForARoleGrantedItAndTheRateLimitHolds() throws {
        let role =
            #"{"id":"desk","grants":{"channels":[{"allow":"announcements.desk.*"}],"tiers":["public"],"scopes":["publish:write"],"publish":["announcements.desk.*"]}}"#
        XCTAssertEqual(try hub.request("POST", "/api/roles", role).status, 201)
        let (_, token) = try hub.createUser(roles: ["desk"])
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(token)")
        c.send(#"{"id":1,"op":"subscribe","channel":"announcements.desk.fx"}"#)
        XCTAssertNotNil(try c.nextJSON()["result"])
        c.send(#"{"id":2,"op":"publish","channel":"announcements.desk.fx","data":{"headline":"EUR fixing late","author":"desk 3"}}"#)
        let reply = try c.waitFor { $0["id"] as? Int == 2 }
        XCTAssertEqual((reply["result"] as? [String: Any])?["offset"] as? Int, 1, "\(reply)")
        let m = try c.waitFor { $0["ch"] as? String == "announcements.desk.fx" }
        XCTAssertEqual((m["data"] as? [String: Any])?["author"] as? String, "desk 3")

        c.send(#"{"id":3,"op":"publish","channel":"announcements.other.fx","data":{"headline":"x"}}"#)
        XCTAssertEqual(((try c.waitFor { $0["id"] as? Int == 3 })["error"] as? [String: Any])?["code"] as? Int, 1011, "outside the role's publish grant")
        c.send(#"{"id":4,"op":"publish","channel":"announcements.desk.fx","data":{"severity":"meh"}}"#)
        XCTAssertEqual(((try c.waitFor { $0["id"] as? Int == 4 })["error"] as? [String: Any])?["code"] as? Int, 1000)

        // Burst 5 at 1/s: of ten at once, the attempts beyond the bucket are refused with 1012.
        for i in 10..<20 { c.send(#"{"id":\#(i),"op":"publish","channel":"announcements.desk.fx","data":{"headline":"n\#(i)"}}"#) }
        var limited = 0
        for i in 10..<20 {
            let r = try c.waitFor { $0["id"] as? Int == i }
            if ((r["error"] as? [String: Any])?["code"] as? Int) == 1012 { limited += 1 }
        }
        XCTAssertGreaterThanOrEqual(limited, 7, "five tokens, three spent above: at most two more pass")
        // The REST route shares the caller's bucket: 429 with Retry-After.
        let r = try hub.request("POST", "/api/publish", #"{"channel":"announcements.desk.fx","data":{"headline":"x"}}"#, token: token)
        XCTAssertEqual(r.status, 429, r.text)
        XCTAssertNotNil(r.headers["retry-after"] ?? r.headers["Retry-After"])
    }

    func testNobodyGrantsAPublishRightTheyDoNotHold() throws {
        let maker = #"{"id":"rolemaker","grants":{"scopes":["roles:read","roles:write","publish:write"],"publish":["announcements.desk.*"]}}"#
        XCTAssertEqual(try hub.request("POST", "/api/roles", maker).status, 201)
        let (_, token) = try hub.createUser(roles: ["rolemaker"])
        let wider = try hub.request("POST", "/api/roles", #"{"id":"wider","grants":{"publish":["announcements.*.*"]}}"#, token: token)
        XCTAssertEqual(wider.status, 403, wider.text)
        XCTAssertTrue(wider.text.contains("publish announcements.*.*"), wider.text)
        let narrower = try hub.request("POST", "/api/roles", #"{"id":"narrower","grants":{"publish":["announcements.desk.fx"]}}"#, token: token)
        XCTAssertEqual(narrower.status, 201, narrower.text)
        let bad = try hub.request("POST", "/api/roles", #"{"id":"broken","grants":{"publish":["announcements..x"]}}"#)
        XCTAssertEqual(bad.status, 400, bad.text)
        XCTAssertEqual((json(bad)["error"] as? [String: Any])?["field"] as? String, "grants.publish[0]")
    }
}
