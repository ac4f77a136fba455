/// Which of a publication's spans a view keeps, as runs of neighbouring spans: worked out once
/// per cursor and publication layout, so that a subscriber's projection copies a few runs
/// instead of testing every property against its mask for every publication.
///
/// A plan holds for the layout it was made for (`EncodedPublication.layout`: within a channel,
/// publications with one number have the same properties in the same order) and the view it
/// was made with (`ViewTable` never gives a `ViewID` to another mask, short of one slot being
/// reused 2^32 times). Layout 0 is unnumbered: a plan for it is made again every time.
struct ProjectionPlan {
    private var layout: UInt64 = 0
    private var view = ViewID.all
    /// Span indices, two per run: the run's first span and one past its last.
    private var runs: [UInt32] = []

    /// Whether this plan was made for `layout` and `view`.
    @inline(__always)
    func holds(layout: UInt64, view: ViewID) -> Bool {
        layout != 0 && self.layout == layout && self.view == view
    }

    /// Makes the plan of `mask` over `spans`: maximal runs of the spans it keeps.
    mutating func make(_ spans: UnsafeBufferPointer<EncodedPublication.Span>, mask: PropertyMask, layout: UInt64, view: ViewID) {
        self.layout = layout
        self.view = view
        runs.removeAll(keepingCapacity: true)
        var runStart = -1
        for (i, span) in spans.enumerated() {
            if mask.contains(span.id) {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                runs.append(UInt32(runStart))
                runs.append(UInt32(i))
                runStart = -1
            }
        }
        if runStart >= 0 {
            runs.append(UInt32(runStart))
            runs.append(UInt32(spans.count))
        }
    }

    /// Appends the projection of `full`: its head, each run's bytes (commas between runs; a run
    /// carries its own), then `}}`. One reservation, then plain stores. A publication's
    /// projection is never longer than it; the bound holds for any spans within the bytes.
    func copy(_ full: EncodingView, into out: inout [UInt8]) {
        let b = full.bytes, spans = full.spans
        // One compare against reading outside the spans, were a plan ever used for a layout with
        // fewer properties (one with as many would project the wrong ones: `holds` prevents it).
        precondition(Int(runs.last ?? 0) <= spans.count, "projection plan made for another layout")
        out.appendJSON(reserving: b.count + runs.count / 2 + 2) { w in
            w.bytes(UnsafeBufferPointer(rebasing: b[..<full.dataStart]))
            runs.withUnsafeBufferPointer { runs in
                var k = 0
                while k + 1 < runs.count {
                    if k > 0 { w.byte(UInt8(ascii: ",")) }
                    let start = Int(spans[Int(runs[k])].start), end = Int(spans[Int(runs[k + 1]) - 1].end)
                    w.bytes(UnsafeBufferPointer(rebasing: b[start..<end]))
                    k += 2
                }
            }
            w.literal("}}")
        }
    }
}
