import SimdJSON
import XCTest

final class JSONKeySetTests: XCTestCase {
    let parser = JSONParser(maxDocumentBytes: 4096)

    /// One pass finds what `subscript` finds for every key: present, absent, the first of a
    /// duplicated name, the empty name; an array is not an object.
    func testCollectFindsWhatSubscriptFinds() throws {
        let names = (0..<40).map { "key_\($0)" } + ["", "dup", "a"]
        let keys = JSONKeySet(names)
        XCTAssertEqual(keys.count, names.count)
        var members: [JSONElement?] = []
        let document = #"{"key_3":3,"dup":1,"zzz":0,"":7,"dup":2,"key_39":{"x":1},"a":"s"}"#
        try parser.parse(document) { root in
            XCTAssertTrue(keys.collect(root, into: &members))
            XCTAssertEqual(members.count, names.count)
            for (i, name) in names.enumerated() {
                XCTAssertEqual(members[i]?.kind, root.member(name)?.kind, name)
            }
            XCTAssertEqual(members[3]?.int64, 3)
            XCTAssertEqual(members[names.firstIndex(of: "dup")!]?.int64, 1, "the first occurrence, as subscript")
            XCTAssertEqual(members[names.firstIndex(of: "")!]?.int64, 7)
            XCTAssertEqual(members[39]?["x"]?.int64, 1)
            XCTAssertNil(members[0])
        }
        try parser.parse(#"{"key_0":1}"#) { root in
            XCTAssertTrue(keys.collect(root, into: &members))
            XCTAssertEqual(members[0]?.int64, 1)
            XCTAssertNil(members[3], "slots from the previous object are cleared")
        }
        try parser.parse("[1,2]") { root in
            XCTAssertFalse(keys.collect(root, into: &members))
            XCTAssertTrue(members.allSatisfy { $0 == nil })
        }
        "key_7".utf8.withContiguousStorageIfAvailable { XCTAssertEqual(keys.index(of: UnsafeRawBufferPointer($0)), 7) }
        "key_".utf8.withContiguousStorageIfAvailable { XCTAssertNil(keys.index(of: UnsafeRawBufferPointer($0))) }
    }

    /// Names that share a head or a tail, or differ only in the middle, of every length from 0
    /// to 40: each finds itself, and a name of the same length that is not in the set finds
    /// nothing.
    func testNamesThatLookAlikeAreToldApart() {
        let venue = [
            "instrument_name", "timestamp", "best_bid_price", "best_ask_price", "best_bid_amount", "best_ask_amount",
            "underlying_price", "underlying_index", "mark_iv", "bid_iv", "ask_iv", "stats", "state",
        ]
        var lengths: [String] = []
        for n in 0...40 {
            let half = n / 2
            lengths.append(String(repeating: "a", count: n))
            if n > 0 { lengths.append(String(repeating: "a", count: half) + "b" + String(repeating: "a", count: n - half - 1)) }
        }
        let names = Array(Set(venue + lengths))
        let keys = JSONKeySet(names)
        func index(_ name: String) -> Int? {
            Array(name.utf8).withUnsafeBytes { keys.index(of: $0) }
        }
        for (i, name) in names.enumerated() { XCTAssertEqual(index(name), i, name) }
        for miss in [
            "best_bid_prica", "underlying_pricf", "Timestamp", "bid_ix", "statf", "xaaaaaaaaaaaaaaaaaaaaa", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            XCTAssertNil(index(miss), miss)
        }
    }
}
