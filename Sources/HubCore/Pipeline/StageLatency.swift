import Histogram

/// Per-stage latency of the pipeline in nanoseconds (HdrHistogram: O(1) record, no allocation).
public struct StageLatency: Sendable {
    public enum Stage: String, CaseIterable, Sendable { case ingest, transform, enrich, serve }

    private var histograms: [Histogram<UInt64>]

    public init() {
        histograms = Stage.allCases.map { _ in
            var h = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .two)
            h.autoResize = true
            return h
        }
    }

    @inline(__always)
    public mutating func record(_ stage: Stage, nanoseconds: UInt64) {
        _ = histograms[stage.index].record(max(1, nanoseconds))
    }

    public func histogram(_ stage: Stage) -> Histogram<UInt64> { histograms[stage.index] }

    public struct Summary: Sendable, Equatable {
        public let count: UInt64
        public let p50: UInt64
        public let p99: UInt64
        public let max: UInt64
    }

    public func summary(_ stage: Stage) -> Summary {
        let h = histograms[stage.index]
        return Summary(count: h.totalCount, p50: h.valueAtPercentile(50), p99: h.valueAtPercentile(99), max: h.max)
    }

    public mutating func reset() {
        for i in histograms.indices { histograms[i].reset() }
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
