import Foundation
import HubCore
import HubTesting
import XCTest

/// `GET /api/channels`: what exists and the caller may see, by pattern, for a channel browser.
final class ChannelsAPITests: XCTestCase {
    func testListsAllowedChannelsByPattern() throws {
        let hub = try TestHub { $0.auth.anonymous = true }
        defer { hub.stop() }
        hub.inject([
            TickFactory.ticker("A-PERP", bid: 1), TickFactory.ticker("A-PERP", bid: 2), TickFactory.ticker("X", bid: 1, source: "binance"),
            TickFactory.trade("B-PERP", seq: 1),
        ])
        let all = try XCTUnwrap(hub.request("GET", "/api/channels").json as? [String: Any])
        let names = (all["channels"] as? [[String: Any]] ?? []).compactMap { $0["ch"] as? String }
        XCTAssertTrue(names.contains("ticker.deribit.A-PERP"))
        XCTAssertTrue(names.contains("trades.deribit.B-PERP"))
        XCTAssertEqual(names, names.sorted())
        let a = try XCTUnwrap((all["channels"] as? [[String: Any]])?.first { $0["ch"] as? String == "ticker.deribit.A-PERP" })
        XCTAssertEqual(a["stream"] as? String, "ticker")
        XCTAssertEqual(a["venue"] as? String, "deribit")
        XCTAssertEqual(a["instrument"] as? String, "A-PERP")
        XCTAssertEqual(a["off"] as? Int, 2)

        let tickers = try XCTUnwrap(hub.request("GET", "/api/channels?pattern=ticker.*.*&limit=1").json as? [String: Any])
        XCTAssertEqual((tickers["channels"] as? [[String: Any]])?.count, 1)
        XCTAssertEqual(tickers["total"] as? Int, 2)

        // Anonymous: tickers yes, trades no (the shipped anonymous role).
        let anonymous = try XCTUnwrap(hub.request("GET", "/api/channels", token: nil).json as? [String: Any])
        let seen = (anonymous["channels"] as? [[String: Any]] ?? []).compactMap { $0["ch"] as? String }
        XCTAssertTrue(seen.contains("ticker.deribit.A-PERP"))
        XCTAssertFalse(seen.contains("trades.deribit.B-PERP"), "not granted to anonymous")

        let bad = try hub.request("GET", "/api/channels?pattern=ticker")
        XCTAssertEqual(bad.status, 400)
        XCTAssertEqual(((bad.json as? [String: Any])?["error"] as? [String: Any])?["field"] as? String, "pattern")
        XCTAssertEqual(try hub.request("GET", "/api/channels?limit=0").status, 400)
    }
}
