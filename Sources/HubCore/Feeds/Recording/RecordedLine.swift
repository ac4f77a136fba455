import SimdJSON

/// StreamHub's own recording format (written by `streamhub record`, read by `streamhub replay`):
/// JSON Lines, one object per line —
/// `{"time":1795766400.123456,"venue":"binance","type":"in","frame":"{\"stream\":…}"}`.
/// `type`: `open` (connected to `url`), `in` (a frame received), `out` (a frame sent), `http`
/// (the `body` of a GET of `url`, with `status` — 0 when the request failed, the body then
/// saying why — and the adapter's `tag`), `close` (`reason`). Frames and bodies are JSON
/// strings, so any text (`PING`, a malformed frame) survives exactly.
public struct RecordedLine: Equatable, Sendable {
    public enum Kind: String, Sendable {
        case open
        case received = "in"
        case sent = "out"
        case http, close
    }

    /// Seconds since the Unix epoch (microsecond resolution).
    public var time: Double
    public var venue: String
    public var kind: Kind
    public var url: String?
    public var status: Int?
    /// The adapter's tag of the fetch an `http` line answers.
    public var tag: String?
    /// The frame, the HTTP body or the close reason.
    public var payload: [UInt8]

    public init(time: Double, venue: String, kind: Kind, url: String? = nil, status: Int? = nil, tag: String? = nil, payload: [UInt8] = []) {
        self.time = time
        self.venue = venue
        self.kind = kind
        self.url = url
        self.status = status
        self.tag = tag
        self.payload = payload
    }

    /// The line with its trailing newline.
    public func encoded() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 96)
        JSONWriter.appendLiteral(#"{"time":"#, to: &out)
        out.append(contentsOf: String(format: "%.6f", time).utf8)
        JSONWriter.appendLiteral(#","venue":"#, to: &out)
        JSONWriter.appendString(venue, to: &out)
        JSONWriter.appendLiteral(#","type":"#, to: &out)
        JSONWriter.appendString(kind.rawValue, to: &out)
        if let url {
            JSONWriter.appendLiteral(#","url":"#, to: &out)
            JSONWriter.appendString(url, to: &out)
        }
        if let status {
            JSONWriter.appendLiteral(#","status":"#, to: &out)
            JSONWriter.appendInt(Int64(status), to: &out)
        }
        if let tag {
            JSONWriter.appendLiteral(#","tag":"#, to: &out)
            JSONWriter.appendString(tag, to: &out)
        }
        switch kind {
        case .received, .sent: JSONWriter.appendLiteral(#","frame":""#, to: &out)
        case .http: JSONWriter.appendLiteral(#","body":""#, to: &out)
        case .close: JSONWriter.appendLiteral(#","reason":""#, to: &out)
        case .open: break
        }
        if kind != .open {
            payload.withUnsafeBufferPointer { JSONWriter.appendEscaped($0, to: &out) }
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    /// Seconds since the epoch a recording can hold (1970 to 2096): anything else is corrupt.
    public static func plausible(_ time: Double) -> Bool { time.isFinite && time >= 0 && time < 4e9 }

    /// Reads one line; nil when it is not a recording line.
    public static func decode(_ line: UnsafeRawBufferPointer, parser: JSONParser) -> RecordedLine? {
        try? parser.parse(line) { root -> RecordedLine? in
            guard root.kind == .object, let time = root["time"]?.double, RecordedLine.plausible(time), let venue = root["venue"]?.string,
                let kind = root["type"]?.string.flatMap(Kind.init(rawValue:))
            else { return nil }
            let text = root["frame"] ?? root["body"] ?? root["reason"]
            let payload = text?.withStringBytes { Array($0) } ?? []
            return RecordedLine(
                time: time, venue: venue, kind: kind, url: root["url"]?.string, status: root["status"]?.int64.map { Int($0) }, tag: root["tag"]?.string,
                payload: payload)
        } ?? nil
    }
}
