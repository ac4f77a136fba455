import HubCore
import XCTest

final class PublicationRingTests: XCTestCase {
    private func tick(_ n: Int) -> Tick {
        Tick(source: "s", instrument: "i", stream: .trades, exchangeTime: Int64(n), receiveTime: 0)
    }

    private func full(_ n: Int) -> EncodedPublication {
        EncodedPublication(bytes: [UInt8](repeating: 1, count: n), dataStart: 0, spans: [])
    }

    func testOffsetsRiseByOneAndOldestAreOverwritten() {
        let ring = PublicationRing(capacity: 4)
        XCTAssertTrue(ring.isEmpty)
        XCTAssertEqual(ring.firstOffset, 1)
        for n in 1...6 { XCTAssertEqual(ring.append(tick(n), full: full(10)), UInt64(n)) }
        XCTAssertEqual(ring.lastOffset, 6)
        XCTAssertEqual(ring.firstOffset, 3)
        XCTAssertFalse(ring.contains(2))
        XCTAssertTrue(ring.contains(3))
        XCTAssertEqual(ring.tick(at: 5)?.exchangeTime, 5)
        XCTAssertNil(ring.tick(at: 2))
        XCTAssertNil(ring.tick(at: 7))
    }

    func testBacklogBytesAndPerViewEncodingCache() {
        let ring = PublicationRing(capacity: 8)
        for n in 1...3 { ring.append(tick(n), full: full(n * 10)) }
        XCTAssertEqual(ring.backlogBytes(from: 1), 60)
        XCTAssertEqual(ring.backlogBytes(from: 3), 30)
        XCTAssertEqual(ring.backlogBytes(from: 4), 0)
        var encodes = 0
        let view = ViewID(rawValue: 5)
        for _ in 0..<3 {
            let bytes = ring.encoding(at: 2, view: view) { t, full, off in
                encodes += 1
                XCTAssertEqual(full?.bytes.count, 20)
                return [UInt8(off), UInt8(t.exchangeTime)]
            }
            XCTAssertEqual(bytes, [2, 2])
        }
        XCTAssertEqual(encodes, 1, "serialised once per view, then shared")
        XCTAssertEqual(ring.encoding(at: 2, view: .all) { _, _, _ in [] }, [UInt8](repeating: 1, count: 20))
        XCTAssertNil(ring.encoding(at: 9, view: .all) { _, _, _ in [] })
    }

    /// A power-of-two capacity indexes slots with a mask, any other with a division: both hold
    /// exactly the last `capacity` publications, each where it is read back.
    func testEveryCapacityHoldsItsWindow() {
        for capacity in [1, 3, 5, 8, 64, 100] {
            let ring = PublicationRing(capacity: capacity)
            for n in 1...(3 * capacity + 2) {
                ring.append(tick(n), full: full(n))
                XCTAssertEqual(ring.firstOffset, UInt64(max(1, n - capacity + 1)), "capacity \(capacity)")
                for offset in ring.firstOffset...ring.lastOffset {
                    XCTAssertEqual(ring.tick(at: offset)?.exchangeTime, Int64(offset), "capacity \(capacity)")
                    XCTAssertEqual(ring.fullView(at: offset)?.bytes.count, Int(offset), "capacity \(capacity)")
                }
                XCTAssertNil(ring.tick(at: ring.firstOffset - 1))
            }
        }
    }

    /// The view fan-out reads points at the slot's own encoding, reads the same each time, and
    /// is gone once the slot's buffers are handed out for reuse.
    func testFullViewsReadTheSlotsEncodingUntilItIsReclaimed() {
        let ring = PublicationRing(capacity: 2)
        func encoding(_ n: UInt8) -> EncodedPublication {
            EncodedPublication(
                bytes: [UInt8](repeating: n, count: Int(n) + 3), dataStart: 1,
                spans: [.init(id: PropertyID(UInt16(n)), start: 1, end: UInt32(n) + 3)])
        }
        ring.append(tick(1), full: encoding(1))
        ring.append(tick(2), full: nil)
        XCTAssertNil(ring.fullView(at: 2), "nothing was encoded")
        let kept = encoding(1)
        for _ in 0..<2 {  // read twice: a view is not used up
            let view = ring.fullView(at: 1)
            XCTAssertEqual(view.map { Array($0.bytes) }, kept.bytes)
            XCTAssertEqual(view?.dataStart, 1)
            XCTAssertEqual(view?.spans.map(\.id), [PropertyID(1)])
            XCTAssertEqual(view?.spans.first?.end, 4)
        }
        let storage = ring.reclaim()  // offset 1 goes next: its buffers are the next encoding's
        XCTAssertTrue(storage.bytes.isEmpty)
        XCTAssertNil(ring.fullView(at: 1), "its buffers are being reused")
        ring.append(tick(3), full: encoding(3))
        XCTAssertEqual(ring.fullView(at: 3).map { Array($0.bytes) }, encoding(3).bytes)
    }

    func testResumeContinuesNumbering() {
        let ring = PublicationRing(capacity: 2)
        ring.resume(after: 41)
        XCTAssertEqual(ring.append(tick(1), full: nil), 42)
    }
}
