import HubCore

/// Decimal numbers sent as text (`"0.35210000"`), as most venues send prices and sizes.
/// Parsed straight from the bytes: up to 15 significant digits exactly (mantissa and power of
/// ten are both exact, so one correctly rounded division gives the nearest double); anything
/// longer or unusual falls back to the standard library's parser.
public enum DecimalText {
    private static let powers: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { x, _ in x * 10 } }

    public static func parse(_ b: UnsafeRawBufferPointer) -> Double? {
        var i = 0, n = b.count
        guard n > 0 else { return nil }
        var negative = false
        if b[0] == UInt8(ascii: "-") {
            negative = true
            i = 1
        }
        var mantissa: UInt64 = 0, digits = 0, scale = 0, seenDot = false, significant = 0
        while i < n {
            let c = b[i]
            if c >= 48 && c <= 57 {
                if mantissa == 0 && c == 48 && !seenDot {
                    // leading zero
                } else {
                    significant += 1
                }
                mantissa = mantissa &* 10 &+ UInt64(c - 48)
                digits += 1
                if seenDot { scale += 1 }
            } else if c == UInt8(ascii: ".") && !seenDot {
                seenDot = true
            } else {
                n = -1
                break
            }
            i += 1
        }
        guard n != -1, digits > 0, significant <= 15, scale <= 22 else { return slow(b) }
        let v = Double(mantissa) / powers[scale]
        return negative ? -v : v
    }

    private static func slow(_ b: UnsafeRawBufferPointer) -> Double? {
        let s = String(decoding: b, as: UTF8.self)
        guard let d = Double(s), d.isFinite else { return nil }
        return d
    }
}
