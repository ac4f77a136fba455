import SimdJSON
import XCTest

final class JSONPathSetTests: XCTestCase {
    let parser = JSONParser(maxDocumentBytes: 1 << 20)

    /// One pass finds what `subscript` finds for every path: present, absent, the first of a
    /// repeated name (an object's too), an escaped name, members of object
    /// members; a path through a non-object is absent; an array is not an object.
    func testCollectFindsWhatSubscriptFinds() throws {
        let top = (0..<40).map { "key_\($0)" } + ["dup", "a", "ab"]
        let nested = ["obj.x", "obj.y", "obj.deep.z", "scalar.x", "greeks.delta"]
        let paths = try XCTUnwrap(JSONPathSet(top + nested))
        XCTAssertEqual(paths.count, top.count + nested.count)
        var members = JSONMembers()
        let document = #"""
            {"key_3":3,"dup":1,"zzz":0,"":7,"dup":2,"key_39":{"x":1},"a":"s","a\u0062":9,
             "obj":{"x":10,"deep":{"z":30},"x":11},"obj":{"y":20},"scalar":5,"greeks":[1]}
            """#
        try parser.parse(document) { root in
            XCTAssertTrue(root.collect(paths, into: &members))
            for (i, name) in top.enumerated() {
                XCTAssertEqual(members[i]?.kind, root.member(name)?.kind, name)
            }
            XCTAssertEqual(members[3]?.int64, 3)
            XCTAssertEqual(members[top.firstIndex(of: "dup")!]?.int64, 1, "the first occurrence, as subscript")
            XCTAssertEqual(members[top.firstIndex(of: "ab")!]?.int64, 9, "names are compared unescaped")
            XCTAssertEqual(members[39]?["x"]?.int64, 1, "a value may be an object")
            XCTAssertNil(members[0])
            let n = top.count
            XCTAssertEqual(members[n]?.int64, 10, "the first x of the first obj")
            XCTAssertNil(members[n + 1], "y is in the second obj, which subscript does not reach either")
            XCTAssertNil(root["obj"]?["y"])
            XCTAssertEqual(members[n + 2]?.int64, 30)
            XCTAssertNil(members[n + 3], "scalar is not an object")
            XCTAssertNil(members[n + 4], "greeks is an array")
        }
        try parser.parse(#"{"key_0":1,"obj":{"y":2}}"#) { root in
            XCTAssertTrue(root.collect(paths, into: &members))
            XCTAssertEqual(members[0]?.int64, 1)
            XCTAssertNil(members[3], "values from the previous document are cleared")
            XCTAssertNil(members[top.count])
            XCTAssertEqual(members[top.count + 1]?.int64, 2)
        }
        try parser.parse(#"{"obj":5,"obj":{"x":1},"scalar":{"x":2}}"#) { root in
            XCTAssertTrue(root.collect(paths, into: &members))
            XCTAssertNil(members[top.count], "the first obj is not an object: the second is not read, as subscript")
            XCTAssertNil(root["obj"]?["x"])
            XCTAssertEqual(members[top.count + 3]?.int64, 2, "an object this time")
        }
        try parser.parse("[1,2]") { root in
            XCTAssertFalse(root.collect(paths, into: &members))
            XCTAssertTrue((0..<paths.count).allSatisfy { members[$0] == nil })
        }
    }

    /// Names that share a head or a tail, or differ only in the middle, of every length from 1
    /// to 40: each finds itself, and a name of the same length that is not in the set finds
    /// nothing.
    func testNamesThatLookAlikeAreToldApart() throws {
        let venue = [
            "instrument_name", "timestamp", "best_bid_price", "best_ask_price", "best_bid_amount", "best_ask_amount",
            "underlying_price", "underlying_index", "mark_iv", "bid_iv", "ask_iv", "stats", "state",
            "estimated_delivery_price",
        ]
        var lengths: [String] = []
        for n in 1...40 {
            let half = n / 2
            lengths.append(String(repeating: "a", count: n))
            lengths.append(String(repeating: "a", count: half) + "b" + String(repeating: "a", count: n - half - 1))
        }
        let names = Array(Set(venue + lengths))
        let paths = try XCTUnwrap(JSONPathSet(names))
        var members = JSONMembers()
        for (i, name) in names.enumerated() {
            try parser.parse(#"{"\#(name)":\#(i)}"#) { root in
                XCTAssertTrue(root.collect(paths, into: &members))
                for j in names.indices { XCTAssertEqual(members[j]?.int64, j == i ? Int64(i) : nil, "\(name) → \(names[j])") }
            }
        }
        for miss in [
            "best_bid_prica", "underlying_pricf", "Timestamp", "bid_ix", "statf", "estimated_delivery_prixe",
            "xaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaacaaaaaaaaaa",
        ] {
            try parser.parse(#"{"\#(miss)":1}"#) { root in
                XCTAssertTrue(root.collect(paths, into: &members))
                XCTAssertTrue(names.indices.allSatisfy { members[$0] == nil }, miss)
            }
        }
    }

    /// A set that could not say which value a path has is refused.
    func testAmbiguousPathSetsAreRefused() {
        for bad in [[""], ["a", "a"], ["a", "a.b"], ["a.b", "a"], ["a..b"], ["a."], [".a"], ["a.b", "a.b"]] {
            XCTAssertNil(JSONPathSet(bad), "\(bad)")
        }
        XCTAssertNotNil(JSONPathSet([]))
        XCTAssertNotNil(JSONPathSet(["a.b", "a.c", "b", "a.d.e"]))
        XCTAssertNotNil(JSONPathSet((0..<63).map { "o\($0).v" }), "63 objects and the root")
        XCTAssertNil(JSONPathSet((0..<64).map { "o\($0).v" }), "more objects than a collect tracks")
        XCTAssertNil(JSONPathSet((0..<70_000).map { "k\($0)" }), "more paths than a table indexes")
    }

    func testLiteralComparisons() {
        let bytes = Array("ticker.BTC-PERPETUAL".utf8)
        bytes.withUnsafeBytes { b in
            XCTAssertTrue(b.hasPrefix("ticker."))
            XCTAssertTrue(b.hasPrefix(""))
            XCTAssertFalse(b.hasPrefix("book."))
            XCTAssertTrue(b.equals("ticker.BTC-PERPETUAL"))
            XCTAssertFalse(b.equals("ticker."))
            XCTAssertFalse(UnsafeRawBufferPointer(rebasing: b[0..<3]).hasPrefix("ticker."), "longer than the bytes")
        }
        XCTAssertTrue(UnsafeRawBufferPointer(start: nil, count: 0).equals(""))
    }
}
