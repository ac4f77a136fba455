import Foundation
import HubCore
import HubTesting
import XCTest

/// Views are held by the subscriptions that use them and forgotten when the last one goes: an
/// anonymous socket subscribing and unsubscribing with ever-different `fields` (each a new view)
/// leaves the hub no larger than the views still in use.
final class ViewLifetimeTests: XCTestCase {
    func testEverDifferentFieldsLeaveOnlyTheViewsInUse() throws {
        let hub = try TestHub { $0.auth.anonymous = true }
        defer { hub.stop() }
        let views = { hub.sync { $0.hub.views.count } }
        XCTAssertEqual(views(), 1, "the full view")
        let c = try TestClient.connect(hub.anonymousURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.HELD","fields":["mid"]}"#)
        XCTAssertNotNil(try c.waitFor { $0["id"] as? Int == 1 }["result"])

        // 2047 distinct non-empty subsets of 11 public properties, each subscribed and dropped.
        let names = [
            "markPrice", "indexPrice", "fundingRate", "funding8h", "settlementPrice", "estimatedDeliveryPrice", "state", "strike", "expiry",
            "optionType", "base",
        ]
        var id = 1
        for subset in 1..<(1 << names.count) {
            let fields = names.indices.filter { subset & (1 << $0) != 0 }.map { "\"\(names[$0])\"" }.joined(separator: ",")
            id += 1
            c.send(#"{"id":\#(id),"op":"subscribe","channel":"ticker.deribit.X\#(subset)","fields":[\#(fields)]}"#)
            id += 1
            c.send(#"{"id":\#(id),"op":"unsubscribe","channel":"ticker.deribit.X\#(subset)"}"#)
        }
        let last = id
        let answer = try c.waitFor(timeout: 30) { $0["id"] as? Int == last }
        XCTAssertNotNil(answer["result"], "\(answer)")
        XCTAssertEqual(views(), 2, "the full view and the held subscription's")
        let performance = try hub.request("GET", "/api/monitoring/performance").object
        XCTAssertEqual(performance["views"] as? Int, 2)
        XCTAssertTrue(try hub.request("GET", "/metrics").text.contains("streamhub_views 2"))

        // The held view still projects: a publication carries mid and nothing else.
        hub.inject([TickFactory.ticker("HELD", bid: 100)])
        let publication = try c.waitFor { $0["ch"] as? String == "ticker.deribit.HELD" && $0["data"] != nil }
        XCTAssertEqual((publication["data"] as? [String: Any])?.keys.sorted(), ["mid"])

        c.close()
        _ = try c.waitClosed()
        try hub.wait("the session gone") { $0.hub.sessionCount == 0 }
        XCTAssertEqual(views(), 1, "only the full view after disconnect")
    }

    func testARoleChangeMovesHeldViewsWithoutLeakingTheOldOnes() throws {
        let hub = try TestHub()
        defer { hub.stop() }
        let user = try hub.createUser(roles: ["premium"])
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(user.token)")
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.*"}"#)
        XCTAssertNotNil(try c.waitFor { $0["id"] as? Int == 1 }["result"])
        XCTAssertEqual(hub.sync { $0.hub.views.count }, 2)
        // viewer instead of premium: the subscription is reprojected, the premium view forgotten.
        for (method, path) in [("POST", "/api/users/\(user.id)/role"), ("DELETE", "/api/users/\(user.id)/roles/premium")] {
            let r = try hub.request(method, path, method == "POST" ? #"{"role":"viewer"}"# : nil)
            XCTAssertLessThan(r.status, 300, r.text)
        }
        XCTAssertEqual(hub.sync { $0.hub.views.count }, 2, "one view per distinct projection in use")
        c.close()
        _ = try c.waitClosed()
        try hub.wait("the session gone") { $0.hub.sessionCount == 0 }
        XCTAssertEqual(hub.sync { $0.hub.views.count }, 1)
    }
}
