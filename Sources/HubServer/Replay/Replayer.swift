import Foundation
import HubCore
import Logging
import SimdJSON

/// Bulk import: pushes recordings through a venue adapter and the same pipeline stages as live
/// data (transform → validate/quarantine → enrich → serve into channels, history and Redis
/// when configured). Reads cryptofeed's capture line format (`Tests/Fixtures/captures/`)
/// (`CaptureLine`) and StreamHub's own JSON Lines (`RecordedLine`); several files are merged in
/// time order (a WebSocket capture with its REST snapshots). Frames carry the recording's times.
///
/// Threading: single-threaded; owns its pipeline (no event loop, no listener).
public final class Replayer {

    /// What a replay did.
    public struct Summary: Encodable, Equatable, Sendable {
        public var venue = ""
        public var files: [String] = []
        public var lines = 0
        /// Frames received from the venue and pushed through the adapter.
        public var frames = 0
        public var sentFrames = 0
        public var httpResponses = 0
        public var connections = 0
        /// Lines in neither format (cryptofeed's `configuration:` header, say): skipped.
        public var unreadableLines = 0
        /// Events the adapter decoded, ticks published after validation, values quarantined.
        public var events: UInt64 = 0
        public var ticks: UInt64 = 0
        public var quarantined: UInt64 = 0
        public var decodeErrors: UInt64 = 0
        public var gaps: UInt64 = 0
        public var resyncs: UInt64 = 0
        public var channels = 0
        public var seconds = 0.0
        public var framesPerSecond = 0.0
        public var feedState = ""
        public var lastError: String?
    }

    public struct Progress: Sendable {
        public let bytesRead: Int
        public let totalBytes: Int
        public let frames: Int
        public let ticks: UInt64
    }

    private let config: HubConfig
    private let venues: [any Venue]
    private let plane: DataPlane
    private var pipeline: Pipeline { plane.pipeline }
    private let parser = JSONParser(maxDocumentBytes: 64 << 20)

    /// - Parameter venues: the venues recordings may come from (the registry).
    public init(config: HubConfig, venues: [any Venue], logger: Logger = Logger(label: "streamhub.replay")) throws {
        self.config = config
        self.venues = venues
        let store = try IdentitySetup.openStore(config, logger: logger)
        let registry = try PropertySeedLoader.seeded(store: store, seedDirectory: config.properties.seedDirectory, logger: logger)
        plane = try DataPlane(
            config: config, store: store, registry: registry, schemas: venues.map(\.schema) + FeedSupervisor.schemas, clock: SystemClock(),
            cluster: nil, logger: logger)
    }

    /// Waits for the history writer (Redis) to drain and stops it.
    public func finish() {
        plane.stopHistory()
    }

    /// The venue `id` names, or an error listing the known ones.
    func venue(_ id: String) throws -> any Venue {
        guard let v = venues.first(where: { $0.id == id }) else {
            throw ReplayError("unknown venue '\(id)' (one of \(venues.map(\.id).joined(separator: ", ")))")
        }
        return v
    }

    /// One recording line, either format.
    enum Line {
        case capture(CaptureLine)
        case recorded(RecordedLine)

        var time: Double {
            switch self {
            case .capture(let c): return c.time
            case .recorded(let r): return r.time
            }
        }
    }

    func parse(_ bytes: ArraySlice<UInt8>) -> Line? {
        guard let first = bytes.first(where: { $0 != UInt8(ascii: " ") }) else { return nil }
        if first == UInt8(ascii: "{") {
            return bytes.withUnsafeBytes { RecordedLine.decode($0, parser: parser) }.map(Line.recorded)
        }
        return CaptureLine(Substring(decoding: bytes, as: UTF8.self)).map(Line.capture)
    }

    public func replay(files: [String], venue: String, progress: (Progress) -> Void = { _ in }) throws -> Summary {
        let source = try self.venue(venue)
        guard !files.isEmpty else { throw ReplayError("name at least one recording") }
        let readers = try files.map { try LineReader(path: $0) }
        let total = files.reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        var summary = Summary()
        summary.venue = venue
        summary.files = files
        let started = MonotonicClock.nanoseconds()
        let publishedBefore = pipeline.hub.counters.publications
        let quarantinedBefore = pipeline.transform.quarantinedCount

        var feed: FeedAdapter?
        var opened = false  // a connection of the recording is open (frames arrived or it connected)
        var lastTimer: UInt64 = 0
        var fetches: [String: String] = [:]  // URL → tag of the adapter's outstanding fetches
        let emit: (RawEvent) -> Void = { [pipeline] in pipeline.process($0) }
        func perform(_ actions: [FeedAction]) {
            for case .fetch(let url, let tag) in actions { fetches[url] = tag }
        }
        func adapter(_ url: String?) throws -> FeedAdapter {
            if let feed { return feed }
            let made = source.replayAdapter(in: config.feeds.venues, recordedURL: url)
            feed = made
            perform(made.connected(now: 1))
            return made
        }

        // The next line of each file; the earliest goes first.
        var heads: [Line?] = []
        func advance(_ i: Int) throws -> Line? {
            while let raw = try readers[i].next() {
                summary.lines += 1
                if raw.allSatisfy({ $0 == UInt8(ascii: " ") }) { continue }
                if let line = parse(raw) { return line }
                summary.unreadableLines += 1
            }
            return nil
        }
        for i in readers.indices { heads.append(try advance(i)) }
        var lastProgress = started
        while let i = heads.indices.filter({ heads[$0] != nil }).min(by: { heads[$0]!.time < heads[$1]!.time }) {
            let line = heads[i]!
            heads[i] = try advance(i)
            let now = UInt64(max(0, line.time) * 1e9) + 2, wall = Int64(line.time * 1e6)
            func connect(_ url: String?) throws {
                summary.connections += 1
                if let f = feed, opened {
                    f.disconnected(now: now, reason: "recording: new connection")
                    perform(f.connected(now: now))
                } else {
                    _ = try adapter(url)
                }
                opened = true
            }
            func receive(_ bytes: UnsafeRawBufferPointer) throws {
                opened = true
                summary.frames += 1
                let f = try adapter(nil)
                perform(f.received(bytes, now: now, wallMicros: wall, emit: emit))
            }
            func answer(_ url: String?, tag recorded: String?, status: Int, _ body: [UInt8]) throws {
                summary.httpResponses += 1
                let f = try adapter(nil)
                // Our recordings name the fetch they answer; captures are matched by URL.
                let tag: String?
                if let recorded {
                    tag = recorded
                    fetches = fetches.filter { $0.value != recorded }
                } else {
                    tag = url.flatMap { fetchTag($0, &fetches) }
                }
                guard let tag else { return }
                let result: FetchResult = status == 0 ? .failed(String(decoding: body, as: UTF8.self)) : .response(status: status, body: body)
                perform(f.fetched(tag: tag, result, now: now, wallMicros: wall, emit: emit))
            }
            // The adapter's once-a-second timer runs on the recording's clock (snapshot retries…).
            if let f = feed, opened, now > lastTimer + 1_000_000_000 {
                lastTimer = now
                perform(f.timer(now: now))
            }
            switch line {
            case .capture(let c):
                switch c {
                case .connected(let url, _): try connect(String(url))
                case .received(_, let payload):
                    var bytes = Array(payload.utf8)
                    try bytes.withUnsafeMutableBytes { try receive(UnsafeRawBufferPointer($0)) }
                case .http(let url, _, let body): try answer(String(url), tag: nil, status: 200, Array(body.utf8))
                case .sent: summary.sentFrames += 1
                }
            case .recorded(let r):
                guard r.venue == venue else { continue }
                switch r.kind {
                case .open: try connect(r.url)
                case .received: try r.payload.withUnsafeBytes { try receive($0) }
                case .http: try answer(r.url, tag: r.tag, status: r.status ?? 200, r.payload)
                case .sent: summary.sentFrames += 1
                case .close: feed?.disconnected(now: now, reason: String(decoding: r.payload, as: UTF8.self))
                }
            }
            let t = MonotonicClock.nanoseconds()
            if t - lastProgress > 100_000_000 {
                lastProgress = t
                progress(
                    Progress(
                        bytesRead: readers.reduce(0) { $0 + $1.bytesRead }, totalBytes: total, frames: summary.frames,
                        ticks: pipeline.hub.counters.publications - publishedBefore))
            }
        }
        summary.seconds = Double(MonotonicClock.nanoseconds() - started) / 1e9
        summary.framesPerSecond = summary.seconds > 0 ? (Double(summary.frames) / summary.seconds).rounded() : 0
        summary.ticks = pipeline.hub.counters.publications - publishedBefore
        summary.quarantined = pipeline.transform.quarantinedCount - quarantinedBefore
        summary.channels = pipeline.hub.channelCount
        if let f = feed {
            summary.events = f.status.events
            summary.decodeErrors = f.status.decodeErrors
            summary.gaps = f.status.gaps
            summary.resyncs = f.status.resyncs
            summary.feedState = f.status.state.rawValue
            summary.lastError = f.status.lastError
        }
        progress(Progress(bytesRead: total, totalBytes: total, frames: summary.frames, ticks: summary.ticks))
        return summary
    }

    /// The tag of the fetch a recorded HTTP response answers: the same URL, else the same
    /// `symbol` (a capture made by another client asks with other parameters).
    private func fetchTag(_ url: String, _ fetches: inout [String: String]) -> String? {
        if let tag = fetches.removeValue(forKey: url) { return tag }
        func symbol(_ u: String) -> String? { URLComponents(string: u)?.queryItems?.first { $0.name == "symbol" }?.value }
        guard let s = symbol(url), let match = fetches.first(where: { symbol($0.key) == s }) else { return nil }
        fetches[match.key] = nil
        return match.value
    }
}
