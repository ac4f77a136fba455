#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes JSON tokens into space reserved beforehand for the worst case
/// (`[UInt8].appendJSON(reserving:_:)`): a store per byte, with no capacity or uniqueness check
/// per token as `Array.append` makes. The publication encoder reserves a whole publication at
/// once; `JSONWriter`'s `[UInt8]` functions reserve one token at a time.
///
/// Every write checks that it fits what was reserved (one compare): a wrong estimate stops the
/// process instead of writing past the buffer.
public struct JSONCursor {
    /// Where the next byte goes.
    @usableFromInline var position: UnsafeMutablePointer<UInt8>
    @usableFromInline let start: UnsafeMutablePointer<UInt8>
    @usableFromInline let end: UnsafeMutablePointer<UInt8>

    @inlinable init(_ buffer: UnsafeMutableBufferPointer<UInt8>) {
        start = buffer.baseAddress!
        position = start
        end = start + buffer.count
    }

    /// Bytes written so far.
    @inlinable public var count: Int { position - start }

    @inline(__always) @usableFromInline func ensure(_ n: Int) {
        precondition(end - position >= n, "JSONCursor: more bytes than were reserved")
    }

    @inline(__always) public mutating func byte(_ b: UInt8) {
        ensure(1)
        position.pointee = b
        position += 1
    }

    @inline(__always) public mutating func bytes(_ b: UnsafeBufferPointer<UInt8>) {
        guard let base = b.baseAddress else { return }
        ensure(b.count)
        memcpy(position, base, b.count)
        position += b.count
    }

    /// `bytes` for runs that are usually 4 to 16 bytes long (a property's key): copied as two
    /// overlapping words, without a call to `memcpy`. A publication writes a couple of dozen.
    /// Kept apart from `bytes`, whose callers copy long runs: the branch made them too large to
    /// inline.
    @inline(__always) public mutating func short(_ b: UnsafeBufferPointer<UInt8>) {
        guard let base = b.baseAddress else { return }
        let n = b.count
        ensure(n)
        let from = UnsafeRawPointer(base), to = UnsafeMutableRawPointer(position)
        if n >= 8 && n <= 16 {
            let head = from.loadUnaligned(as: UInt64.self), tail = from.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            to.storeBytes(of: head, as: UInt64.self)
            to.storeBytes(of: tail, toByteOffset: n &- 8, as: UInt64.self)
        } else if n >= 4 && n < 8 {
            let head = from.loadUnaligned(as: UInt32.self), tail = from.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
            to.storeBytes(of: head, as: UInt32.self)
            to.storeBytes(of: tail, toByteOffset: n &- 4, as: UInt32.self)
        } else {
            memcpy(to, from, n)
        }
        position += n
    }

    @inline(__always) public mutating func literal(_ s: StaticString) {
        ensure(s.utf8CodeUnitCount)
        memcpy(position, s.utf8Start, s.utf8CodeUnitCount)
        position += s.utf8CodeUnitCount
    }

    // MARK: Values

    /// The most bytes `value` takes: reserve this much before writing it.
    @inline(__always) public static func maxBytes(_ value: PropertyValue) -> Int {
        switch value {
        case .number: return maxNumberBytes
        case .integer: return maxIntegerBytes
        case .string(let s): return maxBytes(string: s)
        case .bool: return 5
        case .levels(let levels): return 2 + levels.count * (maxLevelBytes + 1)  // with the commas
        }
    }

    /// A double: at most 21 in decimal (`-0.000123456789012345`: sign, a zero, the point, three
    /// zeros, 15 digits), at most 24 in Swift's e-notation (`-2.2250738585072014e-308`).
    public static let maxNumberBytes = 24
    /// `-9223372036854775808`, or `18446744073709551615`.
    public static let maxIntegerBytes = 20
    /// `[price,amount]`
    public static let maxLevelBytes = 3 + 2 * maxNumberBytes
    /// Quotes and every byte escaped as `\u00XX`.
    @inline(__always) public static func maxBytes(string s: String) -> Int { 2 + 6 * s.utf8.count }

    public mutating func value(_ v: PropertyValue) {
        switch v {
        case .number(let d): double(d)
        case .integer(let i): int(i)
        case .string(let s): string(s)
        case .bool(let b): bool(b)
        case .levels(let levels):
            byte(UInt8(ascii: "["))
            for (i, l) in levels.enumerated() {
                if i > 0 { byte(UInt8(ascii: ",")) }
                level(l)
            }
            byte(UInt8(ascii: "]"))
        }
    }

    /// One book level: `[price,amount]`.
    @inline(__always) public mutating func level(_ l: PriceLevel) {
        byte(UInt8(ascii: "["))
        double(l.price)
        byte(UInt8(ascii: ","))
        double(l.amount)
        byte(UInt8(ascii: "]"))
    }

    @inline(__always) public mutating func bool(_ b: Bool) {
        if b { literal("true") } else { literal("false") }
    }

    @inline(__always) public mutating func string(_ s: String) {
        byte(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { escaped($0) }
        byte(UInt8(ascii: "\""))
    }

    /// The bytes escaped for use inside a JSON string (without quotes).
    public mutating func escaped(_ bytes: UnsafeBufferPointer<UInt8>) {
        var clean = true
        for b in bytes where b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") {
            clean = false
            break
        }
        if clean { return self.bytes(bytes) }
        ensure(6 * bytes.count)
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""): pair(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): pair(UInt8(ascii: "\\"))
            case 0x0A: pair(UInt8(ascii: "n"))
            case 0x0D: pair(UInt8(ascii: "r"))
            case 0x09: pair(UInt8(ascii: "t"))
            case 0..<0x20:
                literal("\\u00")
                byte(Self.hexDigits.utf8Start[Int(b >> 4)])
                byte(Self.hexDigits.utf8Start[Int(b & 0xF)])
            default: byte(b)
            }
        }
    }

    private mutating func pair(_ escape: UInt8) {
        byte(UInt8(ascii: "\\"))
        byte(escape)
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    // MARK: Numbers

    @inline(__always) public mutating func int(_ v: Int64) {
        if v < 0 {
            byte(UInt8(ascii: "-"))
            uint(v.magnitude)
        } else {
            uint(UInt64(v))
        }
    }

    public mutating func uint(_ v: UInt64) {
        var length = 1
        while length < 20 && v >= Self.integerPowersOfTen[length] { length += 1 }
        digits(v, length)
    }

    /// The `length` low decimal digits of `v`, written from the right.
    @inline(__always) private mutating func digits(_ v: UInt64, _ length: Int) {
        ensure(length)
        var x = v
        var at = position + length
        Self.writeDigits(&x, length, before: &at)
        position += length
    }

    /// The `count` low decimal digits of `x`, written leftwards ending just before `at`; `x`
    /// keeps the digits above them and `at` ends at the first one written.
    /// Two digits a step from a table: half the multiply-shift divisions of one at a time.
    @inline(__always) private static func writeDigits(_ x: inout UInt64, _ count: Int, before at: inout UnsafeMutablePointer<UInt8>) {
        var left = count
        while left >= 2 {
            let pair = Int(truncatingIfNeeded: x % 100) &* 2
            x /= 100
            at -= 2
            at[0] = digitPairs.utf8Start[pair]
            at[1] = digitPairs.utf8Start[pair &+ 1]
            left -= 2
        }
        if left == 1 {
            at -= 1
            at.pointee = UInt8(truncatingIfNeeded: x % 10) &+ 0x30
            x /= 10
        }
    }

    /// "00", "01" … "99" back to back.
    private static let digitPairs: StaticString =
        "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// Literals, so the table is data in the binary (a computed one is initialised lazily and
    /// checked on every read).
    private static let integerPowersOfTen: [UInt64] = [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000, 100_000_000_000,
        1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000, 10_000_000_000_000_000,
        100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ]

    /// Finite doubles as the shortest text that reads back as the same value; non-finite as null
    /// (validation keeps them out of ticks; this keeps the output valid JSON regardless).
    public mutating func double(_ d: Double) {
        guard d.isFinite else { return literal("null") }
        if d == 0 { return byte(0x30) }  // -0.0 reads back as 0 in every JSON consumer
        if decimal(d) { return }
        var s = d.description  // very small or large: Swift's shortest round-trip form (e-notation)
        s.withUTF8 { bytes($0) }
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
    /// Writes nothing and returns false when the value is outside [1e-4, 1e15), where
    /// e-notation is shorter.
    @inline(__always) private mutating func decimal(_ d: Double) -> Bool {
        let a = abs(d)
        guard a >= 1e-4, a < 1e15 else { return false }
        // floor(log10 a) is floor(exponent × log10 2) (78913 / 2^18) or one more: k is right or
        // one too many, which the product shows. (a is a normal number: its exponent is its
        // biased exponent bits less 1023.)
        let exponent = Int(a.exponentBitPattern) &- 1023
        var k = 14 - ((exponent &* 78_913) >> 18)
        var m = Self.roundedToEven(a * Self.powersOfTen[k])
        if m >= 1e15 {
            k -= 1
            guard k >= 0 else { return false }  // rounds up to 10^15: e-notation
            m = Self.roundedToEven(a * Self.powersOfTen[k])
        }
        // The estimate is never too large for a in [1e-4, 1e15), so m has 15 digits; should that
        // ever not hold, the general form prints it rather than a wrong digit count.
        guard m >= 1e14 else { return false }
        // Each zero dropped from the right drops one digit.
        var n = UInt64(m)
        var length = 15
        while k >= 8 && n % 100_000_000 == 0 {
            n /= 100_000_000
            k -= 8
            length -= 8
        }
        while k > 0 && n % 10 == 0 {
            n /= 10
            k -= 1
            length -= 1
        }
        if d < 0 { byte(UInt8(ascii: "-")) }
        guard k > 0 else {
            digits(n, length)
            return true
        }
        // The integer part (at least a 0), the point, the fraction's k digits zero-padded:
        // written from the right in one pass (splitting n at 10^k took a hardware division,
        // the divisor not being a constant).
        let whole = max(length - k, 1), total = whole + 1 + k
        ensure(total)
        var x = n
        var at = position + total
        Self.writeDigits(&x, k, before: &at)
        at -= 1
        at.pointee = UInt8(ascii: ".")
        Self.writeDigits(&x, whole, before: &at)
        position += total
        return true
    }

    /// Round half to even for 0 ≤ x: adding and taking away 2^52 leaves no fraction bits, so the
    /// FPU's default rounding does it (no libm call). Exact below 2^52; above, still ≥ 1e15,
    /// which is all `decimal` asks of it there.
    @inline(__always) private static func roundedToEven(_ x: Double) -> Double {
        x < 0x1p52 ? (x + 0x1p52) - 0x1p52 : x
    }

    /// 10^0 … 10^22, every one exact in a double.
    private static let powersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]
}

extension Array where Element == UInt8 {
    /// Appends what `body` writes through a cursor, at most `maxCount` bytes: capacity is made
    /// once (growing geometrically like `append`), then `body` stores bytes directly.
    @inlinable public mutating func appendJSON(reserving maxCount: Int, _ body: (inout JSONCursor) -> Void) {
        // At least one byte: room for nothing could come without an address to write at.
        append(addingCapacity: Swift.max(maxCount, 1)) { span in
            span.withUnsafeMutableBufferPointer { buffer, initialized in
                var cursor = JSONCursor(UnsafeMutableBufferPointer(rebasing: buffer[initialized...]))
                body(&cursor)
                initialized += cursor.count
            }
        }
    }
}
