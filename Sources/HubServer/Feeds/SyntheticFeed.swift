import HubCore
import WebSocketLoop

/// A generated ticker source publishing at a fixed rate through the full pipeline, for
/// benchmarks and load tests (channels `ticker.synthetic.S<n>`). Like the C reference
/// broadcaster, a 1 ms timer publishes whatever is due, and a publication is about the same
/// size as the reference's (~160 bytes: bid and ask, plus mid, spread and spreadBps from
/// enrichment). `wide` ticks add sizes and a last price (nine properties with enrichment, so
/// many distinct views can be cut from them: the role-view benchmark).
///
/// Threading: loop-confined.
final class SyntheticFeed {
    /// Its source name (and, in a cluster, its lease).
    static let source = "synthetic"
    static let schema = VenueSchema(
        source: source,
        fields: [.init("bid", "bid"), .init("ask", "ask"), .init("bidVolume", "bidVolume"), .init("askVolume", "askVolume"), .init("last", "last")])

    private let rate: Double
    private let wide: Bool
    private let instruments: [String]
    private let pipeline: Pipeline
    private unowned let loop: EventLoop
    private let clock: HubClock
    private var timer: LoopTimer?
    private var started: UInt64 = 0
    private(set) var published: UInt64 = 0
    /// Ticks of a backlog beyond one second, never published (see `publishDue`).
    private(set) var skipped: UInt64 = 0
    private var next = 0

    init(rate: Double, channels: Int, wide: Bool = false, pipeline: Pipeline, loop: EventLoop, clock: HubClock) {
        self.clock = clock
        self.rate = rate
        self.wide = wide
        instruments = (0..<channels).map { "S\($0)" }
        self.pipeline = pipeline
        self.loop = loop
    }

    func start() {
        started = clock.monotonicNanoseconds()
        timer = loop.every(0.001) { [weak self] in self?.publishDue() }
    }

    func stop() { timer?.cancel() }

    private func publishDue() {
        let elapsed = Double(clock.monotonicNanoseconds() - started) / 1e9
        let due = UInt64(elapsed * rate)
        // A stalled loop or a clock moved forward owes at most a second of ticks: the rest of
        // the backlog is skipped, never published in one burst.
        let ceiling = UInt64(max(rate, 1))
        if due > published + skipped + ceiling { skipped = due - published - ceiling }
        // A cluster node generates only while it holds the source's lease.
        guard pipeline.hub.holds(Self.source) else {
            skipped = due - published
            return
        }
        while published + skipped < due {
            let n = Double(published % 7)
            let now = clock.wallMicroseconds()
            let event = RawEvent(
                source: "synthetic", instrument: instruments[next], stream: .ticker, exchangeTime: now / 1000, receiveTime: now,
                sequence: published,
                fields: wide
                    ? [
                        RawField(0, .number(100 + n)), RawField(1, .number(100.5 + n)), RawField(2, .number(3 + n)), RawField(3, .number(4)),
                        RawField(4, .number(100.25 + n)),
                    ]
                    : [RawField(0, .number(100 + n)), RawField(1, .number(100.5 + n))])
            pipeline.process(event)
            published += 1
            next = next + 1 == instruments.count ? 0 : next + 1
        }
    }
}
