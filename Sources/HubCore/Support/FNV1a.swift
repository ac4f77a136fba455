/// FNV-1a (32-bit): a fast, well-spread hash of short byte strings (interned names, shards).
public enum FNV1a {
    @inlinable @inline(__always)
    public static func hash<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var h: UInt32 = 2_166_136_261
        for b in bytes { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h
    }
}
