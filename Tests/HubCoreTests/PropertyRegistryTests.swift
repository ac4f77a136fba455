import Foundation
import HubCore
import XCTest

final class PropertyRegistryTests: XCTestCase {
    private func def(_ name: String, _ type: PropertyType, rules: ValidationRules = ValidationRules(), derivedFrom: [String]? = nil) -> PropertyDefinition {
        PropertyDefinition(
            name: name, type: type, description: name, tier: .public, sources: derivedFrom == nil ? ["v"] : [], rules: rules,
            derivedFrom: derivedFrom, formula: derivedFrom == nil ? nil : "f", formulaVersion: derivedFrom == nil ? nil : 1)
    }

    private func registry() throws -> PropertyRegistry {
        let r = PropertyRegistry()
        try r.load([
            def("price", .decimal, rules: ValidationRules(min: 0, max: 1e6)),
            def("seq", .integer, rules: ValidationRules(min: 0)),
            def("at", .timestamp),
            def("side", .enum, rules: ValidationRules(values: ["buy", "sell"], requiredIn: [.trades])),
            def("symbol", .string, rules: ValidationRules(pattern: "^[A-Z]+/[A-Z]+$", maxLength: 16)),
            def("live", .bool),
            def("bids", .array),
            def("mid", .decimal, derivedFrom: ["price"]),
            def("midBps", .decimal, derivedFrom: ["mid", "price"]),
        ])
        return r
    }

    func testEachTypeAndRuleIsEnforced() throws {
        let r = try registry()
        func problem(_ name: String, _ v: PropertyValue) -> String? { r.problem(r.id(name)!, v) }
        XCTAssertNil(problem("price", .number(10)))
        XCTAssertNil(problem("price", .integer(10)))
        XCTAssertEqual(problem("price", .number(-1)), "-1.0 is below the minimum 0.0")
        XCTAssertEqual(problem("price", .number(2e6)), "2000000.0 is above the maximum 1000000.0")
        XCTAssertEqual(problem("price", .number(.nan)), "number is not finite")
        XCTAssertEqual(problem("price", .string("1")), "expected decimal, got a string")
        XCTAssertNil(problem("seq", .integer(3)))
        XCTAssertNil(problem("seq", .number(3)), "an integral number is an integer")
        XCTAssertEqual(problem("seq", .number(3.5)), "expected integer, got 3.5")
        XCTAssertNil(problem("at", .integer(1_700_000_000_000)))
        XCTAssertNil(problem("side", .string("buy")))
        XCTAssertEqual(problem("side", .string("hold")), "'hold' is not one of buy, sell")
        XCTAssertNil(problem("symbol", .string("BTC/USDT")))
        XCTAssertNil(problem("symbol", .string("BTC/USDT")), "cached")
        XCTAssertEqual(problem("symbol", .string("btc-usdt")), "'btc-usdt' does not match the pattern")
        XCTAssertEqual(problem("symbol", .string("ABCDEFGHIJ/KLMNOPQ")), "longer than 16 bytes")
        XCTAssertNil(problem("live", .bool(false)))
        XCTAssertEqual(problem("live", .integer(1)), "expected bool, got an integer")
        XCTAssertNil(problem("bids", .levels([PriceLevel(price: 1, amount: 2)])))
        XCTAssertNotNil(problem("bids", .levels([PriceLevel(price: 1, amount: -2)])))
        XCTAssertEqual(r.problem(PropertyID(999), .bool(true)), "unregistered property")
        XCTAssertEqual(r.required(in: .trades), [r.id("side")!])
        XCTAssertTrue(r.required(in: .ticker).isEmpty)
        let side = Field(r.id("side")!, .string("buy")), price = Field(r.id("price")!, .number(1))
        XCTAssertEqual(r.missingRequired(in: .trades, from: [price]), r.id("side"))
        XCTAssertNil(r.missingRequired(in: .trades, from: [price, side]))
        XCTAssertNil(r.missingRequired(in: .ticker, from: []))
    }

    /// Strings accepted a moment ago are accepted again without the sets, and nothing else is:
    /// alternating good and bad values, the same verdict every time.
    func testRecentlyAcceptedStringsDoNotLetOthersThrough() throws {
        let r = try registry()
        func problem(_ name: String, _ v: String) -> String? { r.problem(r.id(name)!, .string(v)) }
        for _ in 0..<3 {
            for good in ["buy", "sell"] { XCTAssertNil(problem("side", good)) }
            for bad in ["hold", "", "Buy", "buy "] { XCTAssertNotNil(problem("side", bad), bad) }
            for good in ["BTC/USDT", "ETH/USD", "SOL/USDC"] { XCTAssertNil(problem("symbol", good)) }
            for bad in ["btc/usdt", "", "BTC/USDT ", "ABCDEFGHIJ/KLMNOPQ"] { XCTAssertNotNil(problem("symbol", bad), bad) }
        }
    }

    func testLineageUpstreamDownstreamAndCycles() throws {
        let r = try registry()
        XCTAssertEqual(r.upstream("midBps"), ["mid", "price"])
        XCTAssertEqual(r.upstream("price"), [])
        XCTAssertEqual(r.downstream("price"), ["mid", "midBps"])
        XCTAssertEqual(r.downstream("midBps"), [])
        XCTAssertThrowsError(try r.replace(def("mid", .decimal, derivedFrom: ["midBps"]))) {
            XCTAssertEqual(($0 as? DefinitionError)?.field, "derivedFrom")
        }
    }

    func testAddReplaceAndTheirErrors() throws {
        let r = try registry()
        let generation = r.generation
        XCTAssertThrowsError(try r.add(def("price", .decimal))) { XCTAssertEqual(($0 as? DefinitionError)?.kind, .duplicate) }
        XCTAssertThrowsError(try r.replace(def("nothing", .decimal))) { XCTAssertEqual(($0 as? DefinitionError)?.kind, .unknown) }
        let id = try r.add(def("volume", .decimal))
        XCTAssertEqual(r.id("volume"), id)
        XCTAssertGreaterThan(r.generation, generation)
        try r.replace(def("price", .decimal, rules: ValidationRules(max: 5)))
        XCTAssertNotNil(r.problem(r.id("price")!, .number(6)), "new rules apply at once")
        XCTAssertThrowsError(try r.load([def("a", .decimal), def("a", .decimal)]))
        XCTAssertEqual(r.all.map(\.name), r.all.map(\.name).sorted())
    }

    func testMatrixListsSourcePropertyAndType() throws {
        let r = try registry()
        let cells = r.matrix()
        XCTAssertTrue(cells.contains(.init(source: "v", property: "price", type: .decimal)))
        XCTAssertTrue(cells.contains(.init(source: "derived", property: "mid", type: .decimal)))
        XCTAssertFalse(cells.contains { $0.source == "v" && $0.property == "mid" })
    }

    func testDefinitionChecksNameTheField() {
        func field(_ d: PropertyDefinition, known: Set<String> = []) -> String? {
            do {
                try d.check(known: known)
                return nil
            } catch {
                return error.field
            }
        }
        var d = def("ok", .decimal)
        XCTAssertNil(field(d))
        d.name = "9lives"
        XCTAssertEqual(field(d), "name")
        XCTAssertEqual(field(def("x", .string, rules: ValidationRules(min: 1))), "rules.min")
        XCTAssertEqual(field(def("x", .decimal, rules: ValidationRules(min: 2, max: 1))), "rules.max")
        XCTAssertEqual(field(def("x", .enum)), "rules.values")
        XCTAssertEqual(field(def("x", .enum, rules: ValidationRules(values: ["a", "a"]))), "rules.values")
        XCTAssertEqual(field(def("x", .decimal, rules: ValidationRules(values: ["a"]))), "rules.values")
        XCTAssertEqual(field(def("x", .string, rules: ValidationRules(pattern: "(unclosed"))), "rules.pattern")
        XCTAssertEqual(field(def("x", .decimal, rules: ValidationRules(pattern: "a"))), "rules.pattern")
        XCTAssertEqual(field(def("x", .string, rules: ValidationRules(maxLength: 0))), "rules.maxLength")
        XCTAssertEqual(field(def("x", .decimal, derivedFrom: ["nope"])), "derivedFrom[0]")
        XCTAssertEqual(field(def("x", .decimal, derivedFrom: ["x"]), known: ["x"]), "derivedFrom[0]")
        var noVersion = def("x", .decimal, derivedFrom: ["p"])
        noVersion.formulaVersion = nil
        XCTAssertEqual(field(noVersion, known: ["p"]), "formulaVersion")
        var stray = def("x", .decimal)
        stray.formula = "a + b"
        XCTAssertEqual(field(stray), "derivedFrom")
        var badSource = def("x", .decimal)
        badSource.sources = ["Deribit"]
        XCTAssertEqual(field(badSource), "sources[0]")
    }

    func testDefinitionsDecodeStrictly() throws {
        let json = #"{"name":"p","type":"decimal","description":"d","tier":"premium","flag":"premium-data","rules":{"min":0,"requiredIn":["trades"]}}"#
        let d = try JSONDecoder().decode(PropertyDefinition.self, from: Data(json.utf8))
        XCTAssertEqual(d.tier, .premium)
        XCTAssertEqual(d.rules.requiredIn, [.trades])
        XCTAssertEqual(d.sources, [])
        let back = try JSONDecoder().decode(PropertyDefinition.self, from: JSONEncoder().encode(d))
        XCTAssertEqual(back, d)
        for (bad, path) in [
            (#"{"name":"p","type":"decimal","description":"d","tier":"public","colour":1}"#, "colour"),
            (#"{"name":"p","type":"float","description":"d","tier":"public"}"#, "type"),
            (#"{"name":"p","type":"decimal","description":"d"}"#, "tier"),
            (#"{"name":"p","type":"decimal","description":"d","tier":"public","rules":{"min":"0"}}"#, "rules.min"),
            (#"{"name":"p","type":"decimal","description":"d","tier":"public","rules":{"requiredIn":["ticks"]}}"#, "rules.requiredIn[0]"),
        ] {
            XCTAssertThrowsError(try JSONDecoder().decode(PropertyDefinition.self, from: Data(bad.utf8)), bad) {
                XCTAssertEqual(($0 as? DecodingError)?.keyPathAndReason.0, path, bad)
            }
        }
    }
}
