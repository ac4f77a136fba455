/// MurmurHash3 x86 32-bit, as Unleash uses it for rollouts and variants.
public enum MurmurHash3 {
    // swift-format-ignore: AlwaysUseLowerCamelCase
    // The algorithm's own name (MurmurHash3_x86_32).
    public static func x86_32(_ text: String, seed: UInt32 = 0) -> UInt32 {
        let bytes = Array(text.utf8)
        let c1: UInt32 = 0xcc9e_2d51, c2: UInt32 = 0x1b87_3593
        var h = seed
        let blocks = bytes.count / 4
        for i in 0..<blocks {
            var k = UInt32(bytes[i * 4]) | UInt32(bytes[i * 4 + 1]) << 8 | UInt32(bytes[i * 4 + 2]) << 16 | UInt32(bytes[i * 4 + 3]) << 24
            k &*= c1
            k = k << 15 | k >> 17
            k &*= c2
            h ^= k
            h = h << 13 | h >> 19
            h = h &* 5 &+ 0xe654_6b64
        }
        var k: UInt32 = 0
        let tail = blocks * 4
        switch bytes.count & 3 {
        case 3:
            k ^= UInt32(bytes[tail + 2]) << 16
            fallthrough
        case 2:
            k ^= UInt32(bytes[tail + 1]) << 8
            fallthrough
        case 1:
            k ^= UInt32(bytes[tail])
            k &*= c1
            k = k << 15 | k >> 17
            k &*= c2
            h ^= k
        default: break
        }
        h ^= UInt32(truncatingIfNeeded: bytes.count)
        h ^= h >> 16
        h &*= 0x85eb_ca6b
        h ^= h >> 13
        h &*= 0xc2b2_ae35
        h ^= h >> 16
        return h
    }

    /// Unleash's normalised value: `hash("groupId:id") % normalizer + 1`, in 1…normalizer.
    public static func normalized(_ id: String, groupId: String, normalizer: UInt32 = 100, seed: UInt32 = 0) -> UInt32 {
        x86_32("\(groupId):\(id)", seed: seed) % normalizer + 1
    }
}
