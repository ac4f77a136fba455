import SimdJSON
import XCTest

final class JSONParserTests: XCTestCase {
    let parser = JSONParser(maxDocumentBytes: 4096)

    func testTypedAccessDistinguishesIntegersDoublesBoolsAndStrings() throws {
        try parser.parse(#"{"i":-3,"u":18446744073709551615,"d":1.5,"b":true,"s":"h\u00e9\n","n":null,"a":[1,"x"],"o":{"k":2}}"#) { root in
            XCTAssertEqual(root.kind, .object)
            XCTAssertEqual(root["i"]?.int64, -3)
            XCTAssertEqual(root["i"]?.double, -3)
            XCTAssertEqual(root["u"]?.uint64, UInt64.max)
            XCTAssertNil(root["u"]?.int64)
            XCTAssertNil(root["d"]?.int64)
            XCTAssertEqual(root["d"]?.double, 1.5)
            XCTAssertEqual(root["b"]?.bool, true)
            XCTAssertNil(root["b"]?.int64)
            XCTAssertEqual(root["s"]?.string, "hé\n")
            XCTAssertTrue(root["n"]?.isNull ?? false)
            XCTAssertNil(root["missing"])
            XCTAssertEqual(root.member("o")?["k"]?.int64, 2)
            XCTAssertTrue(root["s"]?.stringEquals("hé\n") ?? false)
            XCTAssertFalse(root["s"]?.stringEquals("h") ?? true)
            var it = try XCTUnwrap(root["a"]?.array)
            XCTAssertEqual(it.count, 2)
            XCTAssertEqual(it.next()?.int64, 1)
            XCTAssertEqual(it.next()?.string, "x")
            XCTAssertNil(it.next())
            let keys = Array(try XCTUnwrap(root.object)).map(\.keyString)
            XCTAssertEqual(keys, ["i", "u", "d", "b", "s", "n", "a", "o"])
            XCTAssertNil(root["i"]?.array)
            XCTAssertNil(root["i"]?.object)
        }
    }

    func testInvalidAndOversizedDocumentsThrow() {
        XCTAssertThrowsError(try parser.parse("{\"a\":") { _ in }) { XCTAssertTrue("\($0)".contains("invalid JSON")) }
        XCTAssertThrowsError(try parser.parse("") { _ in })
        let big = "[" + String(repeating: "1,", count: 3000) + "1]"
        XCTAssertThrowsError(try parser.parse(big) { _ in }) { XCTAssertEqual($0 as? JSONError, .tooLarge(big.utf8.count)) }
    }

    func testReusesItsBufferAcrossDocumentsOfGrowingSize() throws {
        for n in [1, 100, 1000] {
            let doc = "[" + Array(repeating: "7", count: n).joined(separator: ",") + "]"
            let count = try parser.parse(doc) { $0.array?.count }
            XCTAssertEqual(count, n)
        }
    }
}
