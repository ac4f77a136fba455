import ArgumentParser
import Foundation
import HubCore
import HubServer
import Venues
import Workloads

/// Decode → transform → enrich → serve on one thread over a recorded Deribit session
/// (cryptofeed's capture in Tests/Fixtures/captures/), replayed in a loop. Serving includes
/// serialising per view and filling subscriber frames, everything but the socket write.
struct PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pipeline", abstract: "Pipeline throughput on one core over a recorded capture.")

    @Option(help: "Capture file (cryptofeed line format).") var capture = "Tests/Fixtures/captures/DERIBIT.ws.1.0"
    @Option(help: "Seconds per measurement.") var seconds = 3.0
    @Option(help: "Subscribers, each with its own view (distinct field projection); 0 for none.") var views = 1
    @Flag(help: "Skip the decode-only measurement.") var skipDecode = false
    @Option(help: "Property definitions (the registry transformation validates against).") var properties = "config/properties"
    @Option(
        help:
            "Write the first subscriber's publications of one pass over the capture here, one per line (what it would receive; input for Benchmarks/deflate-ratio.py)."
    )
    var publications: String?

    func run() throws {
        guard let text = try? String(contentsOfFile: capture, encoding: .utf8) else {
            throw ValidationError("cannot read --capture \(capture)")
        }
        let frames: [[UInt8]] = text.split(separator: "\n").compactMap { line in
            guard !line.contains(" <- "), !line.contains(" <-> "), let colon = line.firstIndex(of: ":") else { return nil }
            return Array(line[line.index(after: colon)...].drop { $0 == " " }.utf8)
        }
        let bytes = frames.reduce(0) { $0 + $1.count }
        print("capture: \(frames.count) frames, \(bytes / max(frames.count, 1)) bytes on average")

        // 1. Decoding alone (simdjson through the Deribit codec).
        let codec = DeribitCodec()
        var decoded = 0
        let decodeRate =
            skipDecode
            ? 0
            : Self.loop(seconds) {
                for f in frames {
                    f.withUnsafeBytes { b in try? codec.decode(b, receiveTime: 0) { _ in decoded += 1 } }
                }
                return frames.count
            }
        print(String(format: "decode:   %10.0f frames/s  (%.0f MB/s)", decodeRate, decodeRate * Double(bytes) / Double(frames.count) / 1e6))

        // 2. The whole pipeline with subscribers draining frames.
        let registry = PropertyRegistry()
        try registry.load(try PropertySeedLoader.load(directory: properties))
        let props = registry.table
        let hub = Hub(properties: props, projectable: { registry.id($0) })
        let pipeline = Pipeline(transform: Transform(registry: registry, schemas: [DeribitField.schema]), enrich: Enrich(properties: props), hub: hub)
        let feed = DeribitFeed(config: DeribitFeedConfig())
        let fieldSets = ViewWorkload.projections(props, count: views)
        let sessions = ViewWorkload.subscribers(hub, views: fieldSets)
        var frameBuffer: [UInt8] = []
        frameBuffer.reserveCapacity(1 << 20)
        /// One pass over the capture as a new connection (the session replays from its
        /// snapshots), every subscriber's frames drained; `record` sees each frame filled.
        func replay(record: ((Session, [UInt8]) -> Void)? = nil) {
            // A local for the pass: the captured variable is boxed, and every `&` of it per
            // subscriber and frame was a dynamic exclusivity check (a tenth of the time with 50).
            var frame: [UInt8] = []
            swap(&frame, &frameBuffer)
            defer { swap(&frame, &frameBuffer) }
            _ = feed.connected(now: 0)
            for f in frames {
                _ = f.withUnsafeBytes { b in feed.received(b, now: 1, wallMicros: 0) { pipeline.process($0) } }
                for s in sessions {
                    frame.removeAll(keepingCapacity: true)
                    while case .frame(let more) = hub.fillFrame(s, into: &frame) {
                        record?(s, frame)
                        frame.removeAll(keepingCapacity: true)
                        if !more { break }
                    }
                }
            }
        }
        if let publications {
            guard let first = sessions.first else { throw ValidationError("--publications needs --views 1 or more") }
            var written: [UInt8] = []
            replay { s, frame in if s === first { written += frame + [0x0A] } }
            guard FileManager.default.createFile(atPath: publications, contents: Data(written)) else {
                throw ValidationError("cannot write --publications \(publications)")
            }
            print("publications: \(written.split(separator: 0x0A).count) written to \(publications)")
        }
        let rate = Self.loop(seconds) {
            let before = pipeline.transform.ticks
            replay()
            return Int(pipeline.transform.ticks - before)
        }
        let messagesOut = hub.counters.messagesOut
        print(String(format: "pipeline: %10.0f ticks/s on one core, %d view(s), %llu messages serialised and framed", rate, sessions.count, messagesOut))
        for stage in StageLatency.Stage.allCases {
            let s = pipeline.latency.summary(stage)
            print(
                String(format: "  %-9@ p50 %6.2f µs  p99 %6.2f µs  (n=%llu)", stage.rawValue as NSString, Double(s.p50) / 1000, Double(s.p99) / 1000, s.count))
        }
        print("  feed: gaps \(feed.status.gaps), decode errors \(feed.status.decodeErrors), quarantined \(pipeline.transform.quarantinedCount)")
    }

    /// Runs `body` repeatedly for `seconds`; returns units per second (`body` returns units done).
    static func loop(_ seconds: Double, _ body: () -> Int) -> Double {
        let start = MonotonicClock.nanoseconds()
        var units = 0
        while Double(MonotonicClock.nanoseconds() - start) / 1e9 < seconds { units += body() }
        return Double(units) / (Double(MonotonicClock.nanoseconds() - start) / 1e9)
    }
}
