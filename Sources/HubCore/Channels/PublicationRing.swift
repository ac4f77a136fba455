/// A channel's recent publications: offset → tick, plus the serialised bytes per view, made on
/// first use and shared by every subscriber holding that view. Together with the subscribers'
/// cursors this is the per-connection queue, the conflation point and the recent history.
///
/// Offsets start at 1 and rise by one per publication. Threading: loop-confined.
public final class PublicationRing: @unchecked Sendable {
    public struct Slot {
        public var offset: UInt64
        public var tick: Tick
        /// Bytes of the full-view encoding of every publication before this one (running total),
        /// so a cursor's backlog in bytes is one subtraction.
        var bytesBefore: UInt64
        var size: UInt64
        /// The full-view encoding with property spans (made at publish when anyone listens).
        var full: EncodedPublication?
        /// `full` through raw pointers, for the fan-out's reads (`fullView(at:)`).
        var view: EncodingView?
        /// Other views' bytes, made on first use.
        var encodings: [(ViewID, [UInt8])]
    }

    public let capacity: Int
    /// `capacity - 1` when the capacity is a power of two (the defaults are): a slot's index is
    /// then a mask, not a division, on every read of every cursor.
    private let indexMask: UInt64?
    private var slots: [Slot?]
    /// Offset of the newest publication; 0 when there is none.
    public private(set) var lastOffset: UInt64 = 0
    /// Running total of full-view bytes published.
    public private(set) var totalBytes: UInt64 = 0
    /// Offsets up to here were published before a restart and are not held in memory.
    private var resumedAfter: UInt64 = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "ring capacity must be positive")  // config validation guarantees it
        self.capacity = capacity
        indexMask = capacity & (capacity - 1) == 0 ? UInt64(capacity - 1) : nil
        slots = Array(repeating: nil, count: capacity)
    }

    /// The oldest offset still held (lastOffset + 1 when empty).
    public var firstOffset: UInt64 {
        Swift.max(lastOffset >= UInt64(capacity) ? lastOffset - UInt64(capacity) + 1 : 1, resumedAfter + 1)
    }

    public var isEmpty: Bool { lastOffset == 0 }

    /// Appends a publication. `full` (made when subscribers exist) serves the all-view bytes,
    /// is the source of projections and is counted in `totalBytes`.
    @discardableResult
    public func append(_ tick: consuming Tick, full: EncodedPublication?) -> UInt64 {
        lastOffset += 1
        let size = UInt64(full?.bytes.count ?? 0)
        slots[index(lastOffset)] = Slot(
            offset: lastOffset, tick: tick, bytesBefore: totalBytes, size: size, full: full, view: full.map(EncodingView.init(pinnedIn:)),
            encodings: [])
        totalBytes += size
        return lastOffset
    }

    /// Continues numbering after `offset` (restart with restored history).
    public func resume(after offset: UInt64) {
        precondition(lastOffset == 0, "resume only an empty ring")
        lastOffset = offset
        resumedAfter = offset
    }

    /// Moves past offsets this ring will never hold — a stretch a cluster node could not get
    /// (neither live nor from history), or a new epoch (`discarding` every slot; offsets may then
    /// restart lower). Cursors behind it are treated as fallen off the ring.
    public func skip(after offset: UInt64, discarding: Bool = false) {
        precondition(discarding || offset >= lastOffset, "skip only forwards within an epoch")
        if discarding { slots = Array(repeating: nil, count: capacity) }
        lastOffset = offset
        resumedAfter = offset
    }

    @inline(__always)
    private func index(_ offset: UInt64) -> Int {
        if let indexMask { return Int(offset & indexMask) }
        return Int(offset % UInt64(capacity))
    }

    public func contains(_ offset: UInt64) -> Bool { offset >= firstOffset && offset <= lastOffset && offset > 0 }

    public func tick(at offset: UInt64) -> Tick? {
        guard contains(offset) else { return nil }
        return slots.withUnsafeBufferPointer { $0[index(offset)]?.tick }
    }

    /// Bytes still to deliver to a cursor whose next offset is `next` (full-view sizes).
    public func backlogBytes(from next: UInt64) -> UInt64 {
        // One field read through the optional (binding the slot would copy it: a retain and a
        // release of its tick's strings and arrays, per cursor, per publication).
        guard next <= lastOffset, contains(next) else { return 0 }
        return slots.withUnsafeBufferPointer { $0[index(next)]?.bytesBefore }.map { totalBytes - $0 } ?? 0
    }

    /// The full-view encoding of a publication through raw pointers, when it was made at
    /// publish: what fan-out reads per subscriber and publication. Copying `EncodedPublication`
    /// out retains and releases its two arrays, and passing its bytes on does it again — atomic
    /// operations that were 40 % of the hub's CPU at saturation. Valid until the ring next
    /// changes (`append`, `reclaim`, `skip`): use it at once, never keep it.
    @inline(__always)
    public func fullView(at offset: UInt64) -> EncodingView? {
        guard contains(offset) else { return nil }
        return slots.withUnsafeBufferPointer { $0[index(offset)]?.view }
    }

    /// The buffers of the publication the next `append` evicts (the ring is full): its encoding's,
    /// for the next encoding to be written into, and its tick's fields, for the next tick — a
    /// ring in its steady state publishes without allocating. `append` replaces the slot.
    public func reclaim() -> EncodedPublication.Storage {
        let i = index(lastOffset + 1)
        guard lastOffset >= UInt64(capacity), slots.withUnsafeBufferPointer({ $0[i]?.offset != nil }) else { return .init() }
        var storage = EncodedPublication.Storage()
        swap(&storage.fields, &slots[i]!.tick.fields)
        if slots[i]!.full != nil {
            storage.bytes = slots[i]!.full!.bytes
            storage.spans = slots[i]!.full!.spans
            slots[i]!.view = nil  // it points into the buffers the next encoding is written to
            slots[i]!.full = nil  // the buffers are uniquely held now, unless a reader still has them
        }
        storage.bytes.removeAll(keepingCapacity: true)
        storage.spans.removeAll(keepingCapacity: true)
        return storage
    }

    /// The newest publication with its full-view encoding, when it has one.
    public var latestPublished: PublishedTick? {
        let i = index(lastOffset), last = lastOffset
        guard last > resumedAfter else { return nil }
        // In place, like `fullView(at:)`: `slots[i]?.…` copied the whole slot three times here.
        return slots.withUnsafeBufferPointer { b in
            guard b[i]?.offset == last, let full = b[i]?.full, let fields = b[i]?.tick.fields else { return nil }
            return PublishedTick(fields: fields, encoding: full)
        }
    }

    /// The publication's bytes for `view`: the full encoding for the all-view, else made by
    /// `make` (from the slot's full encoding when there is one) on first use and cached.
    public func encoding(at offset: UInt64, view: ViewID, make: (Tick, EncodedPublication?, UInt64) -> [UInt8]) -> [UInt8]? {
        let i = index(offset)
        guard contains(offset) else { return nil }
        // Read in place; binding the slot copied it (per subscriber, per publication).
        enum Lookup {
            case noSlot
            case made([UInt8])
            case toMake
        }
        let lookup: Lookup = slots.withUnsafeBufferPointer { b in
            guard b[i]?.offset != nil else { return .noSlot }
            if view == .all, let full = b[i]?.full { return .made(full.bytes) }
            for (v, bytes) in b[i]!.encodings where v == view { return .made(bytes) }
            return .toMake
        }
        switch lookup {
        case .noSlot: return nil
        case .made(let bytes): return bytes
        case .toMake: break
        }
        let (tick, full) = slots.withUnsafeBufferPointer { ($0[i]!.tick, $0[i]!.full) }
        let bytes = make(tick, full, offset)
        slots[i]!.encodings.append((view, bytes))
        return bytes
    }
}
