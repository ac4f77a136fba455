/// A channel name or a subscription pattern: `<stream>.<venue>.<instrument>`, where a
/// subscription may put `*` in place of any whole segment.
///
/// Rules: exactly three segments. Stream and venue are `[a-z0-9_-]{1,32}`; the instrument is
/// 1–128 printable ASCII characters other than space, `"`, `\` and `*`, and may contain `.` (it is
/// everything after the second dot).
public struct ChannelPattern: Hashable, Sendable, CustomStringConvertible {
    /// nil means `*`.
    public let stream: String?
    public let venue: String?
    public let instrument: String?

    public var isExact: Bool { stream != nil && venue != nil && instrument != nil }

    /// Every channel `other` matches, this matches too (`*.deribit.*` covers `ticker.deribit.*`).
    public func covers(_ other: ChannelPattern) -> Bool {
        func seg(_ a: String?, _ b: String?) -> Bool { a == nil || a == b }
        return seg(stream, other.stream) && seg(venue, other.venue) && seg(instrument, other.instrument)
    }

    /// Some channel matches both.
    public func overlaps(_ other: ChannelPattern) -> Bool {
        func seg(_ a: String?, _ b: String?) -> Bool { a == nil || b == nil || a == b }
        return seg(stream, other.stream) && seg(venue, other.venue) && seg(instrument, other.instrument)
    }
    public var description: String { "\(stream ?? "*").\(venue ?? "*").\(instrument ?? "*")" }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case segments, emptySegment
        case invalidCharacter(String)
        case tooLong

        public var description: String {
            switch self {
            case .segments: return "a channel has three segments: <stream>.<venue>.<instrument>"
            case .emptySegment: return "a channel segment is empty"
            case .invalidCharacter(let segment): return "invalid character in channel segment '\(segment)'"
            case .tooLong: return "channel segment too long"
            }
        }
    }

    public init(stream: String?, venue: String?, instrument: String?) {
        self.stream = stream
        self.venue = venue
        self.instrument = instrument
    }

    /// Parses a pattern; `allowWildcards: false` parses a concrete channel name.
    public init(parsing text: String, allowWildcards: Bool = true) throws(ParseError) {
        let utf8 = Array(text.utf8)
        guard let d1 = utf8.firstIndex(of: UInt8(ascii: ".")),
            let d2 = utf8[(d1 + 1)...].firstIndex(of: UInt8(ascii: "."))
        else { throw .segments }
        let s = utf8[..<d1], v = utf8[(d1 + 1)..<d2], i = utf8[(d2 + 1)...]
        stream = try Self.segment(s, allowWildcards, name: true)
        venue = try Self.segment(v, allowWildcards, name: true)
        instrument = try Self.segment(i, allowWildcards, name: false)
    }

    private static func segment(_ bytes: ArraySlice<UInt8>, _ wildcards: Bool, name: Bool) throws(ParseError) -> String? {
        guard !bytes.isEmpty else { throw .emptySegment }
        let text = String(decoding: bytes, as: UTF8.self)
        if bytes.count == 1 && bytes.first == UInt8(ascii: "*") {
            guard wildcards else { throw .invalidCharacter(text) }
            return nil
        }
        guard bytes.count <= (name ? 32 : 128) else { throw .tooLong }
        for b in bytes {
            let ok: Bool
            if name {
                ok = (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
            } else {
                ok = b > 0x20 && b < 0x7F && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") && b != UInt8(ascii: "*")
            }
            guard ok else { throw .invalidCharacter(text) }
        }
        return text
    }

    public func matches(_ key: ChannelKey) -> Bool {
        (stream == nil || stream == key.stream.rawValue) && (venue == nil || venue == key.source)
            && (instrument == nil || instrument == key.instrument)
    }
}

/// The identity of a concrete channel, hashable without building its name.
public struct ChannelKey: Hashable, Sendable {
    public let stream: StreamKind
    public let source: String
    public let instrument: String

    public init(stream: StreamKind, source: String, instrument: String) {
        self.stream = stream
        self.source = source
        self.instrument = instrument
    }

    public var name: String { "\(stream.rawValue).\(source).\(instrument)" }

    /// The key of a concrete channel name (`stream.source.instrument` of a known stream), or nil.
    public init?(name: String) {
        guard let p = try? ChannelPattern(parsing: name, allowWildcards: false), let stream = p.stream.flatMap(StreamKind.init(rawValue:)) else {
            return nil
        }
        self.init(stream: stream, source: p.venue!, instrument: p.instrument!)
    }
}
