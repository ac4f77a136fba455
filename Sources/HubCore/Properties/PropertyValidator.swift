/// A property's rules compiled for the hot path: type check, bounds, enum set, pattern with a
/// cache of strings already accepted (venue strings repeat: "BTC", "buy", "open").
final class PropertyValidator: @unchecked Sendable {
    private let type: PropertyType
    private let min: Double?
    private let max: Double?
    private let values: Set<String>?
    private let pattern: Regex<AnyRegexOutput>?
    private let maxLength: Int?
    private var accepted: Set<String> = []
    /// The last two strings accepted. Venue strings repeat tick after tick ("open", "call",
    /// "BTC"): comparing with them is cheaper than hashing for the sets, every tick.
    private var recent: (String?, String?) = (nil, nil)

    init(_ def: PropertyDefinition) {
        type = def.type
        min = def.rules.min
        max = def.rules.max
        values = def.rules.values.map(Set.init)
        pattern = def.rules.pattern.flatMap { try? Regex($0) }  // checked when the definition was accepted
        maxLength = def.rules.maxLength
    }

    @inline(__always)
    func problem(_ value: PropertyValue) -> String? {
        switch (type, value) {
        case (.decimal, .number(let d)): return bounds(d)
        case (.decimal, .integer(let i)): return bounds(Double(i))
        case (.integer, .integer(let i)), (.timestamp, .integer(let i)): return bounds(Double(i))
        case (.integer, .number(let d)), (.timestamp, .number(let d)):
            return d == d.rounded(.towardZero) ? bounds(d) : "expected \(type.rawValue), got \(d)"
        case (.bool, .bool): return nil
        case (.string, .string(let s)): return string(s)
        case (.enum, .string(let s)):
            if isRecent(s) { return nil }
            guard values?.contains(s) == true else {
                return "'\(s.prefix(64))' is not one of \(values?.sorted().joined(separator: ", ") ?? "")"
            }
            remember(s)
            return nil
        case (.array, .levels(let levels)):
            for l in levels where !l.price.isFinite || !l.amount.isFinite || l.amount < 0 || l.price < 0 {
                return "book level is not a non-negative finite price and amount"
            }
            return nil
        default:
            return "expected \(type.rawValue), got \(value.kindName)"
        }
    }

    @inline(__always)
    private func bounds(_ d: Double) -> String? {
        guard d.isFinite else { return "number is not finite" }
        if let min, d < min { return "\(d) is below the minimum \(min)" }
        if let max, d > max { return "\(d) is above the maximum \(max)" }
        return nil
    }

    private func string(_ s: String) -> String? {
        if let maxLength, s.utf8.count > maxLength { return "longer than \(maxLength) bytes" }
        guard let pattern else { return nil }
        if isRecent(s) { return nil }
        if !accepted.contains(s) {
            guard (try? pattern.wholeMatch(in: s)) != nil else { return "'\(s.prefix(64))' does not match the pattern" }
            if accepted.count < 4096 { accepted.insert(s) }
        }
        remember(s)
        return nil
    }

    @inline(__always)
    private func isRecent(_ s: String) -> Bool { s == recent.0 || s == recent.1 }

    private func remember(_ s: String) { recent = (s, recent.0) }
}

extension PropertyValue {
    var kindName: String {
        switch self {
        case .number: return "a number"
        case .integer: return "an integer"
        case .string: return "a string"
        case .bool: return "a bool"
        case .levels: return "book levels"
        }
    }
}
