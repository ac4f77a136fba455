import Foundation

/// What `streamhub top` shows, read from the hub's REST API in one pass. `/healthz` gives the
/// status to anyone and, with `monitoring:read`, sources, lifetime stage latency and
/// connections; without it the sources come from `/api/streams` (`streams:read`). The last
/// minute's percentiles, firing alerts and the busiest channels need `monitoring:read` and
/// `analytics:read` — a section the caller may not read says so instead.
struct TopSnapshot {
    struct Source {
        let name: String
        let state: String
        let rate: Double
        let gaps: Int
        let resyncs: Int
        let reconnects: Int
        let lastError: String?
    }

    struct Stage {
        let name: String
        let p50Ms: Double
        let p99Ms: Double
        let count: Int
    }

    struct Channel {
        let name: String
        let messages: Int
        let bytes: Int
        let subscriptions: Int
    }

    struct Alert {
        let rule: String
        let state: String
        let severity: String
        let message: String
    }

    var at = Date()
    var status = "?"
    var uptimeSeconds = 0.0
    var connections = 0
    var subscriptions: Int?
    var channelCount = 0
    var residentBytes: Int?
    var loopBusyRatio: Double?
    var messagesPerSecond: Double?
    var sources: [Source] = []
    var stages: [Stage] = []
    /// Where the stage figures come from: `last minute` or `since start`.
    var stagesSpan = "since start"
    var channels: [Channel]?
    var channelsNote: String?
    var alerts: [Alert]?
    var alertsNote: String?
    var error: String?

    /// Reads every section (channels only when `withChannels`: the usage query writes a roll-up).
    static func read(_ http: HubHTTP, withChannels: Bool, previous: TopSnapshot?) -> TopSnapshot {
        var s = TopSnapshot()
        switch http.json("/healthz") {
        case .failure(let e):
            s.error = "cannot read \(e)"
            return s
        case .success(let h):
            s.status = h["status"] as? String ?? "?"
            s.uptimeSeconds = h["uptimeSeconds"] as? Double ?? 0
            s.connections = h["connections"] as? Int ?? 0
            s.channelCount = h["channels"] as? Int ?? 0
            var sources = h["sources"] as? [[String: Any]]
            if sources == nil, case .success(let streams) = http.json("/api/streams") { sources = streams["sources"] as? [[String: Any]] }
            s.sources = (sources ?? []).map {
                Source(
                    name: $0["name"] as? String ?? "?", state: $0["state"] as? String ?? "?", rate: $0["msgsPerSecond"] as? Double ?? 0,
                    gaps: $0["gaps"] as? Int ?? 0, resyncs: $0["resyncs"] as? Int ?? 0, reconnects: $0["reconnects"] as? Int ?? 0,
                    lastError: $0["lastError"] as? String)
            }
            let pipeline = h["pipeline"] as? [String: [String: Any]] ?? [:]
            s.stages = ["ingest", "transform", "enrich", "serve"].map { name in
                let p = pipeline[name] ?? [:]
                return Stage(
                    name: name, p50Ms: Double(p["p50Ns"] as? Int ?? 0) / 1e6, p99Ms: Double(p["p99Ns"] as? Int ?? 0) / 1e6, count: p["count"] as? Int ?? 0)
            }
        }
        if case .success(let p) = http.json("/api/monitoring/performance") {
            let minute = (p["windows"] as? [String: Any])?["1m"] as? [String: Any] ?? [:]
            let stages = minute["stages"] as? [String: [String: Any]] ?? [:]
            s.stages = ["ingest", "transform", "enrich", "serve"].map { name in
                let x = stages[name] ?? [:]
                return Stage(name: name, p50Ms: x["p50Ms"] as? Double ?? 0, p99Ms: x["p99Ms"] as? Double ?? 0, count: x["count"] as? Int ?? 0)
            }
            s.stagesSpan = "last minute"
            s.subscriptions = p["subscriptions"] as? Int
            s.residentBytes = (p["memory"] as? [String: Any])?["residentBytes"] as? Int
            s.loopBusyRatio = p["loopBusyRatio"] as? Double
            s.messagesPerSecond = (minute["throughput"] as? [String: Any])?["messagesPerSecond"] as? Double
        }
        switch http.json("/api/monitoring/alerts") {
        case .success(let a):
            s.alerts = (a["alerts"] as? [[String: Any]] ?? []).compactMap {
                let state = $0["state"] as? String ?? ""
                guard state == "firing" || state == "pending" else { return nil }
                return Alert(
                    rule: $0["rule"] as? String ?? "?", state: state, severity: $0["severity"] as? String ?? "", message: $0["message"] as? String ?? "")
            }
        case .failure(let e): s.alertsNote = "\(e)"
        }
        if withChannels {
            switch http.json("/api/analytics/usage?by=channel&window=1h&top=50") {
            case .success(let u):
                s.channels = (u["top"] as? [[String: Any]] ?? []).map {
                    let c = $0["counters"] as? [String: Any] ?? [:]
                    return Channel(
                        name: $0["key"] as? String ?? "?", messages: c["messages"] as? Int ?? 0, bytes: c["bytes"] as? Int ?? 0,
                        subscriptions: c["subscriptions"] as? Int ?? 0)
                }
            case .failure(let e): s.channelsNote = "\(e)"
            }
        } else {
            s.channels = previous?.channels
            s.channelsNote = previous?.channelsNote
        }
        return s
    }
}
