import Foundation
import HubCore
import HubTesting
import XCTest

/// Per-subscriber filters on live WebSockets: only passing publications arrive — live, in
/// snapshots and in recoveries — filters apply before `fields`, name only visible properties,
/// end with a role change that hides what they read, and are compiled once per distinct filter.
final class FilterTests: XCTestCase {
    var hub: TestHub!

    override func setUpWithError() throws { hub = try TestHub { $0.auth.anonymous = true } }
    override func tearDown() { hub.stop() }

    static let bidAbove100 = #"{"property":"bid","op":">","value":100}"#

    func testOnlyPassingPublicationsArriveLiveInSnapshotsAndInRecovery() throws {
        hub.inject([TickFactory.ticker("A", bid: 90), TickFactory.ticker("B", bid: 110)])
        let c = try TestClient.connect(hub.wsURL)
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.*","fields":["ask"],"filter":\#(Self.bidAbove100)}"#)
        let reply = try c.nextJSON()
        let joined = ((reply["result"] as? [String: Any])?["channels"] as? [[String: Any]] ?? []).compactMap { $0["ch"] as? String }
        XCTAssertEqual(Set(joined), ["ticker.deribit.A", "ticker.deribit.B"], "both channels are joined; the filter picks publications")
        let snap = try c.nextJSON()
        XCTAssertEqual(snap["ch"] as? String, "ticker.deribit.B", "only B's state passes")
        XCTAssertEqual(snap["snap"] as? Bool, true)
        XCTAssertEqual((snap["data"] as? [String: Any]).map { Array($0.keys) }, ["ask"], "fields apply after the filter")

        hub.inject([TickFactory.ticker("A", bid: 120), TickFactory.ticker("B", bid: 95), TickFactory.ticker("A", bid: 80), TickFactory.ticker("B", bid: 101)])
        c.send(#"{"id":2,"op":"ping"}"#)
        var delivered: [String] = []
        while true {
            let m = try c.nextJSON()
            if m["id"] as? Int == 2 { break }
            delivered.append("\(m["ch"] as? String ?? "?")@\(m["off"] as? Int ?? -1)")
        }
        XCTAssertEqual(delivered, ["ticker.deribit.A@2", "ticker.deribit.B@3"], "A at 120 and B at 101 pass; offsets keep counting")

        // Recovery from the ring goes through the same filter.
        let epoch = try XCTUnwrap(hub.sync { $0.hub.channel(named: "ticker.deribit.A")?.epoch })
        let r = try TestClient.connect(hub.wsURL)
        r.send(#"{"id":3,"op":"subscribe","channel":"ticker.deribit.A","since":{"epoch":"\#(epoch)","offset":0},"filter":\#(Self.bidAbove100)}"#)
        XCTAssertEqual(((try r.nextJSON())["result"] as? [String: Any])?["recovered"] as? Bool, true)
        r.send(#"{"id":4,"op":"ping"}"#)
        var recovered: [Int] = []
        while true {
            let m = try r.nextJSON()
            if m["id"] as? Int == 4 { break }
            if let off = m["off"] as? Int { recovered.append(off) }
        }
        XCTAssertEqual(recovered, [2], "offsets 1 (90) and 3 (80) are filtered out")
    }

    func testAFilterNamesOnlyPropertiesTheRolesLetThrough() throws {
        hub.inject([TickFactory.ticker("A", bid: 90)])
        let anon = try TestClient.connect(hub.anonymousURL)
        func code(_ filter: String, id: Int) throws -> Int? {
            anon.send(#"{"id":\#(id),"op":"subscribe","channel":"ticker.deribit.A","filter":\#(filter)}"#)
            return ((try anon.waitFor { $0["id"] as? Int == id })["error"] as? [String: Any])?["code"] as? Int
        }
        XCTAssertEqual(try code(#"{"property":"microprice","op":">","value":1}"#, id: 1), 1011, "premium property, anonymous caller")
        XCTAssertEqual(try code(#"{"not":{"property":"noSuchProperty","op":"exists"}}"#, id: 2), 1006)
        XCTAssertEqual(try code(#"{"property":"bid","op":">"}"#, id: 3), 1000)
        XCTAssertEqual(try code(Self.bidAbove100, id: 4), nil, "public property: accepted")
    }

    func testARoleChangeThatHidesAFilteredPropertyEndsTheSubscription() throws {
        hub.inject([TickFactory.ticker("A", bid: 90)])
        let (id, token) = try hub.createUser(roles: ["premium"])
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(token)")
        c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.A","filter":{"property":"microprice","op":"exists"}}"#)
        c.send(#"{"id":2,"op":"subscribe","channel":"ticker.deribit.*","filter":\#(Self.bidAbove100)}"#)
        XCTAssertNotNil(try c.waitFor { $0["id"] as? Int == 1 }["result"])
        XCTAssertNotNil(try c.waitFor { $0["id"] as? Int == 2 }["result"])
        XCTAssertEqual(try hub.request("POST", "/api/users/\(id)/role", #"{"role":"viewer"}"#).status, 200)
        XCTAssertEqual(try hub.request("DELETE", "/api/users/\(id)/roles/premium").status, 200)
        let gone = try c.waitFor(timeout: 2, "unsubscribed") { $0["type"] as? String == "unsubscribed" }
        XCTAssertEqual(gone["channel"] as? String, "ticker.deribit.A", "the filter read microprice, no longer visible")
        // The other subscription lives on.
        hub.inject([TickFactory.ticker("A", bid: 150)])
        XCTAssertEqual(try c.waitFor { $0["ch"] as? String == "ticker.deribit.A" && $0["snap"] == nil }["off"] as? Int, 2)
    }

    func testEqualFiltersAreCompiledOnceAndForgottenWithTheirLastSubscription() throws {
        let a = try TestClient.connect(hub.wsURL), b = try TestClient.connect(hub.wsURL)
        for c in [a, b] {
            c.send(#"{"id":1,"op":"subscribe","channel":"ticker.deribit.*","filter":\#(Self.bidAbove100)}"#)
            XCTAssertNotNil(try c.nextJSON()["result"])
        }
        b.send(#"{"id":2,"op":"subscribe","channel":"book.deribit.*","filter":{"property":"bid","op":">","value":200}}"#)
        XCTAssertNotNil(try b.nextJSON()["result"])
        XCTAssertEqual(hub.sync { $0.hub.filters.count }, 2)
        XCTAssertEqual((try hub.request("GET", "/api/monitoring/performance").object)["filters"] as? Int, 2)
        b.send(#"{"id":3,"op":"unsubscribe","channel":"book.deribit.*"}"#)
        _ = try b.nextJSON()
        XCTAssertEqual(hub.sync { $0.hub.filters.count }, 1)
        a.close()
        b.close()
        try hub.wait("filters forgotten") { $0.hub.sessionCount == 0 }
        XCTAssertEqual(hub.sync { $0.hub.filters.count }, 0)
    }
}
