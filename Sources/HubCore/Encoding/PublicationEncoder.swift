#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Serialises publications: `{"ch":…,"off":N,"ts":…,"rt":…,"data":{…}}`, projected through a view.
///
/// Why bytes and not `JSONEncoder`: Foundation's encoder runs at ~38k msgs/s here, a byte writer at
/// ~460k (docs/performance.md); publications are encoded once per distinct view and shared.
public struct PublicationEncoder: Sendable {
    public let properties: PropertyTable

    public init(properties: PropertyTable) {
        self.properties = properties
    }

    /// The full-view bytes and where each property sits in them, so any projection is spliced
    /// from them (a memcpy per field) instead of formatting every number again per view.
    ///
    /// `previous` is the channel's last publication: a property whose value it had too is copied
    /// from its bytes rather than formatted again (a state channel republishes its whole state,
    /// most of it unchanged; formatting numbers is most of the cost).
    ///
    /// `storage` is buffers to write into (an evicted publication's, from `PublicationRing.reclaim`):
    /// on the steady path encoding allocates nothing.
    ///
    /// Numbers the publication's layout (`EncodedPublication.layout`), taking the channel's next
    /// number when it differs from `previous`'s: call it on the channel's thread (the loop).
    public func encodeFull(
        channel: Channel, offset: UInt64, tick: Tick, previous: PublishedTick? = nil, storage: inout EncodedPublication.Storage
    ) -> EncodedPublication {
        // Moved out, not copied: a second reference would make the buffers copy on write.
        var out: [UInt8] = [], spans: [EncodedPublication.Span] = []
        swap(&out, &storage.bytes)
        swap(&spans, &storage.spans)
        out.removeAll(keepingCapacity: true)
        spans.removeAll(keepingCapacity: true)
        let ranges = properties.keyRanges
        // What the closures below read, taken out of the tick: capturing the tick copied all of it.
        let fields = tick.fields, exchangeTime = tick.exchangeTime, receiveTime = tick.receiveTime
        // The worst case is reserved once, then every byte is a plain store (`JSONCursor`).
        var reserve = Self.headBytes(channel, epoch: nil) + 2
        for f in fields { reserve += 1 + ranges[f.id.index].count + JSONCursor.maxBytes(f.value) }
        var dataStart = 0, samePlaces = 0
        let earlier = previous?.fields ?? [], earlierSpans = previous?.encoding.spans ?? []
        let earlierBytes = previous?.encoding.bytes ?? []
        spans.append(addingCapacity: fields.count) { spanOutput in
            spanOutput.withUnsafeMutableBufferPointer { spanBuffer, spanCount in
                out.appendJSON(reserving: reserve) { w in
                    appendHead(
                        channel: channel, offset: offset, exchangeTime: exchangeTime, receiveTime: receiveTime, snapshot: false, epoch: nil, to: &w)
                    dataStart = w.count
                    properties.keyBlob.withUnsafeBufferPointer { keys in
                        fields.withUnsafeBufferPointer { fields in
                            earlier.withUnsafeBufferPointer { earlier in
                                earlierSpans.withUnsafeBufferPointer { earlierSpans in
                                    earlierBytes.withUnsafeBufferPointer { earlierBytes in
                                        samePlaces = Self.writeData(
                                            fields, keys: keys, ranges: ranges, earlier: earlier, earlierSpans: earlierSpans, earlierBytes: earlierBytes,
                                            spans: spanBuffer, to: &w)
                                    }
                                }
                            }
                        }
                    }
                    w.literal("}}")
                }
                spanCount = fields.count  // one per field
            }
        }
        // The previous publication's layout number when the properties are the same, in the same
        // order (each at the place it had, and as many); else the channel's next one.
        let layout: UInt64
        if let previous, previous.encoding.layout != 0, samePlaces == fields.count, earlier.count == fields.count {
            layout = previous.encoding.layout
        } else {
            channel.layouts += 1
            layout = channel.layouts
        }
        return EncodedPublication(bytes: out, dataStart: dataStart, spans: spans, layout: layout)
    }

    /// Writes the `data` members of `fields` and one span per member into `spans` (initialising
    /// `fields.count` of them); returns how many properties sit where they sat in the previous
    /// publication. `earlier` and `earlierSpans` are the previous publication's fields and
    /// spans in `earlierBytes`: a property unchanged since then is copied from those bytes.
    private static func writeData(
        _ fields: UnsafeBufferPointer<Field>, keys: UnsafeBufferPointer<UInt8>, ranges: [Range<Int>], earlier: UnsafeBufferPointer<Field>,
        earlierSpans: UnsafeBufferPointer<EncodedPublication.Span>, earlierBytes: UnsafeBufferPointer<UInt8>,
        spans: UnsafeMutableBufferPointer<EncodedPublication.Span>, to w: inout JSONCursor
    ) -> Int {
        let reusable = min(earlier.count, earlierSpans.count)
        var samePlaces = 0
        // Unchanged properties that were neighbours before too are copied as one run of the
        // previous bytes, commas included; `run` is the stretch not yet copied.
        var run = 0..<0
        func copyRun(_ w: inout JSONCursor) {
            guard !run.isEmpty else { return }
            w.bytes(UnsafeBufferPointer(rebasing: earlierBytes[run]))
            run = 0..<0
        }
        for i in 0..<fields.count {
            let id = fields[i].id
            // The property's span in the previous publication, when it sat at the same place.
            let same = i < reusable && earlier[i].id == id && earlierSpans[i].id == id
            if same { samePlaces += 1 }
            if same, sameText(earlier[i].value, fields[i].value) {
                let span = earlierSpans[i]
                let from = Int(span.start), to = Int(span.end)
                if !run.isEmpty && from == run.upperBound + 1 {
                    run = run.lowerBound..<to
                } else {
                    copyRun(&w)
                    if i > 0 { w.byte(UInt8(ascii: ",")) }
                    run = from..<to
                }
                // Where the span lands once the run is copied (nothing is written before).
                let start = w.count + from - run.lowerBound
                spans.initializeElement(at: i, to: .init(id: id, start: UInt32(start), end: UInt32(start + to - from)))
                continue
            }
            copyRun(&w)
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            let start = w.count
            let key = UnsafeBufferPointer(rebasing: keys[ranges[id.index]])
            w.short(key)
            if same, case .levels(let levels) = fields[i].value, case .levels(let before) = earlier[i].value {
                let span = earlierSpans[i]
                let text = UnsafeBufferPointer(rebasing: earlierBytes[Int(span.start)..<Int(span.end)])
                appendLevels(levels, reusing: before, text: text, keyLength: key.count, to: &w)
            } else {
                w.value(fields[i].value)
            }
            spans.initializeElement(at: i, to: .init(id: id, start: UInt32(start), end: UInt32(w.count)))
        }
        copyRun(&w)
        return samePlaces
    }

    /// The most bytes `appendHead` writes: the channel's head, three integers and the literals.
    private static func headBytes(_ channel: Channel, epoch: String?) -> Int {
        let literals = ",\"snap\":true,\"ts\":,\"rt\":,\"data\":{".utf8.count
        return channel.publicationHead.count + 3 * JSONCursor.maxIntegerBytes + literals + (epoch.map { 9 + JSONCursor.maxBytes(string: $0) } ?? 0)
    }

    public func encodeFull(channel: Channel, offset: UInt64, tick: Tick, previous: PublishedTick? = nil) -> EncodedPublication {
        var storage = EncodedPublication.Storage()
        return encodeFull(channel: channel, offset: offset, tick: tick, previous: previous, storage: &storage)
    }

    /// Values that encode to the same bytes: strings compared byte for byte (`String ==` calls
    /// canonically equivalent spellings equal, which print differently).
    @inline(__always)
    private static func sameText(_ a: PropertyValue, _ b: PropertyValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x == y  // most properties: no generic ==
        case (.string(let x), .string(let y)): return sameBytes(x, y)
        default: return a == b
        }
    }

    /// Byte equality: one `memcmp` over both strings' UTF-8 where they are contiguous (native
    /// and small strings are), element by element otherwise (a bridged string).
    @inline(__always)
    static func sameBytes(_ x: String, _ y: String) -> Bool {
        guard x.utf8.count == y.utf8.count else { return false }
        let compared = x.utf8.withContiguousStorageIfAvailable { a in
            y.utf8.withContiguousStorageIfAvailable { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
        return (compared ?? nil) ?? x.utf8.elementsEqual(y.utf8)
    }

    /// A projection of a full encoding: the head, then the spans the mask keeps.
    public func project(_ full: EncodedPublication, mask: PropertyMask) -> [UInt8] {
        var out: [UInt8] = []
        project(full, mask: mask, into: &out)
        return out
    }

    /// Appends the projection to `out`. Neighbouring spans the mask keeps are one run of bytes
    /// (with their commas) and are copied as one.
    public func project(_ full: EncodedPublication, mask: PropertyMask, into out: inout [UInt8]) {
        full.bytes.withUnsafeBufferPointer { bytes in
            full.spans.withUnsafeBufferPointer { spans in
                project(EncodingView(bytes: bytes, dataStart: full.dataStart, spans: spans), mask: mask, into: &out)
            }
        }
    }

    /// `project` reading the encoding through raw pointers (no reference counting).
    public func project(_ full: EncodingView, mask: PropertyMask, into out: inout [UInt8]) {
        var plan = ProjectionPlan()
        project(full, mask: mask, view: .all, plan: &plan, into: &out)
    }

    /// The fan-out's projection, per subscriber and publication: `plan` (the cursor's) is made
    /// again only when the publication's layout or the view differs from the last one's. A mask
    /// that keeps everything copies the head, one run and `}}`: the full encoding byte for byte.
    /// `mask` is read only when the plan is made.
    func project(
        _ full: EncodingView, mask: @autoclosure () -> PropertyMask, view: ViewID, plan: inout ProjectionPlan, into out: inout [UInt8]
    ) {
        if !plan.holds(layout: full.layout, view: view) { plan.make(full.spans, mask: mask(), layout: full.layout, view: view) }
        plan.copy(full, into: &out)
    }

    private func appendHead(
        channel: Channel, offset: UInt64, exchangeTime: Int64, receiveTime: Int64, snapshot: Bool, epoch: String?, to w: inout JSONCursor
    ) {
        channel.publicationHead.withUnsafeBufferPointer { w.bytes($0) }
        w.uint(offset)
        if let epoch {
            w.literal(",\"epoch\":")
            w.string(epoch)
        }
        if snapshot { w.literal(",\"snap\":true") }
        w.literal(",\"ts\":")
        w.int(exchangeTime)
        w.literal(",\"rt\":")
        w.int(receiveTime)
        w.literal(",\"data\":{")
    }

    public func encode(channel: Channel, offset: UInt64, tick: Tick, mask: PropertyMask, snapshot: Bool = false, epoch: String? = nil) -> [UInt8] {
        let ranges = properties.keyRanges
        var reserve = Self.headBytes(channel, epoch: epoch) + 2
        for f in tick.fields where mask.contains(f.id) { reserve += 1 + ranges[f.id.index].count + JSONCursor.maxBytes(f.value) }
        var out: [UInt8] = []
        out.appendJSON(reserving: reserve) { w in
            appendHead(
                channel: channel, offset: offset, exchangeTime: tick.exchangeTime, receiveTime: tick.receiveTime, snapshot: snapshot, epoch: epoch,
                to: &w)
            var first = true
            properties.keyBlob.withUnsafeBufferPointer { keys in
                for f in tick.fields where mask.contains(f.id) {
                    if !first { w.byte(UInt8(ascii: ",")) }
                    first = false
                    w.bytes(UnsafeBufferPointer(rebasing: keys[ranges[f.id.index]]))
                    w.value(f.value)
                }
            }
            w.literal("}}")
        }
        return out
    }
}

/// A channel's latest publication: its fields and their full-view encoding (what `encodeFull`
/// reuses).
public struct PublishedTick {
    public let fields: [Field]
    public let encoding: EncodedPublication
    public init(fields: [Field], encoding: EncodedPublication) {
        self.fields = fields
        self.encoding = encoding
    }
}

/// A publication serialised for the full view, with each property's `"key":value` span.
public struct EncodedPublication: Sendable {
    public struct Span: Sendable {
        public let id: PropertyID
        public let start: UInt32
        public let end: UInt32
        public init(id: PropertyID, start: UInt32, end: UInt32) {
            self.id = id
            self.start = start
            self.end = end
        }
    }

    /// Buffers an encoding is written into (empty, with capacity when reclaimed).
    public struct Storage {
        public internal(set) var bytes: [UInt8] = []
        public internal(set) var spans: [Span] = []
        /// The evicted tick's fields (`PublicationRing.reclaim`), for the hub's field pool.
        public internal(set) var fields: [Field] = []
        public init() {}
    }

    public let bytes: [UInt8]
    /// Index just past `"data":{`.
    public let dataStart: Int
    /// One per property, in byte order, each `"key":value`, neighbours one comma apart (what
    /// `project` relies on to copy runs of them at once).
    public let spans: [Span]
    /// The channel's number for this publication's properties in their order, for
    /// `ProjectionPlan`: publications of one channel with the same number have the same ones
    /// (the converse need not hold: each is compared with the previous only). 0: not numbered.
    public let layout: UInt64

    public init(bytes: [UInt8], dataStart: Int, spans: [Span], layout: UInt64 = 0) {
        self.bytes = bytes
        self.dataStart = dataStart
        self.spans = spans
        self.layout = layout
    }
}
