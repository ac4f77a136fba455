/// Strict Codable decoding for configuration and REST bodies: unknown keys are errors that name
/// their path, absent keys take defaults.
public struct AnyCodingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int?
    public init(stringValue: String) { self.stringValue = stringValue }
    public init(intValue: Int) {
        stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

extension Decoder {
    /// A keyed container that throws `DecodingError.dataCorrupted` at the path of a key not in `K`.
    /// `alsoKnown`: keys decoded elsewhere (a `feeds:` mapping's venue sections).
    public func strictContainer<K: CodingKey & CaseIterable>(_: K.Type, alsoKnown: [String] = []) throws -> KeyedDecodingContainer<K> {
        let all = try container(keyedBy: AnyCodingKey.self)
        let known = Set(K.allCases.map(\.stringValue) + alsoKnown)
        for key in all.allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath + [key], debugDescription: "unknown key (known: \(known.sorted().joined(separator: ", ")))"))
        }
        return try container(keyedBy: K.self)
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent.
    public func value<T: Decodable>(_ key: Key, _ fallback: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? fallback
    }
}

extension DecodingError {
    /// `(key path, message)` for people: "rules.min", "expected a number".
    public var keyPathAndReason: (String, String) {
        func path(_ p: [CodingKey]) -> String {
            p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch self {
        case .typeMismatch(let type, let ctx): return (path(ctx.codingPath), "expected \(Self.describe(type))")
        case .valueNotFound(let type, let ctx): return (path(ctx.codingPath), "expected \(Self.describe(type)), found null")
        case .keyNotFound(let k, let ctx): return (path(ctx.codingPath + [k]), "is required")
        case .dataCorrupted(let ctx): return (path(ctx.codingPath), ctx.debugDescription)
        @unknown default: return ("", "\(self)")
        }
    }

    static func describe(_ t: Any.Type) -> String {
        switch t {
        case is Int.Type, is Int64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        case is [String].Type: return "a list of strings"
        default:
            let name = "\(t)"
            if name.hasSuffix("Scalar") { return "a single value" }
            if name.hasSuffix("Mapping") || name.hasPrefix("Dictionary") { return "a mapping (key: value)" }
            if name.hasSuffix("Sequence") || name.hasPrefix("Array") { return "a list" }
            return name
        }
    }
}

extension String {
    fileprivate func replacingOccurrences(of a: String, with b: String) -> String {
        guard !a.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: a) {
            out += rest[..<r.lowerBound]
            out += b
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
