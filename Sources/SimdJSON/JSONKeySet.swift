/// A fixed set of member names, looked up in one pass over an object.
///
/// Why: `JSONElement[key]` scans the object from its first member, so reading 20 of an object's
/// 25 members costs ~250 key comparisons; `collect` walks the members once and finds each name
/// with a hash probe and one compare. Codecs keep one set per message shape.
public struct JSONKeySet: Sendable {
    /// Every name's bytes, back to back; `ends[i]` is where name i ends (one buffer: a probe
    /// touches no per-name array).
    private let blob: [UInt8]
    private let ends: [Int]
    /// Open addressing: slot → index + 1 (0 is empty). Size a power of two ≥ 2 × keys.
    private let table: [UInt16]
    private let mask: Int

    /// `keys` in the order `collect` reports them; duplicates are a programming error.
    public init(_ keys: [String]) {
        precondition(keys.count < Int(UInt16.max), "too many keys")
        precondition(Set(keys).count == keys.count, "duplicate keys")
        blob = keys.flatMap { Array($0.utf8) }
        var ends: [Int] = [], end = 0
        for k in keys {
            end += k.utf8.count
            ends.append(end)
        }
        self.ends = ends
        var size = 8
        while size < keys.count * 2 { size <<= 1 }
        mask = size - 1
        var table = [UInt16](repeating: 0, count: size)
        for (i, k) in keys.enumerated() {
            var slot = Array(k.utf8).withUnsafeBytes { Self.hash($0) } & (size - 1)
            while table[slot] != 0 { slot = (slot + 1) & (size - 1) }
            table[slot] = UInt16(i + 1)
        }
        self.table = table
    }

    public var count: Int { ends.count }

    /// The index of `name` in the set, or nil.
    public func index(of name: UnsafeRawBufferPointer) -> Int? {
        blob.withUnsafeBytes { blob in
            table.withUnsafeBufferPointer { table in
                ends.withUnsafeBufferPointer { ends in
                    var slot = Self.hash(name) & mask
                    while true {
                        let entry = Int(table[slot])
                        if entry == 0 { return nil }
                        let start = entry == 1 ? 0 : ends[entry - 2], end = ends[entry - 1]
                        if end - start == name.count && (name.isEmpty || memcmpEqual(blob.baseAddress! + start, name.baseAddress!, name.count)) {
                            return entry - 1
                        }
                        slot = (slot + 1) & mask
                    }
                }
            }
        }
    }
    /// Sets `members[i]` to the member named `keys[i]` (its first occurrence, as `subscript`
    /// finds it), nil when absent. `members` is resized to `count`; pass the same array every
    /// time to reuse its storage. Returns false when `object` is not an object.
    @discardableResult
    public func collect(_ object: JSONElement, into members: inout [JSONElement?]) -> Bool {
        if members.count != ends.count {
            members = Array(repeating: nil, count: ends.count)
        } else {
            for i in members.indices { members[i] = nil }
        }
        guard let iterator = object.object else { return false }
        for member in iterator {
            if let i = index(of: member.key), members[i] == nil { members[i] = member.value }
        }
        return true
    }

    /// `NameHash` mixed by one multiplication; a collision costs one more probe, never a wrong
    /// answer (the bytes are compared). This runs for every member of every message.
    @inline(__always)
    private static func hash(_ name: UnsafeRawBufferPointer) -> Int {
        Int(truncatingIfNeeded: (NameHash.of(name) &* 0x9E37_79B9_7F4A_7C15) >> 32)
    }
}
