/// Interns property names into `PropertyID`s and keeps each name's JSON key bytes (`"bid":`),
/// so serialising a field is one `append(contentsOf:)`.
///
/// Threading: filled at start-up (and by the control plane on the loop thread); read on the loop.
public final class PropertyTable: @unchecked Sendable {
    private var ids: [String: PropertyID] = [:]
    private(set) public var names: [String] = []
    /// Every `"name":` back to back, and each one's range: one buffer, so the encoder borrows it
    /// once per publication instead of retaining an array per field.
    private(set) var keyBlob: [UInt8] = []
    private(set) var keyRanges: [Range<Int>] = []

    public init(_ names: [String] = []) {
        for n in names { _ = intern(n) }
    }

    public var count: Int { names.count }

    /// The ID of `name`, creating it when new.
    @discardableResult
    public func intern(_ name: String) -> PropertyID {
        if let id = ids[name] { return id }
        precondition(names.count < Int(UInt16.max), "property table full")  // a registry bug, not input
        let id = PropertyID(UInt16(names.count))
        ids[name] = id
        names.append(name)
        let start = keyBlob.count
        JSONWriter.appendString(name, to: &keyBlob)
        keyBlob.append(UInt8(ascii: ":"))
        keyRanges.append(start..<keyBlob.count)
        return id
    }

    public func id(_ name: String) -> PropertyID? { ids[name] }
    public func name(_ id: PropertyID) -> String { names[id.index] }
    /// `"name":` as JSON bytes.
    public func keyBytes(_ id: PropertyID) -> ArraySlice<UInt8> { keyBlob[keyRanges[id.index]] }
}
