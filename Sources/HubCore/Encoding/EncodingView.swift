/// A full encoding read through raw pointers: its bytes, where `data` starts, its spans.
/// Reading it copies no reference, so passing it per subscriber and publication costs no
/// atomic reference counting (`PublicationRing.fullView(at:)`).
public struct EncodingView {
    public let bytes: UnsafeBufferPointer<UInt8>
    public let dataStart: Int
    public let spans: UnsafeBufferPointer<EncodedPublication.Span>
    /// `EncodedPublication.layout`.
    public let layout: UInt64

    public init(bytes: UnsafeBufferPointer<UInt8>, dataStart: Int, spans: UnsafeBufferPointer<EncodedPublication.Span>, layout: UInt64 = 0) {
        self.bytes = bytes
        self.dataStart = dataStart
        self.spans = spans
        self.layout = layout
    }

    /// Points into `full`'s arrays beyond the closure that lends them. Sound only while
    /// something else keeps `full` alive and unchanged — its arrays are `let`, and a native
    /// array's storage does not move while it lives: `PublicationRing` makes one per slot and
    /// drops it with the slot's `full`.
    init(pinnedIn full: EncodedPublication) {
        bytes = full.bytes.withUnsafeBufferPointer { $0 }
        dataStart = full.dataStart
        spans = full.spans.withUnsafeBufferPointer { $0 }
        layout = full.layout
    }
}
