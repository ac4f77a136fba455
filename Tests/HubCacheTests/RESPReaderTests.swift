import HubCache
import XCTest

/// RESP bytes read with hiredis' reader (what the fuzz target feeds arbitrary bytes through):
/// complete replies come back in order, a partial one waits, garbage ends the list.
final class RESPReaderTests: XCTestCase {
    func testCompleteRepliesInOrderAndPartialOnesWait() {
        let resp = Array("*2\r\n$3\r\nfoo\r\n:5\r\n+OK\r\n-ERR no\r\n$-1\r\n*1\r\n$4\r\nha".utf8)
        XCTAssertEqual(
            RedisConnection.replies(resp: resp),
            [.array([.string(Array("foo".utf8)), .integer(5)]), .status("OK"), .error("ERR no"), .null], "the cut array is not a reply yet")
    }

    func testAnArrayAnnouncingMoreThanAMillionElementsIsRefusedBeforeAnyAllocation() {
        // hiredis would calloc 5.6 GB for this before an element arrives.
        XCTAssertEqual(RedisConnection.replies(resp: Array("+OK\r\n*700000000\r\n:1\r\n".utf8)), [.status("OK")])
        XCTAssertEqual(RedisConnection.replies(resp: Array("*2\r\n:1\r\n:2\r\n".utf8)), [.array([.integer(1), .integer(2)])])
    }

    func testGarbageEndsTheList() {
        XCTAssertEqual(RedisConnection.replies(resp: Array("+OK\r\n?what\r\n+later\r\n".utf8)), [.status("OK")])
        XCTAssertEqual(RedisConnection.replies(resp: []), [])
    }
}
