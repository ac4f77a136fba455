/// A cheap summary of a short name's bytes — instrument and venue names — for
/// tables that compare the bytes on a hit anyway: the length, the first and last eight bytes
/// (overlapping when shorter than 16), names under eight bytes byte by byte. Names that share a
/// prefix ("best_bid_price", "best_bid_amount") differ in length or tail. Two loads instead of
/// a loop over every byte; callers mix the result (one multiplication) into a slot.
public enum NameHash {
    @inline(__always)
    public static func of(_ name: UnsafeRawBufferPointer) -> UInt64 {
        let n = name.count
        var h = UInt64(truncatingIfNeeded: n)
        if n >= 8 {
            let head = name.loadUnaligned(as: UInt64.self)
            let tail = name.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
            h ^= head ^ (tail << 29 | tail >> 35)
        } else {
            for b in name { h = h << 8 | UInt64(b) }
        }
        return h
    }

    /// The summary of a string's UTF-8.
    @inline(__always)
    public static func of(_ name: String) -> UInt64 {
        var name = name
        return name.withUTF8 { of(UnsafeRawBufferPointer($0)) }
    }
}
