/// An interned property: an index into the `PropertyTable`, so ticks and views never carry names.
public struct PropertyID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }
    public static func < (a: PropertyID, b: PropertyID) -> Bool { a.rawValue < b.rawValue }
    public var index: Int { Int(rawValue) }
    public var description: String { "#\(rawValue)" }
}

/// One price level of an order book side.
public struct PriceLevel: Equatable, Sendable {
    public var price: Double
    public var amount: Double
    public init(price: Double, amount: Double) {
        self.price = price
        self.amount = amount
    }
}

/// A property's value as it travels through the pipeline.
public enum PropertyValue: Equatable, Sendable {
    case number(Double)
    case integer(Int64)
    case string(String)
    case bool(Bool)
    /// Order book levels, best first.
    case levels([PriceLevel])

    /// The value as a Double when it is numeric.
    public var number: Double? {
        switch self {
        case .number(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
}

/// A property and its value inside a tick.
public struct Field: Equatable, Sendable {
    public var id: PropertyID
    public var value: PropertyValue
    public init(_ id: PropertyID, _ value: PropertyValue) {
        self.id = id
        self.value = value
    }
}
