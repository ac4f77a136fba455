import HubCore
import XCTest

/// Filter semantics on ticks: comparisons, missing properties, numbers of either kind, the
/// combinators, and one compilation per distinct filter.
final class CompiledFilterTests: XCTestCase {
    let names = ["bid", "seq", "side", "active", "bids"]

    func resolve(_ name: String) -> PropertyID? { names.firstIndex(of: name).map { PropertyID(UInt16($0)) } }

    func tick(_ fields: [(String, PropertyValue)]) -> Tick {
        Tick(
            source: "s", instrument: "i", stream: .ticker, exchangeTime: 0, receiveTime: 0, sequence: 0,
            fields: fields.map { Field(resolve($0.0)!, $0.1) })
    }

    func passes(_ f: SubscriptionFilter, _ t: Tick) -> Bool { CompiledFilter(f, resolve: resolve)!.matches(t) }

    func testComparisonsAndMissingProperties() {
        let t = tick([("bid", .number(100.5)), ("seq", .integer(7)), ("side", .string("buy")), ("active", .bool(true))])
        XCTAssertTrue(passes(.compare(property: "bid", op: .greater, value: .number(100)), t))
        XCTAssertFalse(passes(.compare(property: "bid", op: .less, value: .number(100)), t))
        XCTAssertTrue(passes(.compare(property: "seq", op: .equal, value: .number(7)), t), "an integer equals the same number")
        XCTAssertTrue(passes(.compare(property: "seq", op: .lessOrEqual, value: .number(7)), t))
        XCTAssertTrue(passes(.compare(property: "seq", op: .greaterOrEqual, value: .number(7)), t))
        XCTAssertTrue(passes(.compare(property: "side", op: .equal, value: .string("buy")), t))
        XCTAssertTrue(passes(.compare(property: "side", op: .notEqual, value: .string("sell")), t))
        XCTAssertFalse(passes(.compare(property: "side", op: .equal, value: .number(1)), t), "a string is never a number")
        XCTAssertTrue(passes(.compare(property: "side", op: .notEqual, value: .number(1)), t))
        XCTAssertTrue(passes(.compare(property: "active", op: .equal, value: .bool(true)), t))
        XCTAssertTrue(passes(.oneOf(property: "side", values: [.string("sell"), .string("buy")]), t))
        XCTAssertFalse(passes(.oneOf(property: "seq", values: [.number(1), .string("7")]), t))
        XCTAssertTrue(passes(.exists(property: "bid"), t))
        // `bids` is not in this tick: every comparison on it is false, `not` of one true.
        XCTAssertFalse(passes(.exists(property: "bids"), t))
        XCTAssertFalse(passes(.compare(property: "bids", op: .notEqual, value: .number(1)), t))
        XCTAssertTrue(passes(.not(.compare(property: "bids", op: .equal, value: .number(1))), t))
        let book = tick([("bids", .levels([PriceLevel(price: 1, amount: 1)]))])
        XCTAssertFalse(passes(.compare(property: "bids", op: .greater, value: .number(0)), book), "levels are not numbers")
    }

    func testCombinatorsAndTheDeltaBand() {
        // |delta| between 0.25 and 0.5, as docs/protocol.md writes it.
        let band = SubscriptionFilter.or([
            .and([.compare(property: "bid", op: .greaterOrEqual, value: .number(0.25)), .compare(property: "bid", op: .lessOrEqual, value: .number(0.5))]),
            .and([.compare(property: "bid", op: .greaterOrEqual, value: .number(-0.5)), .compare(property: "bid", op: .lessOrEqual, value: .number(-0.25))]),
        ])
        for (delta, expected) in [(0.3, true), (-0.3, true), (0.5, true), (0.1, false), (-0.6, false), (0.51, false)] {
            XCTAssertEqual(passes(band, tick([("bid", .number(delta))])), expected, "delta \(delta)")
        }
        XCTAssertNil(CompiledFilter(.and([.exists(property: "bid"), .exists(property: "nope")]), resolve: resolve), "an unknown name does not compile")
    }

    func testEachDistinctFilterIsCompiledOnceAndForgottenWithItsLastHolder() throws {
        let table = FilterTable()
        let f = SubscriptionFilter.compare(property: "bid", op: .greater, value: .number(1))
        let a = try XCTUnwrap(table.retain(f, resolve: resolve))
        let b = try XCTUnwrap(table.retain(f, resolve: resolve))
        XCTAssertTrue(a === b)
        XCTAssertNotNil(table.retain(.exists(property: "seq"), resolve: resolve))
        XCTAssertEqual(table.count, 2)
        table.release(a)
        XCTAssertEqual(table.count, 2)
        table.release(b)
        XCTAssertEqual(table.count, 1)
    }
}
