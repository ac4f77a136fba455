import Foundation

/// The text of one `streamhub top` screen: header, sources, stage latency, firing alerts, the
/// busiest channels — cut to the terminal's size. Plain lines; the terminal code adds colour.
struct TopScreen {
    enum SourceOrder: CaseIterable { case name, rate, state }
    enum ChannelOrder: CaseIterable { case messages, bytes, subscriptions }

    var sourceOrder = SourceOrder.name
    var channelOrder = ChannelOrder.messages

    func lines(_ s: TopSnapshot, url: String, width: Int, height: Int) -> [String] {
        var out: [String] = []
        let time = ISO8601DateFormatter().string(from: s.at)
        out.append("streamhub top — \(url) — \(time)")
        if let error = s.error {
            out.append("")
            out.append(error)
            return out.map { String($0.prefix(width)) }
        }
        var summary = "status \(s.status)  up \(Self.duration(s.uptimeSeconds))  connections \(s.connections)"
        if let subs = s.subscriptions { summary += "  subscriptions \(subs)" }
        summary += "  channels \(s.channelCount)"
        if let m = s.messagesPerSecond { summary += "  msgs/s \(Int(m.rounded()))" }
        if let busy = s.loopBusyRatio { summary += "  loop \(Int((busy * 100).rounded()))%" }
        if let rss = s.residentBytes { summary += "  rss \(rss >> 20) MiB" }
        out.append(summary)
        out.append("")

        out.append("SOURCES (\(s.sources.count), sorted by \(sourceOrder), key s)")
        out.append(Self.row(["source", "state", "msgs/s", "gaps", "resyncs", "reconn", "last error"], [14, 11, 9, 6, 8, 7, 0]))
        for src in sortedSources(s.sources) {
            out.append(
                Self.row(
                    [src.name, src.state, String(format: "%.1f", src.rate), "\(src.gaps)", "\(src.resyncs)", "\(src.reconnects)", src.lastError ?? ""],
                    [14, 11, 9, 6, 8, 7, 0]))
        }
        if s.sources.isEmpty { out.append("  (no venue feeds)") }
        out.append("")

        out.append("STAGE LATENCY (\(s.stagesSpan))")
        out.append(Self.row(["stage", "p50 ms", "p99 ms", "count"], [12, 10, 10, 12]))
        for st in s.stages {
            out.append(Self.row([st.name, Self.ms(st.p50Ms), Self.ms(st.p99Ms), "\(st.count)"], [12, 10, 10, 12]))
        }
        out.append("")

        if let alerts = s.alerts {
            out.append("ALERTS (\(alerts.filter { $0.state == "firing" }.count) firing, \(alerts.filter { $0.state == "pending" }.count) pending)")
            for a in alerts { out.append(Self.row([a.state.uppercased(), a.rule, a.severity, a.message], [9, 18, 9, 0])) }
        } else {
            out.append("ALERTS — \(s.alertsNote ?? "unavailable")")
        }
        out.append("")

        if let channels = s.channels {
            out.append("TOP CHANNELS (last hour, sorted by \(channelOrder), key c)")
            out.append(Self.row(["channel", "messages", "bytes", "subs"], [44, 12, 12, 6]))
            let room = max(1, height - out.count - 1)
            for ch in sortedChannels(channels).prefix(room) {
                out.append(Self.row([ch.name, "\(ch.messages)", Self.bytes(ch.bytes), "\(ch.subscriptions)"], [44, 12, 12, 6]))
            }
            if channels.isEmpty { out.append("  (no deliveries yet)") }
        } else {
            out.append("TOP CHANNELS — \(s.channelsNote ?? "unavailable")")
        }
        return Array(out.prefix(max(height, 1))).map { String($0.prefix(width)) }
    }

    func sortedSources(_ sources: [TopSnapshot.Source]) -> [TopSnapshot.Source] {
        switch sourceOrder {
        case .name: return sources.sorted { $0.name < $1.name }
        case .rate: return sources.sorted { ($0.rate, $1.name) > ($1.rate, $0.name) }
        case .state: return sources.sorted { ($0.state, $0.name) < ($1.state, $1.name) }
        }
    }

    func sortedChannels(_ channels: [TopSnapshot.Channel]) -> [TopSnapshot.Channel] {
        switch channelOrder {
        case .messages: return channels.sorted { ($0.messages, $1.name) > ($1.messages, $0.name) }
        case .bytes: return channels.sorted { ($0.bytes, $1.name) > ($1.bytes, $0.name) }
        case .subscriptions: return channels.sorted { ($0.subscriptions, $1.name) > ($1.subscriptions, $0.name) }
        }
    }

    mutating func nextSourceOrder() { sourceOrder = Self.next(sourceOrder) }
    mutating func nextChannelOrder() { channelOrder = Self.next(channelOrder) }

    static func next<T: CaseIterable & Equatable>(_ v: T) -> T {
        let all = Array(T.allCases)
        return all[(all.firstIndex(of: v)! + 1) % all.count]
    }

    /// Columns padded to their widths (0: the rest of the line).
    static func row(_ cells: [String], _ widths: [Int]) -> String {
        var line = ""
        for (cell, w) in zip(cells, widths) {
            if w == 0 {
                line += cell
            } else {
                let c = cell.count >= w ? String(cell.prefix(w - 1)) : cell
                line += c + String(repeating: " ", count: w - c.count)
            }
        }
        return "  " + line.trimmingCharacters(in: .whitespaces)
    }

    static func ms(_ v: Double) -> String { v >= 100 ? String(format: "%.0f", v) : v >= 1 ? String(format: "%.2f", v) : String(format: "%.4f", v) }

    static func bytes(_ b: Int) -> String {
        b >= 1 << 30 ? "\(b >> 30) GiB" : b >= 1 << 20 ? "\(b >> 20) MiB" : b >= 1 << 10 ? "\(b >> 10) KiB" : "\(b) B"
    }

    static func duration(_ s: Double) -> String {
        let t = Int(s)
        return t >= 86_400 ? "\(t / 86_400)d\(t % 86_400 / 3600)h" : t >= 3600 ? "\(t / 3600)h\(t % 3600 / 60)m" : t >= 60 ? "\(t / 60)m\(t % 60)s" : "\(t)s"
    }
}
