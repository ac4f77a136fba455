import XCTest

@testable import HubCore

/// The registry clears most numbers with `NumberBounds` before asking the validator: it must
/// never accept a value the validator refuses, and the registry's verdict and message must be
/// the validator's for every value.
final class NumberBoundsTests: XCTestCase {
    private func def(_ name: String, _ type: PropertyType, _ rules: ValidationRules = ValidationRules()) -> PropertyDefinition {
        PropertyDefinition(name: name, type: type, description: name, tier: .public, sources: ["v"], rules: rules)
    }

    private var definitions: [PropertyDefinition] {
        [
            def("price", .decimal, ValidationRules(min: 0, max: 1e6)), def("free", .decimal), def("above", .decimal, ValidationRules(min: -5)),
            def("below", .decimal, ValidationRules(max: -5)), def("seq", .integer, ValidationRules(min: 0)),
            def("at", .timestamp, ValidationRules(max: 4e12)), def("side", .enum, ValidationRules(values: ["buy"])), def("name", .string),
            def("live", .bool), def("bids", .array),
        ]
    }

    private let values: [PropertyValue] = {
        let doubles: [Double] = [
            0, -0.0, 1, -1, 2.5, -2.5, 1e6, 1e6 + 0.001, 999_999.999, -5, -5.000001, -4.999999, 4e12, 4e12 + 1, 1e300, -1e300,
            .leastNonzeroMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity, .nan, 9_007_199_254_740_992,
        ]
        let integers: [Int64] = [0, 1, -1, -5, -6, 1_000_000, 1_000_001, 4_000_000_000_000, 4_000_000_000_001, .max, .min]
        return doubles.map { .number($0) } + integers.map { .integer($0) } + [
            .string("1"), .string("buy"), .bool(true), .levels([PriceLevel(price: 1, amount: 2)]), .levels([PriceLevel(price: 1, amount: -2)]),
        ]
    }()

    func testTheRegistryGivesTheValidatorsVerdictAndMessageForEveryValue() throws {
        let registry = PropertyRegistry()
        try registry.load(definitions)
        var cleared = 0
        for d in definitions {
            let id = try XCTUnwrap(registry.id(d.name))
            let bounds = NumberBounds(d), validator = PropertyValidator(d)
            for v in values {
                let expected = validator.problem(v)
                XCTAssertEqual(registry.problem(id, v), expected, "\(d.name) \(v)")
                if bounds.clears(v) {
                    cleared += 1
                    XCTAssertNil(expected, "\(d.name) \(v): cleared by the bounds, refused by the validator")
                }
            }
        }
        XCTAssertGreaterThan(cleared, 40, "the fast path is taken for numbers in bounds")
    }

    func testBoundsAreInclusiveAndFollowAReplacedDefinition() throws {
        let registry = PropertyRegistry()
        try registry.load(definitions)
        let price = try XCTUnwrap(registry.id("price"))
        XCTAssertNil(registry.problem(price, .number(0)))
        XCTAssertNil(registry.problem(price, .number(1e6)))
        XCTAssertNil(registry.problem(price, .integer(1_000_000)))
        XCTAssertEqual(registry.problem(price, .integer(1_000_001)), "1000001.0 is above the maximum 1000000.0")
        try registry.replace(def("price", .decimal, ValidationRules(min: 0, max: 10)))
        XCTAssertNil(registry.problem(price, .number(10)))
        XCTAssertEqual(registry.problem(price, .number(11)), "11.0 is above the maximum 10.0")
        try registry.replace(def("price", .integer))
        XCTAssertEqual(registry.problem(price, .number(2.5)), "expected integer, got 2.5")
        XCTAssertNil(registry.problem(price, .number(-3)))
        XCTAssertEqual(registry.problem(PropertyID(999), .number(1)), "unregistered property")
    }

    /// A property the table knows but the registry does not define (an interned name only).
    func testAnInternedButUndefinedPropertyIsUnregistered() throws {
        let registry = PropertyRegistry()
        try registry.load(definitions)
        let other = registry.table.intern("zzz")
        try registry.add(def("later", .decimal))
        XCTAssertEqual(registry.problem(other, .number(1)), "unregistered property")
    }
}
