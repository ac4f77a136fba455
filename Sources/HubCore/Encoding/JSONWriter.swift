#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Appends JSON tokens to a byte buffer without intermediate strings: the publication hot path.
/// Numbers use Swift's shortest round-trip formatting; integral values print without a fraction.
public enum JSONWriter {
    @inline(__always)
    public static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { appendEscaped($0, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// Appends the bytes escaped for use inside a JSON string (without quotes).
    public static func appendEscaped(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var needsEscape = false
        for b in bytes where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
            needsEscape = true
            break
        }
        if !needsEscape {
            out.append(contentsOf: bytes)
            return
        }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: out.append(b)
            }
        }
    }

    @inline(__always)
    public static func appendInt(_ v: Int64, to out: inout [UInt8]) {
        if v < 0 {
            out.append(UInt8(ascii: "-"))
            appendUInt(v == Int64.min ? UInt64(Int64.max) + 1 : UInt64(-v), to: &out)
        } else {
            appendUInt(UInt64(v), to: &out)
        }
    }

    public static func appendUInt(_ v: UInt64, to out: inout [UInt8]) {
        if v < 10 {
            out.append(UInt8(truncatingIfNeeded: v) &+ 0x30)
            return
        }
        var digits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)  // 32 bytes of scratch, no heap
        var n = 0
        var x = v
        withUnsafeMutableBytes(of: &digits) { buf in
            while x > 0 {
                buf[31 - n] = UInt8(truncatingIfNeeded: x % 10) &+ 0x30
                x /= 10
                n += 1
            }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buf[(32 - n)...]))
        }
    }

    /// Finite doubles as the shortest text that reads back as the same value; non-finite as null
    /// (validation keeps them out of ticks; this keeps the output valid JSON regardless).
    public static func appendDouble(_ d: Double, to out: inout [UInt8]) {
        guard d.isFinite else {
            out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
            return
        }
        if d == 0 {
            out.append(0x30)  // -0.0 reads back as 0 in every JSON consumer
            return
        }
        // Formatted into 32 bytes on the stack and appended once: one capacity check per number
        // instead of one per byte.
        var scratch: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let written = withUnsafeMutableBytes(of: &scratch) { formatDecimal(d, into: $0) }
        if written > 0 {
            withUnsafeBytes(of: &scratch) { out.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[(32 - written)...])) }
            return
        }
        var s = d.description  // very small or large: Swift's shortest round-trip form (e-notation)
        s.withUTF8 { out.append(contentsOf: $0) }
    }

    /// Market values are short decimals (36442.5, 0.0015); computed ones carry binary noise
    /// ((0.0175 + 0.0185) / 2 = 0.018000000000000002). Both print as d rounded to 15 significant
    /// digits, trailing zeros dropped: a double holds 15 decimal digits exactly, so when d has a
    /// shortest form of up to 15 digits, n = round(d × 10^k) is that form followed by zeros (d
    /// differs from it by under half a unit in the 17th digit), and otherwise the 15 digits are
    /// as close as 15 get. Found with one multiplication: k comes from d's binary exponent. The
    /// same text as searching for the fewest decimals that divide back to d (JSONWriterTests
    /// compares the two). Several times faster than `description`.
    ///
    /// Writes the text right-aligned at the end of `buf` (32 bytes) and returns its length; 0 when
    /// the value is outside [1e-4, 1e15), where e-notation is shorter.
    @inline(__always)
    private static func formatDecimal(_ d: Double, into buf: UnsafeMutableRawBufferPointer) -> Int {
        let a = abs(d)
        guard a >= 1e-4, a < 1e15 else { return 0 }
        // floor(log10 a) is floor(exponent × log10 2) (78913 / 2^18) or one more: k is right or
        // one too many, which the product shows.
        var k = 14 - ((Int(a.exponent) &* 78_913) >> 18)
        var m = roundedToEven(a * powersOfTen[k])
        if m >= 1e15 {
            k -= 1
            guard k >= 0 else { return 0 }  // rounds up to 10^15: e-notation
            m = roundedToEven(a * powersOfTen[k])
        }
        assert(m >= 1e14, "the exponent estimate is never too large for a in [1e-4, 1e15)")
        var n = UInt64(m)
        while k >= 8 && n % 100_000_000 == 0 {
            n /= 100_000_000
            k -= 8
        }
        while k > 0 && n % 10 == 0 {
            n /= 10
            k -= 1
        }
        // Digits from the right: the fraction's k digits (zero-padded), the point, the integer part.
        var at = 32
        var x = n
        if k > 0 {
            for _ in 0..<k {
                at -= 1
                buf[at] = UInt8(truncatingIfNeeded: x % 10) &+ 0x30
                x /= 10
            }
            at -= 1
            buf[at] = UInt8(ascii: ".")
        }
        repeat {
            at -= 1
            buf[at] = UInt8(truncatingIfNeeded: x % 10) &+ 0x30
            x /= 10
        } while x > 0
        if d < 0 {
            at -= 1
            buf[at] = UInt8(ascii: "-")
        }
        return 32 - at
    }

    /// Round half to even for 0 ≤ x: adding and taking away 2^52 leaves no fraction bits, so the
    /// FPU's default rounding does it (no libm call). Exact below 2^52; above, still ≥ 1e15,
    /// which is all `formatDecimal` asks of it there.
    @inline(__always)
    private static func roundedToEven(_ x: Double) -> Double {
        x < 0x1p52 ? (x + 0x1p52) - 0x1p52 : x
    }

    private static let powersOfTen: [Double] = (0...22).map { k in (0..<k).reduce(1.0) { x, _ in x * 10 } }

    @inline(__always)
    public static func appendBool(_ b: Bool, to out: inout [UInt8]) {
        if b {
            out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        } else {
            out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        }
    }

    @inline(__always)
    public static func appendLiteral(_ s: StaticString, to out: inout [UInt8]) {
        s.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    public static func appendValue(_ v: PropertyValue, to out: inout [UInt8]) {
        switch v {
        case .number(let d): appendDouble(d, to: &out)
        case .integer(let i): appendInt(i, to: &out)
        case .string(let s): appendString(s, to: &out)
        case .bool(let b): appendBool(b, to: &out)
        case .levels(let levels):
            out.append(UInt8(ascii: "["))
            for (i, l) in levels.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                appendLevel(l, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
    }

    /// One book level: `[price,amount]`.
    public static func appendLevel(_ l: PriceLevel, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        appendDouble(l.price, to: &out)
        out.append(UInt8(ascii: ","))
        appendDouble(l.amount, to: &out)
        out.append(UInt8(ascii: "]"))
    }
}
