/// Interns property names into `PropertyID`s and keeps each name's JSON key bytes (`"bid":`),
/// so serialising a field is one `append(contentsOf:)`.
///
/// Threading: filled at start-up (and by the control plane on the loop thread); read on the loop.
public final class PropertyTable: @unchecked Sendable {
    private var ids: [String: PropertyID] = [:]
    private(set) public var names: [String] = []
    private var keys: [[UInt8]] = []

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
        var key: [UInt8] = []
        JSONWriter.appendString(name, to: &key)
        key.append(UInt8(ascii: ":"))
        keys.append(key)
        return id
    }

    public func id(_ name: String) -> PropertyID? { ids[name] }
    public func name(_ id: PropertyID) -> String { names[id.index] }
    /// `"name":` as JSON bytes.
    public func keyBytes(_ id: PropertyID) -> [UInt8] { keys[id.index] }
}
