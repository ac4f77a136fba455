import SimdJSON

/// The channels looked up last, direct-mapped by a cheap hash of the key. A feed publishes the
/// same channels over and over, and its instrument names are interned: a hit costs two loads of
/// the name and comparisons that find the same string storage, where the dictionary hashed every
/// byte of the key's strings (a thousand instructions a publication).
///
/// Threading: loop-confined (the channel registry's).
struct RecentChannels {
    private var slots: [Channel?] = Array(repeating: nil, count: Self.size)
    private static let size = 256

    @inline(__always)
    func find(_ key: ChannelKey) -> Channel? {
        guard let c = slots[Self.slot(key)], c.key == key else { return nil }
        return c
    }

    @inline(__always)
    mutating func remember(_ channel: Channel) {
        slots[Self.slot(channel.key)] = channel
    }

    /// Forgets every channel (a channel was replaced under its key).
    mutating func forget() {
        for i in slots.indices { slots[i] = nil }
    }

    /// The instrument's and the source's `NameHash` (one symbol on several venues is the usual
    /// cross-venue setup) and the stream, mixed by one multiplication. Keys that collide only
    /// share a slot.
    @inline(__always)
    private static func slot(_ key: ChannelKey) -> Int {
        let stream = withUnsafeBytes(of: key.stream) { $0.first ?? 0 }  // the case's tag
        let h = NameHash.of(key.instrument) ^ NameHash.of(key.source) &* 0xFF51_AFD7_ED55_8CCD ^ UInt64(stream) << 40
        return Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> 56) & (size - 1)
    }
}
