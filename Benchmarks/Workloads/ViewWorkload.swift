import HubCore
import Venues

/// Distinct views of the Deribit session's channels, for `streamhub-bench pipeline` and the
/// micro-benchmarks.
public enum ViewWorkload {
    /// `count` distinct field projections (the first is the full view).
    public static func projections(_ props: PropertyTable, count: Int) -> [[String]] {
        guard count > 0 else { return [] }
        let names = DeribitField.allCases.map(\.mapping.property) + ["mid", "spread", "spreadBps", "microprice"]
        _ = names.map { props.intern($0) }
        var out: [[String]] = [[]]
        var i = 0
        while out.count < count {
            // Drop a different pair of fields for each view.
            let a = i % names.count, b = (i * 7 + 3) % names.count
            out.append(names.enumerated().filter { $0.offset != a && $0.offset != b }.map(\.element))
            i += 1
        }
        return out
    }

    /// A session that is never written to: frames are filled and dropped.
    final class Sink: SessionTransport {
        func requestWritable() {}
        func requestClose(_ reason: CloseReason) {}
    }

    /// One session per view subscribed to every Deribit channel (`*.deribit.*`), each with its
    /// projection (`fields`; none: the full view).
    public static func subscribers(_ hub: Hub, views: [[String]]) -> [Session] {
        views.map { fields in
            let s = hub.open(transport: Sink(), remoteAddress: "bench")
            let list = fields.map { "\"\($0)\"" }.joined(separator: ",")
            let request =
                fields.isEmpty
                ? #"{"id":1,"op":"subscribe","channel":"*.deribit.*"}"#
                : #"{"id":1,"op":"subscribe","channel":"*.deribit.*","fields":[\#(list)]}"#
            var r = Array(request.utf8)
            r.withUnsafeMutableBytes { hub.receive(s, message: UnsafeRawBufferPointer($0)) }
            return s
        }
    }
}
