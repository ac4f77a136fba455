import HubCore

/// Each upstream source's health, as `/api/streams`, `/healthz` and the `sources.hub.<venue>`
/// channels show it: state, message rate, last-message age and the counters. Once a second it
/// publishes every source's status through the pipeline (so subscribers, history and Redis get
/// it like any other channel).
///
/// Threading: loop-confined.
final class SourceMonitor {
    /// The hub's own data appears as source `hub` (its fields: `HubSchema`).
    static let schema = HubSchema.schema

    /// What is monitored: a venue connection's adapter and its reconnect count.
    struct Source {
        let name: String
        let url: String
        let status: () -> FeedStatus
        let reconnects: () -> UInt64
        /// Frames refused for their size (counted with the decode errors).
        var oversizedFrames: () -> UInt64 = { 0 }
    }

    typealias Report = SourceReport

    private var sources: [Source] = []
    private var rate: [String: (messages: UInt64, at: UInt64, perSecond: Double)] = [:]
    private let pipeline: Pipeline
    private let clock: HubClock

    /// This node's id in a cluster: published as each source's `node`.
    var node: String?

    init(pipeline: Pipeline, clock: HubClock) {
        self.pipeline = pipeline
        self.clock = clock
    }

    func add(_ s: Source) { sources.append(s) }

    /// Updates rates and publishes each source's status (call about once a second).
    func tick() {
        let now = clock.monotonicNanoseconds()
        // In a cluster, a source's status is published by the node running it.
        for s in sources where pipeline.hub.holds(s.name) {
            let st = s.status()
            if let last = rate[s.name], now > last.at {
                rate[s.name] = (st.messages, now, Double(st.messages &- last.messages) / (Double(now - last.at) / 1e9))
            } else {
                rate[s.name] = (st.messages, now, 0)
            }
            let r = report(s, st, now: now, channels: 0)
            let wall = clock.wallMicroseconds()
            var fields = [
                HubSchema.field(.feedState, .string(r.state)), HubSchema.field(.msgsPerSecond, .number((r.msgsPerSecond * 10).rounded() / 10)),
                HubSchema.field(.reconnects, .integer(Int64(r.reconnects))), HubSchema.field(.gaps, .integer(Int64(r.gaps))),
                HubSchema.field(.decodeErrors, .integer(Int64(r.decodeErrors))),
            ]
            if let age = r.lastMessageAgeMs { fields.append(HubSchema.field(.lastMessageAgeMs, .number(age.rounded()))) }
            if let node { fields.append(HubSchema.field(.feedNode, .string(node))) }
            var event = RawEvent(source: "hub", instrument: s.name, stream: .sources, exchangeTime: wall / 1000, receiveTime: wall, fields: fields)
            // The instruments still waiting, comma-separated; withdrawn once none waits.
            if r.waiting.isEmpty {
                event.removed = [UInt16(HubSchema.Field.waiting.rawValue)]
            } else {
                event.fields.append(HubSchema.field(.waiting, .string(r.waiting.joined(separator: ","))))
            }
            pipeline.process(event, lease: s.name)
        }
    }

    /// Every source's report, with its channel count from `hub`.
    func reports(hub: Hub) -> [Report] {
        let now = clock.monotonicNanoseconds()
        let counts = hub.channelCounts()
        return sources.map { report($0, $0.status(), now: now, channels: counts[$0.name] ?? 0) }
    }

    /// A cluster node's state of a feed another node runs.
    static let standby = "standby"

    private func report(_ s: Source, _ st: FeedStatus, now: UInt64, channels: Int) -> Report {
        Report(
            name: s.name, state: pipeline.hub.holds(s.name) ? st.state.rawValue : Self.standby, url: s.url, msgsPerSecond: rate[s.name]?.perSecond ?? 0,
            messages: st.messages, events: st.events,
            gaps: st.gaps, resyncs: st.resyncs, reconnects: s.reconnects(), decodeErrors: st.decodeErrors + s.oversizedFrames(), heartbeats: st.heartbeats,
            lastMessageAgeMs: st.lastMessageAt == 0 ? nil : Double(now &- st.lastMessageAt) / 1e6, lastError: st.lastError, channels: channels,
            waiting: st.waiting)
    }
}

/// One source's health: state, message rate, counters, last-message age, its channels.
public struct SourceReport: Encodable, Sendable {
    public let name: String
    public let state: String
    public let url: String
    public let msgsPerSecond: Double
    public let messages: UInt64
    public let events: UInt64
    public let gaps: UInt64
    public let resyncs: UInt64
    public let reconnects: UInt64
    public let decodeErrors: UInt64
    public let heartbeats: UInt64
    /// Milliseconds since the last frame (nil before the first).
    public let lastMessageAgeMs: Double?
    public let lastError: String?
    /// Channels this source publishes on.
    public let channels: Int
    /// Instruments not yet synchronised (a book waiting for its snapshot).
    public let waiting: [String]
}
