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
        if d == d.rounded(.towardZero), abs(d) < 1e15 {
            if d == 0 && d.sign == .minus {
                out.append(0x30)  // -0.0 reads back as 0 in every JSON consumer
            } else {
                appendInt(Int64(d), to: &out)
            }
            return
        }
        var s = d.description  // Swift's shortest round-trip form; fits the small-string buffer
        s.withUTF8 { text in
            if significantDigits(text) <= 15 {
                out.append(contentsOf: text)
            } else {
                appendFifteenDigits(d, to: &out)
            }
        }
    }

    /// Computed values (0.0175 + 0.0185) / 2 carry binary noise (0.018000000000000002); 15
    /// significant digits is the precision a double holds exactly in decimal, so print that.
    private static func appendFifteenDigits(_ d: Double, to out: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buf in
            let n = withVaList([d]) { vsnprintf(buf.baseAddress!, 32, "%.15g", $0) }
            for i in 0..<Int(min(n, 31)) { out.append(UInt8(bitPattern: buf[i])) }
        }
    }

    private static func significantDigits(_ text: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0, leading = true
        for b in text {
            if b == UInt8(ascii: "e") || b == UInt8(ascii: "E") { break }
            guard b >= 0x30 && b <= 0x39 else { continue }
            if leading && b == 0x30 { continue }
            leading = false
            count += 1
        }
        return count
    }

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
                out.append(UInt8(ascii: "["))
                appendDouble(l.price, to: &out)
                out.append(UInt8(ascii: ","))
                appendDouble(l.amount, to: &out)
                out.append(UInt8(ascii: "]"))
            }
            out.append(UInt8(ascii: "]"))
        }
    }
}
