import Foundation
import HubCore
import HubTesting
import XCTest

/// Usage analytics seen from outside: real WebSocket sessions and REST calls, then
/// `GET /api/analytics/usage` by channel, property, user and route, with filters and errors.
final class UsageAnalyticsTests: XCTestCase {
    var hub: TestHub!
    let clock = ManualClock(running: true)

    override func setUpWithError() throws {
        hub = try TestHub(clock: clock) { $0.auth.anonymous = true }
    }
    override func tearDown() { hub.stop() }

    /// A user with `roles`: its id and a token.
    func user(_ name: String, roles: [String]) throws -> (id: Int, token: String) { try hub.createUser(name, roles: roles) }

    func usage(_ query: String, token: String) throws -> [String: Any] {
        let r = try hub.request("GET", "/api/analytics/usage?\(query)", token: token)
        XCTAssertEqual(r.status, 200, r.text)
        return try XCTUnwrap(r.json as? [String: Any])
    }

    func top(_ answer: [String: Any]) -> [[String: Any]] { answer["top"] as? [[String: Any]] ?? [] }
    func counters(_ entry: [String: Any]?) -> [String: Any] { entry?["counters"] as? [String: Any] ?? [:] }

    func testSessionsChannelsPropertiesAndRoutesAreCountedAndQueried() throws {
        let pat = try user("pat", roles: ["premium"])
        let ana = try user("ana", roles: ["analyst"])
        hub.inject([TickFactory.ticker("X-PERP", bid: 99, ask: 101)])

        let premium = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(pat.token)")
        let anonymous = try TestClient.connect(hub.anonymousURL)
        premium.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.X-PERP","fields":["bid","ask"]}"#)
        anonymous.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.X-PERP"}"#)
        for c in [premium, anonymous] { _ = try c.waitFor { $0["id"] as? Int == 1 } }
        hub.inject((1...5).map { TickFactory.ticker("X-PERP", bid: 100 + Double($0), ask: 200) })
        for c in [premium, anonymous] {
            for i in 1...5 { _ = try c.waitFor("publication \(i)") { ($0["data"] as? [String: Any])?["bid"] as? Double == 100 + Double(i) } }
        }
        clock.advance(by: 30)
        anonymous.close()
        try hub.wait("the anonymous session is gone") { $0.hub.sessionCount == 1 }
        XCTAssertEqual(try hub.request("GET", "/api/streams", token: pat.token).status, 200)
        XCTAssertEqual(try hub.request("GET", "/api/streams", token: pat.token).status, 200)
        XCTAssertEqual(try hub.request("GET", "/api/nothing-here", token: pat.token).status, 404)

        // Channels: both sessions' deliveries, kept after the anonymous one left.
        let channels = try usage("by=channel&window=1h", token: ana.token)
        XCTAssertEqual(channels["bucket"] as? String, "minute")
        let channel = top(channels).first
        XCTAssertEqual(channel?["key"] as? String, "ticker.deribit.X-PERP")
        XCTAssertEqual(channel?["users"] as? Int, 2)
        XCTAssertEqual(counters(channel)["messages"] as? Int, 10)
        XCTAssertEqual(counters(channel)["subscriptions"] as? Int, 2)
        XCTAssertGreaterThan(counters(channel)["bytes"] as? Int ?? 0, 500)
        XCTAssertEqual((channels["totals"] as? [String: Any])?["messages"] as? Int, 10)
        XCTAssertFalse((channels["trend"] as? [[String: Any]] ?? []).isEmpty)
        XCTAssertEqual(counters(top(try usage("by=channel&window=24h&user=pat", token: ana.token)).first)["messages"] as? Int, 5, "pat's own")
        XCTAssertEqual(counters(top(try usage("by=channel&window=7d&role=anonymous", token: ana.token)).first)["messages"] as? Int, 5)
        XCTAssertEqual(counters(top(try usage("by=channel&window=30d", token: ana.token)).first)["messages"] as? Int, 10, "day buckets too")

        // Properties: by role, only what each view delivered.
        let props = try usage("by=property&window=1h&role=premium", token: ana.token)
        XCTAssertEqual(top(props).map { $0["key"] as? String }, ["ask", "bid"], "pat asked for bid and ask")
        XCTAssertEqual(top(props).map { counters($0)["messages"] as? Int }, [5, 5])
        let anonymousProps = try usage("by=property&window=1h&role=anonymous", token: ana.token)
        XCTAssertTrue(Set(top(anonymousProps).compactMap { $0["key"] as? String }).isSuperset(of: ["bid", "ask"]))

        // Users: sessions, connect time, subscriptions, messages, calls, names.
        let users = top(try usage("by=user&window=1h", token: ana.token))
        let patRow = users.first { $0["key"] as? String == "user:\(pat.id)" }
        XCTAssertEqual(patRow?["username"] as? String, "pat")
        XCTAssertEqual(counters(patRow)["sessions"] as? Int, 1)
        XCTAssertEqual(counters(patRow)["subscriptions"] as? Int, 1)
        XCTAssertEqual(counters(patRow)["messages"] as? Int, 5)
        XCTAssertEqual(counters(patRow)["calls"] as? Int, 2, "the unmatched path never reached an access check: not pat's")
        XCTAssertNotNil(counters(patRow)["lastSeen"])
        let anonymousRow = users.first { $0["key"] as? String == "anonymous" }
        XCTAssertGreaterThanOrEqual(counters(anonymousRow)["connectSeconds"] as? Double ?? 0, 30, "the manual clock moved 30 s while connected")

        // Routes: by pattern, status classes, latency; unmatched paths as `other`.
        let routes = top(try usage("by=route&window=1h&user=pat", token: ana.token))
        let streams = routes.first { $0["key"] as? String == "GET /api/streams" }
        XCTAssertEqual(counters(streams)["calls"] as? Int, 2)
        XCTAssertEqual((counters(streams)["callsByStatus"] as? [String: Int])?["2xx"], 2)
        XCTAssertNotNil(counters(streams)["meanLatencyMs"])
        let unmatched = top(try usage("by=route&window=1h&user=unauthenticated", token: ana.token)).first { $0["key"] as? String == "GET other" }
        XCTAssertEqual((counters(unmatched)["callsByStatus"] as? [String: Int])?["4xx"], 1)
    }

    func testASessionThatChangesIdentityIsCountedUnderEachInTurn() throws {
        let pat = try user("pat", roles: ["premium"])
        let ana = try user("ana", roles: ["analyst"])
        hub.inject([TickFactory.ticker("X-PERP", bid: 1)])
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(pat.token)")
        defer { c.close() }
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.X-PERP"}"#)
        _ = try c.waitFor { $0["id"] as? Int == 1 }
        func deliver(_ bids: ClosedRange<Int>) throws {
            hub.inject(bids.map { TickFactory.ticker("X-PERP", bid: Double($0)) })
            for b in bids { _ = try c.waitFor("bid \(b)") { ($0["data"] as? [String: Any])?["bid"] as? Double == Double(b) } }
        }
        try deliver(10...11)
        c.send(#"{"id":2,"op":"auth","token":"\#(ana.token)"}"#)
        _ = try c.waitFor { $0["id"] as? Int == 2 }
        try deliver(20...22)

        let users = top(try usage("by=user&window=1h", token: ana.token))
        func row(_ id: Int) -> [String: Any] { counters(users.first { $0["key"] as? String == "user:\(id)" }) }
        XCTAssertEqual(row(pat.id)["messages"] as? Int, 2, "before the auth")
        XCTAssertEqual(row(ana.id)["messages"] as? Int, 3, "after it")
        XCTAssertEqual(row(pat.id)["sessions"] as? Int, 1)
        XCTAssertEqual(row(ana.id)["sessions"] as? Int, 1)
        let byRole = try usage("by=channel&window=1h&role=analyst", token: ana.token)
        XCTAssertEqual(counters(top(byRole).first)["messages"] as? Int, 3)
    }

    func testAccessAndBadQueries() throws {
        let pat = try user("pat", roles: ["premium"])
        let ana = try user("ana", roles: ["analyst"])
        XCTAssertEqual(try hub.request("GET", "/api/analytics/usage?by=channel", token: pat.token).status, 403, "premium has no analytics:read")
        XCTAssertEqual(try hub.request("GET", "/api/analytics/usage?by=channel", token: nil).status, 401, "a scope route needs a token")
        for (query, field) in [
            ("window=1h", "by"), ("by=planet", "by"), ("by=channel&window=2h", "window"), ("by=channel&top=0", "top"), ("by=channel&top=5000", "top"),
            ("by=property&user=pat", "user"), ("by=channel&role=a,b", "role"),
        ] {
            let r = try hub.request("GET", "/api/analytics/usage?\(query)", token: ana.token)
            XCTAssertEqual(r.status, 400, query)
            XCTAssertEqual(((r.json as? [String: Any])?["error"] as? [String: Any])?["field"] as? String, field, query)
        }
        let ghost = try hub.request("GET", "/api/analytics/usage?by=user&user=ghost", token: ana.token)
        XCTAssertEqual(ghost.status, 404)
        XCTAssertEqual(((ghost.json as? [String: Any])?["error"] as? [String: Any])?["field"] as? String, "user")
    }

    func testTrackingOffCountsNothing() throws {
        let off = try TestHub { $0.usage.enabled = false }
        defer { off.stop() }
        let c = try TestClient.connect(off.wsURL)
        defer { c.close() }
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.X-PERP"}"#)
        _ = try c.waitFor { $0["id"] as? Int == 1 }
        off.inject([TickFactory.ticker("X-PERP", bid: 1)])
        _ = try c.waitFor { $0["ch"] as? String == "ticker.deribit.X-PERP" }
        let r = try off.request("GET", "/api/analytics/usage?by=channel&window=1h")
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual((r.json as? [String: Any])?["keys"] as? Int, 0)
    }
}
