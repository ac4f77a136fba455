/// Durations counted in fixed log-spaced buckets: ten per decade (R10 series: 1, 1.25, 1.6, 2,
/// 2.5, 3.2, 4, 5, 6.4, 8) from 100 ns to 100 s, plus one for anything longer. Recording is a
/// short binary search and two additions, with no allocation after the first value, so the
/// pipeline can record every tick; percentiles are interpolated within a bucket (within about
/// 12 %), and the Prometheus buckets (1, 2.5, 5 per decade) are exact sums of these.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds (inclusive) in nanoseconds, ascending.
    public static let bounds: [UInt64] = {
        let mantissas: [UInt64] = [100, 125, 160, 200, 250, 320, 400, 500, 640, 800]  // ×1/100
        var out: [UInt64] = []
        var scale: UInt64 = 1  // 100 ns × scale / 100
        for _ in 0..<9 {
            for m in mantissas { out.append(m * scale) }
            scale *= 10
        }
        out.append(100 * scale)  // 100 s
        return out
    }()

    /// Counts per bucket (`bounds.count + 1`, the last for values above 100 s); empty until the
    /// first value, so an unused histogram costs nothing.
    public private(set) var counts: [UInt64] = []
    public private(set) var count: UInt64 = 0
    public private(set) var sumNanoseconds: UInt64 = 0
    public private(set) var maxNanoseconds: UInt64 = 0

    public init() {}

    /// The bucket of `nanoseconds`.
    @inline(__always)
    public static func bucket(_ nanoseconds: UInt64) -> Int {
        var lo = 0, hi = bounds.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if bounds[mid] < nanoseconds { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    @inline(__always)
    public mutating func record(_ nanoseconds: UInt64) {
        add(bucket: Self.bucket(nanoseconds), nanoseconds)
    }

    /// Records a value whose bucket is known (several histograms take one value).
    @inline(__always)
    public mutating func add(bucket: Int, _ nanoseconds: UInt64) {
        if counts.isEmpty { counts = Array(repeating: 0, count: Self.bounds.count + 1) }
        counts[bucket] &+= 1
        count &+= 1
        sumNanoseconds &+= nanoseconds
        if nanoseconds > maxNanoseconds { maxNanoseconds = nanoseconds }
    }

    public mutating func merge(_ other: LatencyHistogram) {
        guard other.count > 0 else { return }
        if counts.isEmpty { counts = Array(repeating: 0, count: Self.bounds.count + 1) }
        for i in other.counts.indices { counts[i] &+= other.counts[i] }
        count &+= other.count
        sumNanoseconds &+= other.sumNanoseconds
        maxNanoseconds = max(maxNanoseconds, other.maxNanoseconds)
    }

    public mutating func reset() { self = LatencyHistogram() }

    /// The value below which `percent` of the recorded values fall (0 when empty): linear within
    /// the bucket that holds the rank, never above the largest value seen.
    public func percentile(_ percent: Double) -> UInt64 {
        guard count > 0 else { return 0 }
        let rank = max(1, (Double(count) * percent / 100).rounded(.up))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() where c > 0 {
            if Double(seen + c) >= rank {
                let lower = i == 0 ? 0 : Double(Self.bounds[i - 1])
                let upper = i < Self.bounds.count ? Double(Self.bounds[i]) : Double(maxNanoseconds)
                let within = (rank - Double(seen)) / Double(c)
                return min(maxNanoseconds, UInt64(lower + (upper - lower) * within))
            }
            seen += c
        }
        return maxNanoseconds
    }

    /// Mean in nanoseconds (0 when empty).
    public var meanNanoseconds: Double { count == 0 ? 0 : Double(sumNanoseconds) / Double(count) }

    /// How many values are at most `bound` nanoseconds (`bound` must be one of `bounds`).
    public func cumulativeCount(atMost bound: UInt64) -> UInt64 {
        guard !counts.isEmpty else { return 0 }
        var total: UInt64 = 0
        for (i, b) in Self.bounds.enumerated() {
            guard b <= bound else { break }
            total &+= counts[i]
        }
        return total
    }
}
