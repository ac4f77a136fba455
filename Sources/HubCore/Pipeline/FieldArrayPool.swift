/// Field arrays of evicted publications, handed back to transformation for the next ticks: a
/// channel whose ring is full gives up one tick as it takes one, so on the steady path a tick's
/// fields need no allocation. Bounded.
///
/// Threading: loop-confined (the hub puts, the transform takes, both on the loop thread).
public final class FieldArrayPool: @unchecked Sendable {
    private var arrays: [[Field]] = []
    public let limit: Int

    public init(limit: Int = 256) {
        self.limit = limit
    }

    public var count: Int { arrays.count }

    /// An empty array with room for at least `capacity` fields.
    public func take(capacity: Int) -> [Field] {
        var fields = arrays.popLast() ?? []
        fields.reserveCapacity(capacity)
        return fields
    }

    /// Keeps `fields`' storage for reuse (moved out of the caller's variable, which is left
    /// empty). When something else still holds that storage, emptying it makes a fresh buffer
    /// instead — rare: an evicted tick is a ring's length old (`serve.stateRingSize`, 64).
    public func put(_ fields: inout [Field]) {
        guard arrays.count < limit, fields.capacity > 0 else { return }
        var kept: [Field] = []
        swap(&kept, &fields)
        kept.removeAll(keepingCapacity: true)
        arrays.append(kept)
    }
}
