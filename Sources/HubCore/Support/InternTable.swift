#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Names read from venue bytes (instruments, symbols), each kept once with a value derived from
/// it: a name seen before comes back as the stored `String` — a retain, where making a String of
/// more than 15 bytes from the bytes would allocate on every message.
///
/// Bounded: past `limit` names (junk a venue might send) it starts afresh.
public struct InternTable<Value> {
    private var names: [String] = []
    private var bytes: [[UInt8]] = []
    private var values: [Value] = []
    /// Open addressing: slot → index + 1 (0 is empty); a power of two, at least twice `names`.
    private var slots = [Int32](repeating: 0, count: 64)
    public let limit: Int

    public init(limit: Int = 100_000) {
        precondition(limit > 0, "an intern table holds at least one name")
        self.limit = limit
    }

    public var count: Int { names.count }

    /// The stored name equal to `key` and its value; `make` derives the value the first time.
    public mutating func lookup(_ key: UnsafeRawBufferPointer, make: (String) -> Value) -> (name: String, value: Value) {
        let h = Self.hash(key)
        var slot = h & (slots.count - 1)
        while slots[slot] != 0 {
            let i = Int(slots[slot]) - 1
            if bytes[i].count == key.count && bytes[i].withUnsafeBytes({ Self.equal($0, key) }) { return (names[i], values[i]) }
            slot = (slot + 1) & (slots.count - 1)
        }
        if names.count >= limit {
            removeAll()
            return lookup(key, make: make)
        }
        let name = String(decoding: key, as: UTF8.self)
        let value = make(name)
        names.append(name)
        bytes.append(Array(key))
        values.append(value)
        slots[slot] = Int32(names.count)
        if names.count * 2 > slots.count { rehash(slots.count * 2) }
        return (name, value)
    }

    public mutating func removeAll() {
        names.removeAll()
        bytes.removeAll()
        values.removeAll()
        slots = [Int32](repeating: 0, count: 64)
    }

    private mutating func rehash(_ size: Int) {
        slots = [Int32](repeating: 0, count: size)
        for (i, b) in bytes.enumerated() {
            var slot = b.withUnsafeBytes { Self.hash($0) } & (size - 1)
            while slots[slot] != 0 { slot = (slot + 1) & (size - 1) }
            slots[slot] = Int32(i + 1)
        }
    }

    @inline(__always)
    private static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
    }

    @inline(__always)
    private static func hash(_ key: UnsafeRawBufferPointer) -> Int { Int(FNV1a.hash(key)) }
}
