import Foundation
import HubCore
import HubTesting
import Venues
import XCTest

/// `/api/orca/events…` answer from the pipeline's channel state: values that passed
/// validation only; a price that never did is an absent field, never a guess or a 500.
final class OrcaAPITests: XCTestCase {
    var hub: TestHub!
    override func setUpWithError() throws { hub = try TestHub() }
    override func tearDown() { hub.stop() }

    /// One ORCA quote as the adapter emits it.
    func quote(_ bookmaker: String, decimal: Double, american: Int64, outcome: String = "home", at: Int64 = 1_795_766_400_000) -> RawEvent {
        func f(_ field: OrcaField, _ v: PropertyValue) -> RawField { RawField(field.rawValue, v) }
        return RawEvent(
            source: "orca", instrument: "EVT-1/ML/\(outcome)/\(bookmaker)", stream: .odds, exchangeTime: at, receiveTime: at * 1000,
            fields: [
                f(.oddsDecimal, .number(decimal)), f(.oddsAmerican, .integer(american)), f(.bookmaker, .string(bookmaker)),
                f(.event, .string("EVT-1")), f(.participant, .string(outcome == "home" ? "Arsenal" : "Chelsea")), f(.outcome, .string(outcome)),
                f(.marketType, .string("moneyline")), f(.commenceTime, .integer(1_795_870_800_000)), f(.eventStatus, .string("prematch")),
                f(.suspended, .bool(false)), f(.outcomeCount, .integer(2)), f(.sport, .string("soccer")), f(.league, .string("EPL")),
                f(.home, .string("Arsenal")), f(.away, .string("Chelsea")), f(.outcomeName, .string(outcome == "home" ? "Arsenal" : "Chelsea")),
            ])
    }

    func testAPriceThatFailedValidationIsAbsentAndTheRestIsServed() throws {
        hub.inject([
            quote("pinnacle", decimal: 0, american: -1_000_000_000),  // both out of range: quarantined
            quote("bet365", decimal: 2.1, american: 110),
            quote("bet365", decimal: 3.4, american: 240, outcome: "away"),
            quote("pinnacle", decimal: 3.3, american: 230, outcome: "away"),
        ])
        let events = try XCTUnwrap(hub.request("GET", "/api/orca/events").json as? [String: Any])
        let e = try XCTUnwrap((events["events"] as? [[String: Any]])?.first)
        XCTAssertEqual(e["sport"] as? String, "soccer")
        XCTAssertEqual(e["league"] as? String, "EPL")
        XCTAssertEqual(e["participants"] as? [String], ["Arsenal", "Chelsea"])
        XCTAssertEqual(e["markets"] as? Int, 1)

        let r = try hub.request("GET", "/api/orca/events/EVT-1/odds")
        XCTAssertEqual(r.status, 200)
        let odds = try XCTUnwrap(r.json as? [String: Any])
        let outcomes = try XCTUnwrap((odds["markets"] as? [[String: Any]])?.first?["outcomes"] as? [[String: Any]])
        let home = try XCTUnwrap(outcomes.first { $0["outcomeId"] as? String == "home" })
        XCTAssertEqual(home["name"] as? String, "Arsenal")
        let prices = try XCTUnwrap(home["prices"] as? [[String: Any]])
        let pinnacle = try XCTUnwrap(prices.first { $0["bookmaker"] as? String == "pinnacle" })
        XCTAssertNil(pinnacle["decimal"], "never validated: absent")
        XCTAssertNil(pinnacle["american"])
        XCTAssertEqual(pinnacle["channel"] as? String, "odds.orca.EVT-1/ML/home/pinnacle")
        let best = try XCTUnwrap(home["best"] as? [String: Any])
        XCTAssertEqual(best["bookmaker"] as? String, "bet365", "the best line is among valid prices only")
        XCTAssertEqual(best["decimal"] as? Double, 2.1)
        XCTAssertEqual(try XCTUnwrap(home["impliedProbability"] as? Double), 1 / 2.1, accuracy: 1e-9)
        XCTAssertEqual(try hub.request("GET", "/api/orca/events/EVT-2/odds").status, 404)
    }

    /// A price that was valid and then refused is no longer current: absent, and out of the
    /// best line, as long as no valid one follows.
    func testAPriceRefusedAfterAValidOneIsWithdrawn() throws {
        hub.inject([
            quote("bet365", decimal: 2.5, american: 150, at: 1),
            quote("pinnacle", decimal: 2.1, american: 110, at: 1),
            quote("bet365", decimal: 3.4, american: 240, outcome: "away", at: 1),
            quote("pinnacle", decimal: 3.3, american: 230, outcome: "away", at: 1),
        ])
        func home() throws -> [String: Any] {
            let odds = try XCTUnwrap(try hub.request("GET", "/api/orca/events/EVT-1/odds").json as? [String: Any])
            let outcomes = try XCTUnwrap((odds["markets"] as? [[String: Any]])?.first?["outcomes"] as? [[String: Any]])
            return try XCTUnwrap(outcomes.first { $0["outcomeId"] as? String == "home" })
        }
        XCTAssertEqual((try home()["best"] as? [String: Any])?["bookmaker"] as? String, "bet365")
        hub.inject([quote("bet365", decimal: 0, american: 150, at: 2)])  // refused: 0 is no price
        let h = try home()
        let bet365 = try XCTUnwrap((h["prices"] as? [[String: Any]])?.first { $0["bookmaker"] as? String == "bet365" })
        XCTAssertNil(bet365["decimal"], "the refused price is withdrawn, the old 2.5 is not shown as current")
        XCTAssertEqual(bet365["updatedAt"] as? Int, 2)
        XCTAssertEqual((h["best"] as? [String: Any])?["bookmaker"] as? String, "pinnacle", "the best line among current prices")
        hub.inject([quote("bet365", decimal: 2.6, american: 160, at: 3)])
        XCTAssertEqual((try home()["best"] as? [String: Any])?["decimal"] as? Double, 2.6, "a valid price brings the quote back")
    }

    /// What the venue removed (a price, a market, an event) is gone from the answer, as the
    /// venue no longer offers it: the adapter's last publication withdraws the price.
    func testWithdrawnQuotesMarketsAndEventsAreGone() throws {
        func withdrawn(_ bookmaker: String, outcome: String = "home") -> RawEvent {
            var e = quote(bookmaker, decimal: 2, american: 100, outcome: outcome, at: 9)
            e.fields.removeAll { $0.key == OrcaField.oddsDecimal.rawValue || $0.key == OrcaField.oddsAmerican.rawValue }
            e.fields.removeAll { $0.key == OrcaField.suspended.rawValue }
            e.fields.append(RawField(OrcaField.suspended.rawValue, .bool(true)))
            e.removed = [OrcaField.oddsDecimal.rawValue, OrcaField.oddsAmerican.rawValue]
            return e
        }
        hub.inject([
            quote("bet365", decimal: 2.5, american: 150), quote("pinnacle", decimal: 2.1, american: 110),
            quote("bet365", decimal: 3.4, american: 240, outcome: "away"),
        ])
        hub.inject([withdrawn("pinnacle")])
        let odds = try XCTUnwrap(try hub.request("GET", "/api/orca/events/EVT-1/odds").json as? [String: Any])
        let outcomes = try XCTUnwrap((odds["markets"] as? [[String: Any]])?.first?["outcomes"] as? [[String: Any]])
        let home = try XCTUnwrap(outcomes.first { $0["outcomeId"] as? String == "home" })
        XCTAssertEqual((home["prices"] as? [[String: Any]])?.compactMap { $0["bookmaker"] as? String }, ["bet365"], "the removed price is gone")
        hub.inject([withdrawn("bet365"), withdrawn("bet365", outcome: "away")])
        XCTAssertEqual(try hub.request("GET", "/api/orca/events/EVT-1/odds").status, 404, "nothing left: the event is gone")
        XCTAssertEqual((try hub.request("GET", "/api/orca/events").json as? [String: Any])?["count"] as? Int, 0)
    }
}
