/// Per-stage latency of the pipeline in nanoseconds: each stage's lifetime histogram and its
/// last minute, five minutes and hour (`SlidingLatency`; a record is a binary search and a few
/// additions, no allocation).
public struct StageLatency: Sendable {
    public enum Stage: String, CaseIterable, Sendable { case ingest, transform, enrich, serve }

    private var series = [SlidingLatency](repeating: SlidingLatency(), count: Stage.allCases.count)

    public init() {}

    @inline(__always)
    public mutating func record(_ stage: Stage, nanoseconds: UInt64) {
        series[stage.index].record(max(1, nanoseconds))
    }

    /// The stage's series (lifetime and windows).
    public func sliding(_ stage: Stage) -> SlidingLatency { series[stage.index] }

    /// Closes the current ten-second slot of every stage (`slots` times).
    public mutating func rotate(_ slots: Int) {
        for _ in 0..<slots { for i in series.indices { series[i].rotate() } }
    }

    public struct Summary: Sendable, Equatable {
        public let count: UInt64
        public let p50: UInt64
        public let p99: UInt64
        public let max: UInt64
        public let mean: Double
    }

    /// Since start (or the last reset).
    public func summary(_ stage: Stage) -> Summary {
        let h = series[stage.index].lifetime
        return Summary(count: h.count, p50: h.percentile(50), p99: h.percentile(99), max: h.maxNanoseconds, mean: h.meanNanoseconds)
    }

    public mutating func reset() {
        for i in series.indices { series[i].reset() }
    }
}

extension StageLatency.Stage {
    var index: Int {
        switch self {
        case .ingest: return 0
        case .transform: return 1
        case .enrich: return 2
        case .serve: return 3
        }
    }
}
