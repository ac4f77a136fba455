import XCTest

@testable import HubCore

/// The latency buckets behind stage, route and store percentiles: bounds, interpolated
/// percentiles against exact ones, and the sliding windows as slots rotate.
final class LatencyHistogramTests: XCTestCase {
    func testBoundsAreTenPerDecadeAndHoldThePrometheusBuckets() {
        let b = LatencyHistogram.bounds
        XCTAssertEqual(b.first, 100)
        XCTAssertEqual(b.last, 100_000_000_000)
        XCTAssertEqual(b.count, 91)
        XCTAssertEqual(b, b.sorted())
        for bound: UInt64 in [1_000, 2_500, 5_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000_000] {
            XCTAssertTrue(b.contains(bound), "\(bound) ns is a bucket bound")
        }
        XCTAssertEqual(LatencyHistogram.bucket(0), 0)
        XCTAssertEqual(LatencyHistogram.bucket(100), 0, "bounds are inclusive")
        XCTAssertEqual(LatencyHistogram.bucket(101), 1)
        XCTAssertEqual(LatencyHistogram.bucket(200_000_000_000), b.count, "beyond 100 s: the overflow bucket")
    }

    func testPercentilesStayWithinABucketOfTheExactValue() {
        var h = LatencyHistogram()
        var values: [UInt64] = []
        var x: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<20_000 {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            let v = 500 + x % 2_000_000  // 0.5 µs … 2 ms
            values.append(v)
            h.record(v)
        }
        values.sort()
        for p in [50.0, 90.0, 99.0, 99.9] {
            let exact = Double(values[Int((Double(values.count) * p / 100).rounded(.up)) - 1])
            XCTAssertEqual(Double(h.percentile(p)), exact, accuracy: exact * 0.13, "p\(p)")
        }
        XCTAssertEqual(h.count, 20_000)
        XCTAssertEqual(h.maxNanoseconds, values.last)
        XCTAssertEqual(h.sumNanoseconds, values.reduce(0, +))
        XCTAssertEqual(h.percentile(100), values.last, "never above the largest value")
        XCTAssertEqual(h.cumulativeCount(atMost: 1_000_000), UInt64(values.filter { $0 <= 1_000_000 }.count))
        XCTAssertEqual(LatencyHistogram().percentile(99), 0, "empty")
    }

    func testWindowsKeepTheLastMinuteFiveMinutesAndHour() {
        var s = SlidingLatency()
        s.record(1_000)  // t = 0
        for _ in 0..<6 { s.rotate() }  // one minute later
        s.record(2_000)
        XCTAssertEqual(s.histogram(.oneMinute).count, 1, "the first value left the last minute")
        XCTAssertEqual(s.histogram(.fiveMinutes).count, 2)
        XCTAssertEqual(s.histogram(.oneHour).count, 2)
        for _ in 0..<30 { s.rotate() }  // six minutes in
        XCTAssertEqual(s.histogram(.fiveMinutes).count, 0)
        XCTAssertEqual(s.histogram(.oneHour).count, 2, "both are within the hour")
        for _ in 0..<(6 * 60) { s.rotate() }
        XCTAssertEqual(s.histogram(.oneHour).count, 0, "an hour later nothing is left")
        XCTAssertEqual(s.lifetime.count, 2, "the lifetime histogram keeps everything")
    }

    func testTheSlotClockCountsTenSecondSlotsAndCapsAtAnHour() {
        var c = SlotClock(nowNanoseconds: 5_000_000_000)
        XCTAssertEqual(c.advance(nowNanoseconds: 9_000_000_000), 0)
        XCTAssertEqual(c.advance(nowNanoseconds: 10_000_000_000), 1)
        XCTAssertEqual(c.advance(nowNanoseconds: 45_000_000_000), 3)
        XCTAssertEqual(c.advance(nowNanoseconds: 100_000 * 1_000_000_000), 361, "a long jump clears every slot once")
    }

    func testCallTimingsAreKeptPerStoreAndOperation() throws {
        let t = CallTimings()
        t.record("sqlite", "write", nanoseconds: 2_000_000)
        let v = try t.time("redis", "pipeline") { () throws(StoreTestError) in 7 }
        XCTAssertEqual(v, 7)
        XCTAssertThrowsError(try t.time("redis", "xrange") { () throws(StoreTestError) in throw StoreTestError.failed })
        let snap = t.snapshot()
        XCTAssertEqual(snap[CallTimings.CallKey("sqlite", "write")]?.lifetime.count, 1)
        XCTAssertEqual(snap[CallTimings.CallKey("redis", "pipeline")]?.lifetime.count, 1)
        XCTAssertEqual(snap[CallTimings.CallKey("redis", "xrange")]?.lifetime.count, 1, "a failed call is timed too")
        t.rotate(6)
        XCTAssertEqual(t.snapshot()[CallTimings.CallKey("sqlite", "write")]?.histogram(.oneMinute).count, 0)
    }
}

enum StoreTestError: Error { case failed }
