/// cryptofeed's recording format (Tests/Fixtures/captures/), one line per event:
/// - `TIMESTAMP: JSON` — a frame received on the WebSocket;
/// - `URL <- TIMESTAMP: JSON` — a frame the client sent;
/// - `URL <-> TIMESTAMP` — the WebSocket connected to URL;
/// - `URL -> TIMESTAMP: BODY` — the body of an HTTP GET of URL (a REST snapshot).
public enum CaptureLine: Equatable, Sendable {
    case received(time: Double, payload: Substring)
    case sent(url: Substring, time: Double, payload: Substring)
    case connected(url: Substring, time: Double)
    case http(url: Substring, time: Double, body: Substring)

    /// nil for a blank or unreadable line.
    public init?(_ line: Substring) {
        // Received frames start with the timestamp; the other kinds with a URL.
        if let first = line.first, first.isNumber {
            guard let colon = line.firstIndex(of: ":"), let t = Double(line[..<colon]), RecordedLine.plausible(t) else { return nil }
            self = .received(time: t, payload: line[line.index(after: colon)...].drop { $0 == " " })
            return
        }
        // Markers are looked for before the payload (which may contain them): up to the first ": ".
        let head = line.range(of: ": ").map { line[..<$0.lowerBound] } ?? line[...]
        if let r = head.range(of: " <-> ") {
            guard let t = Double(line[r.upperBound...].trimmingCharacters(in: .whitespaces)), RecordedLine.plausible(t) else { return nil }
            self = .connected(url: line[..<r.lowerBound], time: t)
            return
        }
        for (marker, kind) in [(" <- ", 0), (" -> ", 1)] {
            guard let r = head.range(of: marker), let colon = line[r.upperBound...].firstIndex(of: ":") else { continue }
            guard let t = Double(line[r.upperBound..<colon]), RecordedLine.plausible(t) else { return nil }
            let rest = line[line.index(after: colon)...].drop { $0 == " " }
            self = kind == 0 ? .sent(url: line[..<r.lowerBound], time: t, payload: rest) : .http(url: line[..<r.lowerBound], time: t, body: rest)
            return
        }
        return nil
    }

    public var time: Double {
        switch self {
        case .received(let t, _), .sent(_, let t, _), .connected(_, let t), .http(_, let t, _): return t
        }
    }
}
