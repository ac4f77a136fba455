/// Appends JSON tokens to a byte buffer without intermediate strings. Each reserves the token's
/// worst case and writes it with a `JSONCursor` (where the formatting lives); the publication
/// encoder uses one cursor for a whole publication instead.
public enum JSONWriter {
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.appendJSON(reserving: JSONCursor.maxBytes(string: s)) { $0.string(s) }
    }

    /// Appends the bytes escaped for use inside a JSON string (without quotes).
    public static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.appendJSON(reserving: 6 * bytes.count) { $0.escaped(bytes) }
    }

    public static func appendInt(_ v: Int64, to out: inout [UInt8]) {
        out.appendJSON(reserving: JSONCursor.maxIntegerBytes) { $0.int(v) }
    }

    public static func appendUInt(_ v: UInt64, to out: inout [UInt8]) {
        out.appendJSON(reserving: JSONCursor.maxIntegerBytes) { $0.uint(v) }
    }

    /// Finite doubles as the shortest text that reads back as the same value (`JSONCursor.double`);
    /// non-finite as null.
    public static func appendDouble(_ d: Double, to out: inout [UInt8]) {
        out.appendJSON(reserving: JSONCursor.maxNumberBytes) { $0.double(d) }
    }

    public static func appendBool(_ b: Bool, to out: inout [UInt8]) {
        out.appendJSON(reserving: 5) { $0.bool(b) }
    }

    @inline(__always)
    public static func appendLiteral(_ s: StaticString, to out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    public static func appendValue(_ v: PropertyValue, to out: inout [UInt8]) {
        out.appendJSON(reserving: JSONCursor.maxBytes(v)) { $0.value(v) }
    }

    /// One book level: `[price,amount]`.
    public static func appendLevel(_ l: PriceLevel, to out: inout [UInt8]) {
        out.appendJSON(reserving: JSONCursor.maxLevelBytes) { $0.level(l) }
    }
}
