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

final class JSONWriterDecimalTests: XCTestCase {
    /// Whatever path prints a double, the text reads back as the same double and is never longer
    /// than Swift's shortest round-trip form (or 15 significant digits for computed noise).
    func testEveryPrintedDoubleRoundTrips() {
        var rng = SystemRandomNumberGenerator()
        var samples: [Double] = [0.0015, 36442.5, 0.00090376, 2.11e-05, 1e-9, 123.456, 65000.25, 0.1, 7, -3.25, 1e14 + 0.5, 4.35e-7]
        for _ in 0..<20_000 {
            let decimals = Int.random(in: 0...8, using: &rng)
            let n = Double(Int.random(in: -10_000_000...10_000_000, using: &rng))
            samples.append(n / pow10(decimals))
            samples.append(Double.random(in: -1e6...1e6, using: &rng))
        }
        for d in samples {
            var out: [UInt8] = []
            JSONWriter.appendDouble(d, to: &out)
            let text = String(decoding: out, as: UTF8.self)
            guard let back = Double(text) else { return XCTFail("not a number: \(text)") }
            let shortest = d.description
            let digits = shortest.prefix { $0 != "e" }.filter(\.isNumber).drop { $0 == "0" }.count
            if digits <= 15 {
                XCTAssertEqual(back, d, text)
                XCTAssertLessThanOrEqual(text.count, shortest.count + 4, "\(text) vs \(shortest)")  // plain vs e-notation
                if abs(d) >= 1e-4 && abs(d) < 1e15 {
                    XCTAssertEqual(significant(text), significant(shortest), "the shortest digits: \(text) vs \(shortest)")
                }
            } else {
                XCTAssertEqual(back, d, accuracy: abs(d) * 1e-14, "15 significant digits: \(text)")
            }
        }
    }

    private func pow10(_ k: Int) -> Double { (0..<k).reduce(1.0) { x, _ in x * 10 } }

    /// The significant digits of a positional number: "-0.00120" and "12.0" give "12".
    private func significant(_ text: String) -> String {
        let digits = text.filter(\.isNumber).drop { $0 == "0" }
        return String(digits.reversed().drop { $0 == "0" }.reversed())
    }
}

extension JSONWriterDecimalTests {
    /// The writer rounds to 15 significant digits in one multiplication; the text is the one the
    /// plain search gives: the fewest decimals k whose round(d × 10^k) divides back to d, else 15
    /// significant digits. Market decimals, random bit patterns and computed noise, both signs.
    func testOneMultiplicationPrintsWhatTheSearchPrints() {
        var rng = SystemRandomNumberGenerator()
        var samples: [Double] = []
        for e in -4...14 {
            let p = e >= 0 ? pow10(e) : 1 / pow10(-e)
            samples += [p, p.nextUp, p.nextDown, p * 9.5, p * 9.999999999999999, p * 1.0000000000001]
        }
        for _ in 0..<20_000 {
            samples.append(Double(Int.random(in: -100_000_000_000...100_000_000_000, using: &rng)) / pow10(Int.random(in: 0...12, using: &rng)))
            samples.append(Double(bitPattern: UInt64.random(in: 0x3F1A_36E2_EB1C_432D...0x430C_6BF5_2633_FFFF, using: &rng)))
            let x = Double.random(in: 0.0001...10_000, using: &rng), y = Double.random(in: 0.0001...10_000, using: &rng)
            samples += [(x + y) / 2, x - y, x * y, x / y]
        }
        for d in samples where abs(d) >= 1e-4 && abs(d) < 1e15 {
            var out: [UInt8] = []
            JSONWriter.appendDouble(d, to: &out)
            // nil: rounds up to 10^15, printed in e-notation (testPowersOfTenAndBoundaries)
            guard let expected = searched(d) else { continue }
            XCTAssertEqual(String(decoding: out, as: UTF8.self), expected, "\(d)")
        }
    }

    /// The reference: k from 0 up until round(d × 10^k) / 10^k is d, or a 16th digit is needed.
    private func searched(_ d: Double) -> String? {
        let a = abs(d)
        var k = 0
        var n: UInt64
        while true {
            let m = (a * pow10(k)).rounded(.toNearestOrEven)
            if m >= 1e15 {
                k -= 1
                guard k >= 0 else { return nil }
                n = UInt64((a * pow10(k)).rounded(.toNearestOrEven))
                break
            }
            if m / pow10(k) == a {
                n = UInt64(m)
                break
            }
            k += 1
        }
        while k > 0 && n % 10 == 0 {
            n /= 10
            k -= 1
        }
        var digits = String(n)
        if k > 0 {
            digits = String(repeating: "0", count: max(0, k + 1 - digits.count)) + digits
            digits.insert(".", at: digits.index(digits.endIndex, offsetBy: -k))
        }
        return (d < 0 ? "-" : "") + digits
    }

    func testPowersOfTenAndBoundaries() {
        for (d, text) in [
            (1000.0, "1000"), (0.001, "0.001"), (1e-4, "0.0001"), (9.5e-5, "9.5e-05"), (999999999999999.0, "999999999999999"),
            (1e15, "1000000000000000.0"), (0.1 + 0.7, "0.8"), (100.0 / 3, "33.3333333333333"),
        ] {
            var out: [UInt8] = []
            JSONWriter.appendDouble(d, to: &out)
            XCTAssertEqual(String(decoding: out, as: UTF8.self), text, "\(d)")
        }
    }
}

final class JSONCursorTests: XCTestCase {
    /// The publication encoder reserves `JSONCursor.maxBytes` per value and writes without a
    /// capacity check: the longest texts of every kind fit, and each token appended on its own
    /// reads the same as one cursor writing all of them.
    func testTheLongestTextsFitWhatIsReserved() {
        let doubles: [Double] = [
            -2.2250738585072014e-308, -1.7976931348623157e+308, -Double.leastNonzeroMagnitude, -0.00012345678901234567,
            -999999999999999.9, -123456789012345.6, 1e-4, -9.99999999999999e-5, .nan, -.infinity, -0.0,
        ]
        var values: [PropertyValue] = doubles.map { .number($0) }
        values += [.integer(.min), .integer(.max), .bool(false), .bool(true)]
        values += [.string(""), .string(String(repeating: "\u{01}", count: 40)), .string("\"\\\n\r\t\u{1F}é€"), .string(String(repeating: "x", count: 300))]
        let longest = -2.2250738585072014e-308  // 24 bytes
        values += [.levels([]), .levels(doubles.map { PriceLevel(price: $0, amount: -$0) })]
        values += [.levels(Array(repeating: PriceLevel(price: longest, amount: longest), count: 50))]
        var oneCursor: [UInt8] = []
        var tokens: [UInt8] = []
        for v in values {
            var alone: [UInt8] = []
            JSONWriter.appendValue(v, to: &alone)
            XCTAssertLessThanOrEqual(alone.count, JSONCursor.maxBytes(v), "\(v)")
            tokens += alone
        }
        oneCursor.appendJSON(reserving: values.reduce(0) { $0 + JSONCursor.maxBytes($1) }) { w in
            for v in values { w.value(v) }
        }
        XCTAssertEqual(String(decoding: oneCursor, as: UTF8.self), String(decoding: tokens, as: UTF8.self))
        for d in doubles {
            var out: [UInt8] = []
            JSONWriter.appendDouble(d, to: &out)
            XCTAssertLessThanOrEqual(out.count, JSONCursor.maxNumberBytes, "\(d)")
        }
    }

    /// Appending through a cursor keeps what the buffer held and grows it like `append` does.
    func testAppendingKeepsEarlierBytesAndCountsWhatWasWritten() {
        var out: [UInt8] = Array("[".utf8)
        for i in 0..<1000 {
            out.appendJSON(reserving: JSONCursor.maxIntegerBytes + 1) { w in
                if i > 0 { w.byte(UInt8(ascii: ",")) }
                let before = w.count
                w.uint(UInt64(i) * 1_000_003)
                XCTAssertEqual(w.count - before, String(UInt64(i) * 1_000_003).count)
            }
        }
        out.append(UInt8(ascii: "]"))
        XCTAssertEqual(String(decoding: out, as: UTF8.self), "[" + (0..<1000).map { String($0 * 1_000_003) }.joined(separator: ",") + "]")
        XCTAssertLessThan(out.capacity, 4 * out.count, "grows geometrically, not by each reservation")
    }

    /// `short` copies runs of every length (4 to 16 bytes as overlapping words, others by
    /// `memcpy`) whole, in order, at the cursor, with nothing written past them.
    func testByteRunsOfEveryLengthAreCopiedExactly() {
        let source = (0..<64).map { UInt8(33 + $0) }
        for length in 0...40 {
            var out: [UInt8] = Array("<".utf8)
            out.appendJSON(reserving: length + 1) { w in
                source.withUnsafeBufferPointer { w.short(UnsafeBufferPointer(rebasing: $0[3..<(3 + length)])) }
                XCTAssertEqual(w.count, length)
                w.byte(UInt8(ascii: ">"))
            }
            XCTAssertEqual(out, Array("<".utf8) + source[3..<(3 + length)] + Array(">".utf8), "length \(length)")
        }
    }
}
