import HubCore
import XCTest

final class JSONWriterTests: XCTestCase {
    private func text(_ f: (inout [UInt8]) -> Void) -> String {
        var out: [UInt8] = []
        f(&out)
        return String(decoding: out, as: UTF8.self)
    }

    func testStringsAreEscaped() {
        XCTAssertEqual(text { JSONWriter.appendString("plain", to: &$0) }, "\"plain\"")
        XCTAssertEqual(text { JSONWriter.appendString("a\"b\\c\nd\te\u{01}", to: &$0) }, #""a\"b\\c\nd\te\u0001""#)
        XCTAssertEqual(text { JSONWriter.appendString("é€", to: &$0) }, "\"é€\"")
    }

    func testIntegers() {
        XCTAssertEqual(text { JSONWriter.appendInt(0, to: &$0) }, "0")
        XCTAssertEqual(text { JSONWriter.appendInt(-42, to: &$0) }, "-42")
        XCTAssertEqual(text { JSONWriter.appendInt(Int64.min, to: &$0) }, "-9223372036854775808")
        XCTAssertEqual(text { JSONWriter.appendUInt(UInt64.max, to: &$0) }, "18446744073709551615")
    }

    func testDoublesPrintShortestOrFifteenDigitsAndNeverInvalidJSON() {
        let cases: [(Double, String)] = [
            (30, "30"), (-0.0, "0"), (36442.5, "36442.5"), (2.11e-05, "2.11e-05"), (0.1 + 0.2, "0.3"),
            ((0.0175 + 0.0185) / 2, "0.018"), (1e20, "1e+20"), (123456789012.25, "123456789012.25"),
            (.nan, "null"), (.infinity, "null"),
        ]
        for (value, expected) in cases {
            XCTAssertEqual(text { JSONWriter.appendDouble(value, to: &$0) }, expected, "\(value)")
        }
        for value in [0.1, 1.0 / 3, 65_000.123456, 1e-300, Double.leastNonzeroMagnitude] {
            let t = text { JSONWriter.appendDouble(value, to: &$0) }
            XCTAssertEqual(Double(t)!, value, accuracy: abs(value) * 1e-14, t)
        }
    }

    func testValues() {
        XCTAssertEqual(text { JSONWriter.appendValue(.bool(false), to: &$0) }, "false")
        XCTAssertEqual(text { JSONWriter.appendValue(.integer(7), to: &$0) }, "7")
        XCTAssertEqual(text { JSONWriter.appendValue(.string("x"), to: &$0) }, "\"x\"")
        XCTAssertEqual(
            text { JSONWriter.appendValue(.levels([PriceLevel(price: 1.5, amount: 2), PriceLevel(price: 1, amount: 0.25)]), to: &$0) },
            "[[1.5,2],[1,0.25]]")
        XCTAssertEqual(text { JSONWriter.appendValue(.levels([]), to: &$0) }, "[]")
    }
}
