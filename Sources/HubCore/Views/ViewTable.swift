/// An interned view: sessions with equal masks share one ID, so a publication is serialised once
/// per distinct view and the bytes are shared by every session holding it.
///
/// The low 32 bits are a slot in the table, the high 32 bits the slot's generation: a slot freed
/// and reused gets a new ID, so bytes cached under the old one (the publication ring keeps them
/// per view) can never be served for the new mask.
public struct ViewID: Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }
    init(slot: Int, generation: UInt32) { rawValue = UInt64(generation) << 32 | UInt64(slot) }
    var slot: Int { Int(truncatingIfNeeded: rawValue & 0xFFFF_FFFF) }
    public static let all = ViewID(rawValue: 0)
}

/// Interns property masks into `ViewID`s, counting the subscriptions that hold each: a view
/// nobody holds is forgotten, so any sequence of subscribes and unsubscribes with ever-different
/// `fields` leaves the table as large as the views in use. The full view is never forgotten.
/// Loop-confined.
public final class ViewTable: @unchecked Sendable {
    private struct Entry {
        var mask: PropertyMask
        var generation: UInt32
        var holders: Int
    }
    private var ids: [PropertyMask: ViewID] = [.all: .all]
    private var entries: [Entry] = [Entry(mask: .all, generation: 0, holders: 1)]
    private var free: [Int] = []

    public init() {}

    /// The view of `mask`, held once more; `release` it when done.
    public func retain(_ mask: PropertyMask) -> ViewID {
        if let id = ids[mask] {
            if id != .all { entries[id.slot].holders += 1 }
            return id
        }
        let id: ViewID
        if let slot = free.popLast() {
            entries[slot].generation &+= 1
            entries[slot].mask = mask
            entries[slot].holders = 1
            id = ViewID(slot: slot, generation: entries[slot].generation)
        } else {
            id = ViewID(slot: entries.count, generation: 0)
            entries.append(Entry(mask: mask, generation: 0, holders: 1))
        }
        ids[mask] = id
        return id
    }

    /// Gives back one hold on `id`; the last one forgets the view.
    public func release(_ id: ViewID) {
        guard id != .all else { return }
        let slot = id.slot
        guard slot < entries.count, entries[slot].generation == UInt32(truncatingIfNeeded: id.rawValue >> 32), entries[slot].holders > 0 else {
            assertionFailure("release of a view not held")
            return
        }
        entries[slot].holders -= 1
        guard entries[slot].holders == 0 else { return }
        ids[entries[slot].mask] = nil
        entries[slot].mask = PropertyMask([])
        free.append(slot)
    }

    public func mask(_ id: ViewID) -> PropertyMask { entries[id.slot].mask }
    /// Views in use, the full view included.
    public var count: Int { ids.count }
}
