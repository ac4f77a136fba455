import Foundation
import HubCore
import HubTesting
import Venues
import XCTest

/// Roles on live WebSockets: what each default role may subscribe to and see, changes applied
/// to connected sessions, token expiry and refresh, the `auth` message and its deadline.
final class RBACTests: XCTestCase {
    var hub: TestHub!
    /// Token lifetimes and deadlines are crossed by moving this clock, not by waiting them out.
    let clock = ManualClock(running: true)

    override func setUpWithError() throws {
        hub = try TestHub(clock: clock) {
            $0.auth.anonymous = true
            $0.auth.expiryWarningSeconds = 60
            $0.auth.authDeadlineSeconds = 0.5
            $0.auth.leewaySeconds = 0  // the expiry test closes at exp itself
        }
    }
    override func tearDown() { hub.stop() }

    static let instrument = "X-PERP"

    /// One event of `stream` on deribit/X-PERP with a bid and an ask (trades: a trade with its sequence).
    func event(_ stream: StreamKind, seq: UInt64 = 1) -> RawEvent {
        if stream == .trades { return TickFactory.trade(Self.instrument, seq: seq) }
        var e = TickFactory.ticker(Self.instrument, bid: 100)
        e.stream = stream
        return e
    }

    /// A user with `roles` and a WebSocket connected with its token.
    func connect(as roles: [String]) throws -> (TestClient, Int) {
        let name = "u\(UUID().uuidString.prefix(8))"
        let body = String(decoding: try JSONSerialization.data(withJSONObject: ["username": name, "roles": roles]), as: UTF8.self)
        let r = try hub.request("POST", "/api/users", body)
        XCTAssertEqual(r.status, 201, r.text)
        let id = try XCTUnwrap(((r.json as? [String: Any])?["user"] as? [String: Any])?["id"] as? Int)
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws", headers: [("Authorization", "Bearer \(try hub.token(subject: "\(id)"))")])
        return (c, id)
    }

    /// Subscribes and returns the reply (a result or an error).
    func subscribe(_ c: TestClient, _ channel: String, id: Int = 1) throws -> [String: Any] {
        c.send(#"{"id":\#(id),"op":"subscribe","channel":"\#(channel)"}"#)
        return try c.waitFor("reply \(id)") { $0["id"] as? Int == id }
    }

    func testDefaultRoleMatrixOverChannelKindsAndPropertyTiers() throws {
        hub.inject([event(.ticker), event(.book), event(.arb), event(.trades, seq: 1)])
        let allowed: [String: Set<StreamKind>] = [
            "anonymous": [.ticker], "viewer": [.ticker, .book, .trades], "trader": [.ticker, .book, .trades],
            "premium": [.ticker, .book, .trades, .arb], "analyst": [.ticker, .book, .trades, .arb], "admin": [.ticker, .book, .trades, .arb],
        ]
        let seesPremium: Set<String> = ["premium", "analyst", "admin"]
        let seesInternal: Set<String> = ["analyst", "admin"]
        var seq: UInt64 = 1
        for role in ["anonymous", "viewer", "trader", "premium", "analyst", "admin"] {
            let c = role == "anonymous" ? try TestClient.connect(hub.anonymousURL) : try connect(as: [role]).0
            defer { c.close() }
            for (i, kind) in [StreamKind.ticker, .book, .trades, .arb].enumerated() {
                let reply = try subscribe(c, "\(kind.rawValue).deribit.\(Self.instrument)", id: i + 1)
                let ok = allowed[role]!.contains(kind)
                if ok {
                    XCTAssertNotNil(reply["result"], "\(role) may subscribe to \(kind): \(reply)")
                } else {
                    XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? Int, 1011, "\(role) must not get \(kind): \(reply)")
                }
                guard ok else { continue }
                if kind == .ticker {
                    let snap = try c.waitFor("ticker snapshot") { $0["snap"] as? Bool == true }
                    let data = try XCTUnwrap(snap["data"] as? [String: Any])
                    XCTAssertNotNil(data["bid"], role)
                    XCTAssertEqual(data["microprice"] != nil, seesPremium.contains(role), "\(role): premium property microprice")
                }
                if kind == .trades {
                    seq += 1
                    hub.inject([event(.trades, seq: seq)])
                    let trade = try c.waitFor("a trade") { ($0["ch"] as? String)?.hasPrefix("trades.") == true && $0["snap"] == nil }
                    let data = try XCTUnwrap(trade["data"] as? [String: Any])
                    XCTAssertNotNil(data["price"], role)
                    XCTAssertEqual(data["tradeSeq"] != nil, seesInternal.contains(role), "\(role): internal property tradeSeq")
                }
            }
            // A wildcard takes only the channels the role allows, silently.
            c.send(#"{"id":50,"op":"subscribe","channel":"*.deribit.\#(Self.instrument)","fields":["bid"]}"#)
            let reply = try c.waitFor("wildcard reply") { $0["id"] as? Int == 50 }
            if role == "anonymous" {
                XCTAssertNotNil(reply["result"], "anonymous may ask: the pattern overlaps ticker")
            }
            let kinds = Set(
                ((reply["result"] as? [String: Any])?["channels"] as? [[String: Any]] ?? []).compactMap {
                    ($0["ch"] as? String)?.split(separator: ".").first.map(String.init)
                })
            XCTAssertTrue(kinds.isSubset(of: Set(allowed[role]!.map(\.rawValue))), "\(role) wildcard got \(kinds)")
        }
    }

    func testFieldsOutsideTheRoleAreRefused() throws {
        hub.inject([event(.ticker)])
        let (c, _) = try connect(as: ["viewer"])
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.X-PERP","fields":["bid","microprice"]}"#)
        let reply = try c.waitFor { $0["id"] as? Int == 1 }
        XCTAssertEqual((reply["error"] as? [String: Any])?["code"] as? Int, 1011)
        XCTAssertTrue(((reply["error"] as? [String: Any])?["message"] as? String ?? "").contains("microprice"))
        // State over REST is filtered the same way.
        let users = try hub.request("GET", "/api/users").json as? [String: Any]
        let viewerID = try XCTUnwrap((users?["users"] as? [[String: Any]])?.first { ($0["roles"] as? [String]) == ["viewer"] }?["id"] as? Int)
        let state = try hub.request("GET", "/api/state/ticker.deribit.X-PERP", token: try hub.token(subject: "\(viewerID)"))
        XCTAssertEqual(state.status, 200)
        let data = try XCTUnwrap((state.json as? [String: Any])?["data"] as? [String: Any])
        XCTAssertNotNil(data["bid"])
        XCTAssertNil(data["microprice"], "premium property hidden from a viewer over REST too")
        hub.inject([event(.arb)])
        XCTAssertEqual(try hub.request("GET", "/api/state/arb.deribit.X-PERP", token: try hub.token(subject: "\(viewerID)")).status, 404)
        XCTAssertEqual(try hub.request("GET", "/api/state/arb.deribit.X-PERP").status, 200, "the admin sees it")
    }

    func testRoleChangesReachConnectedSessionsBeforeTheAnswer() throws {
        hub.inject([event(.ticker), event(.arb)])
        let (c, id) = try connect(as: ["premium"])
        XCTAssertNotNil(try subscribe(c, "ticker.deribit.X-PERP", id: 1)["result"])
        XCTAssertNotNil(try subscribe(c, "arb.deribit.*", id: 2)["result"])
        _ = c.drain()
        // A live publication first: the fan-out makes the subscription's projection plan for
        // this layout and view; the same layout after the change must not reuse it.
        hub.inject([event(.ticker)])
        let before = try c.waitFor("ticker before the change") { $0["ch"] as? String == "ticker.deribit.X-PERP" }
        XCTAssertNotNil((before["data"] as? [String: Any])?["microprice"], "premium sees microprice")

        // Premium → viewer: arb goes (with a reason), microprice disappears from the ticker.
        XCTAssertEqual(try hub.request("POST", "/api/users/\(id)/role", #"{"role":"viewer"}"#).status, 200)
        let started = Date()
        let r = try hub.request("DELETE", "/api/users/\(id)/roles/premium")
        XCTAssertEqual(r.status, 200)
        // Re-evaluation happens before the REST answer is written, so the push is already out.
        let pushed = try c.waitFor(timeout: 1, "unsubscribed push") { $0["type"] as? String == "unsubscribed" }
        print("role removal → unsubscribed push: \(Int(Date().timeIntervalSince(started) * 1000)) ms (REST round trip included)")
        XCTAssertEqual(pushed["channel"] as? String, "arb.deribit.*")
        XCTAssertEqual(pushed["reason"] as? String, "role 'premium' removed")
        let perms = try c.waitFor(timeout: 1, "permissions push") { $0["type"] as? String == "permissions" }
        XCTAssertEqual(perms["roles"] as? [String], ["viewer"])
        hub.inject([event(.ticker)])
        let tick = try c.waitFor("next ticker") { $0["ch"] as? String == "ticker.deribit.X-PERP" }
        XCTAssertNil((tick["data"] as? [String: Any])?["microprice"], "view recompiled")
        XCTAssertNotNil((tick["data"] as? [String: Any])?["bid"])

        // Editing the viewer role to drop tickers ends that subscription too.
        let edit = try hub.request("PUT", "/api/roles/viewer", #"{"description":"no tickers","grants":{"channels":[{"allow":"book.*.*"}],"tiers":["public"]}}"#)
        XCTAssertEqual(edit.status, 200, edit.text)
        let gone = try c.waitFor(timeout: 1, "ticker unsubscribed") { $0["type"] as? String == "unsubscribed" }
        XCTAssertEqual(gone["channel"] as? String, "ticker.deribit.X-PERP")
        XCTAssertEqual(gone["reason"] as? String, "role 'viewer' changed")

        // Disabling the user disconnects it with 4003.
        XCTAssertEqual(try hub.request("PUT", "/api/users/\(id)", #"{"disabled":true}"#).status, 200)
        XCTAssertEqual(try c.waitClosed(timeout: 2).code, 4003)
    }

    func testChangesMadeByAnotherProcessArriveThroughTheAuditLogPoll() throws {
        hub.inject([event(.arb)])
        let (c, id) = try connect(as: ["premium"])
        XCTAssertNotNil(try subscribe(c, "arb.deribit.X-PERP")["result"])
        // Written straight to the store, as `streamhub users role … --remove` does.
        _ = try hub.server.store.removeRole(userID: Int64(id), role: "premium", actor: "cli")
        let pushed = try c.waitFor(timeout: 3, "unsubscribed after the poll") { $0["type"] as? String == "unsubscribed" }
        XCTAssertEqual(pushed["reason"] as? String, "permissions changed")
    }

    func testExpiringPushRefreshAndExpiryClose() throws {
        let admin = try XCTUnwrap(try hub.server.store.user(named: "admin"))
        let short = try hub.token(subject: "\(admin.id)", lifetime: 600)
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(short)")
        let lapsing = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(short)")
        c.send(#"{"id":8,"op":"ping"}"#)
        _ = try c.waitFor { $0["id"] as? Int == 8 }
        XCTAssertFalse(c.drain().contains { $0.contains("expiring") }, "ten minutes left: no warning yet")
        // Nine and a half minutes pass: the next sweep finds the token inside the warning window.
        clock.advance(by: 570)
        let warn = try c.waitFor(timeout: 3, "expiring push") { $0["type"] as? String == "expiring" }
        XCTAssertLessThanOrEqual(warn["inSeconds"] as? Int ?? 99, 31)
        c.send(#"{"id":9,"op":"refresh","token":"\#(try hub.token(subject: "\(admin.id)", lifetime: 600))"}"#)
        let reply = try c.waitFor { $0["id"] as? Int == 9 }
        XCTAssertEqual((reply["result"] as? [String: Any])?["subject"] as? String, "\(admin.id)")
        // Refreshing as someone else is refused.
        let other = try hub.request("POST", "/api/users", #"{"username":"mallory"}"#)
        let otherID = ((other.json as? [String: Any])?["user"] as? [String: Any])?["id"] as? Int ?? 0
        c.send(#"{"id":10,"op":"refresh","token":"\#(try hub.token(subject: "\(otherID)"))"}"#)
        XCTAssertEqual(((try c.waitFor { $0["id"] as? Int == 10 })["error"] as? [String: Any])?["code"] as? Int, 1011)

        // Past `exp` (leeway 0): the session that did not refresh is closed at the next sweep.
        clock.advance(by: 60)
        XCTAssertEqual(try lapsing.waitClosed(timeout: 3).code, 4004, "no refresh: closed when the token runs out")
        c.send(#"{"id":11,"op":"ping"}"#)
        XCTAssertNotNil(try c.waitFor { $0["id"] as? Int == 11 }["result"], "the refreshed session lives on")
    }

    func testAuthMessageDeadlineAndHandshakeTokens() throws {
        // Anonymous sessions may upgrade with `auth`.
        let c = try TestClient.connect(hub.anonymousURL)
        XCTAssertEqual((try subscribe(c, "book.deribit.X-PERP")["error"] as? [String: Any])?["code"] as? Int, 1011)
        let admin = try XCTUnwrap(try hub.server.store.user(named: "admin"))
        c.send(#"{"id":2,"op":"auth","token":"\#(hub.adminToken)"}"#)
        let who = try c.waitFor { $0["id"] as? Int == 2 }
        XCTAssertEqual((who["result"] as? [String: Any])?["subject"] as? String, "\(admin.id)")
        XCTAssertEqual((who["result"] as? [String: Any])?["roles"] as? [String], ["admin"])
        XCTAssertNotNil(try subscribe(c, "book.deribit.X-PERP", id: 3)["result"])
        c.send(#"{"id":4,"op":"auth","token":"not.a.token"}"#)
        XCTAssertEqual(((try c.waitFor { $0["id"] as? Int == 4 })["error"] as? [String: Any])?["code"] as? Int, 1010)

        // Bad handshake tokens close the connection: 4001 invalid, 4004 expired.
        let forged = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(hub.adminToken.dropLast(4))AAAA")
        XCTAssertEqual(try forged.waitClosed().code, 4001)
        let expired = try TestClient.connect(
            "ws://127.0.0.1:\(hub.port)/ws", headers: [("Authorization", "Bearer \(try hub.token(subject: "\(admin.id)", lifetime: -120))")])
        XCTAssertEqual(try expired.waitClosed().code, 4004)
        // A long header (identity providers' tokens can be kilobytes) is read whole, never dropped
        // into an anonymous session.
        let long = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws", headers: [("Authorization", "Bearer " + String(repeating: "a", count: 6000))])
        XCTAssertEqual(try long.waitClosed().code, 4001)
    }

    func testWithoutAnonymousAccessATokenlessConnectionMustAuthenticateInTime() throws {
        let strictClock = ManualClock(running: true)
        let strict = try TestHub(clock: strictClock) { $0.auth.authDeadlineSeconds = 300 }
        defer { strict.stop() }
        let c = try TestClient.connect(strict.anonymousURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.X"}"#)
        XCTAssertEqual(((try c.waitFor { $0["id"] as? Int == 1 })["error"] as? [String: Any])?["code"] as? Int, 1010)
        c.send(#"{"id":2,"op":"ping"}"#)
        XCTAssertNotNil(try c.waitFor { $0["id"] as? Int == 2 }["result"], "ping works before auth")
        // Five minutes pass without `auth`: closed at the next sweep.
        strictClock.advance(by: 301)
        XCTAssertEqual(try c.waitClosed(timeout: 3).code, 4001, "no auth within the deadline")
    }

    func testAnAnonymousCallerLearnsItsRoleAndScopesFromAuthMe() throws {
        // The console shows anonymous visitors the pages the anonymous role allows, as the hub has it now.
        let me = try XCTUnwrap(try hub.request("GET", "/api/auth/me", token: nil).json as? [String: Any])
        XCTAssertEqual(me["roles"] as? [String], ["anonymous"])
        XCTAssertEqual(me["scopes"] as? [String], ["properties:read", "streams:read"])
        XCTAssertNil(me["expiresAt"])
        var anonymous = try XCTUnwrap(try hub.request("GET", "/api/roles/anonymous").object["role"] as? [String: Any])
        anonymous["grants"] = ["scopes": ["state:read"]]
        XCTAssertEqual(
            try hub.request("PUT", "/api/roles/anonymous", String(decoding: try JSONSerialization.data(withJSONObject: anonymous), as: UTF8.self)).status, 200)
        XCTAssertEqual(try hub.request("GET", "/api/auth/me", token: nil).object["scopes"] as? [String], ["state:read"])

        let strict = try TestHub()
        defer { strict.stop() }
        XCTAssertEqual(try strict.request("GET", "/api/auth/me", token: nil).status, 401, "no anonymous role on this hub")
    }
}
