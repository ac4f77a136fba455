/// A set of property IDs as a bitmask: what one view lets through.
public struct PropertyMask: Hashable, Sendable {
    private var words: [UInt64]
    /// True for the view that lets every property through (no projection).
    public let isAll: Bool

    public static let all = PropertyMask(all: true)

    private init(all: Bool) {
        words = []
        isAll = all
    }

    public init(_ ids: some Sequence<PropertyID>) {
        words = []
        isAll = false
        for id in ids { insert(id) }
    }

    public mutating func insert(_ id: PropertyID) {
        guard !isAll else { return }
        let w = id.index >> 6
        if w >= words.count { words.append(contentsOf: repeatElement(0, count: w - words.count + 1)) }
        words[w] |= 1 << UInt64(id.index & 63)
    }

    /// Properties in both masks.
    public func intersection(_ other: PropertyMask) -> PropertyMask {
        if isAll { return other }
        if other.isAll { return self }
        var out = PropertyMask([])
        for w in 0..<min(words.count, other.words.count) where words[w] & other.words[w] != 0 {
            for bit in 0..<64 where (words[w] & other.words[w]) & (1 << UInt64(bit)) != 0 {
                out.insert(PropertyID(UInt16(w * 64 + bit)))
            }
        }
        return out
    }

    @inline(__always)
    public func contains(_ id: PropertyID) -> Bool {
        if isAll { return true }
        let w = id.index >> 6
        return w < words.count && words[w] & (1 << UInt64(id.index & 63)) != 0
    }
}
