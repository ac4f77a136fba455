/// The check most values of a tick need (a number within its property's bounds), kept flat
/// beside the validators: the registry reads it without reference counting, where calling the
/// validator (an object) retained and released it for every value. A value this does not
/// clear goes to the full validator, which accepts it or says why not, so this only ever
/// answers "accepted" where the validator would.
struct NumberBounds {
    enum Kind: UInt8 {
        /// Not a numeric property, or not registered: every value goes to the validator.
        case none
        /// `decimal`: any finite number within the bounds.
        case decimal
        /// `integer` and `timestamp`: whole numbers within the bounds.
        case whole
    }

    let kind: Kind
    let min: Double
    let max: Double

    static let none = NumberBounds(kind: .none, min: 0, max: 0)

    init(kind: Kind, min: Double, max: Double) {
        self.kind = kind
        self.min = min
        self.max = max
    }

    init(_ def: PropertyDefinition) {
        let kind: Kind
        switch def.type {
        case .decimal: kind = .decimal
        case .integer, .timestamp: kind = .whole
        case .string, .bool, .enum, .array: kind = .none
        }
        self.init(kind: kind, min: def.rules.min ?? -.infinity, max: def.rules.max ?? .infinity)
    }

    /// Whether `value` is certainly acceptable; false means "ask the validator".
    @inline(__always) func clears(_ value: PropertyValue) -> Bool {
        switch value {
        case .number(let d):
            switch kind {
            case .none: return false
            case .decimal: return within(d)
            case .whole: return d == d.rounded(.towardZero) && within(d)
            }
        case .integer(let i): return kind != .none && within(Double(i))
        case .string, .bool, .levels: return false
        }
    }

    /// Finite and inside the inclusive bounds (infinite bounds when the rules set none).
    @inline(__always) private func within(_ d: Double) -> Bool { d.isFinite && d >= min && d <= max }
}
