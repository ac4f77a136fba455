import Venues
import XCTest

/// The demo's scheduled price jumps: one product in turn, away and back, on the clock.
final class DislocationScheduleTests: XCTestCase {
    func testMovesOneProductInTurnAwayAndBack() {
        var s = DislocationSchedule(everySeconds: 30, percent: 2, holdSeconds: 8, startMillis: 1_000)
        let products = ["BTC-USD", "ETH-USD"]
        XCTAssertNil(s.step(nowMillis: 1_000, products: products))
        XCTAssertNil(s.step(nowMillis: 30_999, products: products), "30 s after the start")
        XCTAssertEqual(s.step(nowMillis: 31_000, products: products), .move(product: "BTC-USD", factor: 1.02))
        XCTAssertNil(s.step(nowMillis: 38_999, products: products), "held for 8 s")
        guard case .move(let back, let factor)? = s.step(nowMillis: 39_000, products: products) else { return XCTFail("moves back") }
        XCTAssertEqual(back, "BTC-USD")
        XCTAssertEqual(factor * 1.02, 1, accuracy: 1e-12)
        XCTAssertNil(s.step(nowMillis: 68_999, products: products))
        XCTAssertEqual(s.step(nowMillis: 69_000, products: products), .move(product: "ETH-USD", factor: 1.02), "the next product's turn")
        var off = DislocationSchedule(everySeconds: 0, startMillis: 0)
        XCTAssertNil(off.step(nowMillis: 1_000_000, products: products))
    }
}
