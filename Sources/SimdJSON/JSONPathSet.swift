import CSimdJSON

/// Member paths read from an object in one pass (`JSONElement.collect`): `"name"` for a
/// member, `"outer.name"` for a member of an object member. Codecs keep one per message shape.
///
/// Why: `JSONElement[key]` scans the object from its first member and crosses into C once per
/// key; a collect walks the object once in C++ and finds each name with a hash probe.
public final class JSONPathSet: @unchecked Sendable {  // immutable after init; lookups only read
    let set: OpaquePointer
    /// How many paths, and so how many values a collect reports.
    public let count: Int

    /// `paths` in the order their values are reported; a `.` always separates names. Nil when
    /// a path has an empty name, is repeated, or is a value and also the parent of another
    /// path, or when the paths name more than 63 objects or number 65535 or more.
    public init?(_ paths: [String]) {
        let text = paths.flatMap { Array($0.utf8) }, lengths = paths.map { $0.utf8.count }
        let made = text.withUnsafeBufferPointer { t in
            t.withMemoryRebound(to: CChar.self) { sj_pathset_create($0.baseAddress, lengths, paths.count) }
        }
        guard let made else { return nil }
        set = made
        count = paths.count
    }

    deinit { sj_pathset_destroy(set) }
}

/// The values a collect found, indexed like its `JSONPathSet`; valid inside the parse's body.
public struct JSONMembers {
    var values: [sj_value] = []

    public init() {}

    /// The value at path `index`, or nil when the object had none.
    @inline(__always)
    public subscript(index: Int) -> JSONElement? {
        let v = values[index]
        return v.opaque.0 == 0 && v.opaque.1 == 0 ? nil : JSONElement(raw: v)
    }
}

extension JSONElement {
    /// Fills `members` with `paths`' values, following the first occurrence of every repeated
    /// name (as `subscript` does). Pass the same `members` every time: its storage is reused.
    /// False when this is not an object.
    @discardableResult
    public func collect(_ paths: JSONPathSet, into members: inout JSONMembers) -> Bool {
        if members.values.count != paths.count {
            members.values = Array(repeating: sj_value(), count: paths.count)
        }
        return members.values.withUnsafeMutableBufferPointer { sj_object_collect(raw, paths.set, $0.baseAddress) } == 0
    }
}
