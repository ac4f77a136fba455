/// An interned view: sessions with equal masks share one ID, so a publication is serialised once
/// per distinct view and the bytes are shared by every session holding it.
public struct ViewID: Hashable, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public static let all = ViewID(rawValue: 0)
}

/// Interns property masks into `ViewID`s. Loop-confined.
public final class ViewTable: @unchecked Sendable {
    private var ids: [PropertyMask: ViewID] = [.all: .all]
    private(set) var masks: [PropertyMask] = [.all]

    public init() {}

    public func intern(_ mask: PropertyMask) -> ViewID {
        if let id = ids[mask] { return id }
        let id = ViewID(rawValue: UInt32(masks.count))
        masks.append(mask)
        ids[mask] = id
        return id
    }

    public func mask(_ id: ViewID) -> PropertyMask { masks[Int(id.rawValue)] }
    public var count: Int { masks.count }
}
