import Foundation
import HubCore
import Venues

/// Writes what feed connections exchange with their venues to a recording (`RecordedLine`,
/// JSON Lines) for `streamhub replay`. Lines are buffered and written in 256 KiB blocks.
///
/// Threading: loop-confined (feed connections call it on the loop); `close` after the loop ends.
public final class FeedRecorder {
    public let path: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    public private(set) var lines = 0
    public private(set) var frames = 0

    public init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw ReplayError("\(path): cannot create the recording")
        }
        self.path = path
        handle = h
        buffer.reserveCapacity(1 << 18)
    }

    func record(_ venue: String, _ kind: RecordedLine.Kind, url: String? = nil, status: Int? = nil, _ payload: some Sequence<UInt8> = [UInt8]()) {
        let line = RecordedLine(time: Double(WallClock.microseconds()) / 1e6, venue: venue, kind: kind, url: url, status: status, payload: Array(payload))
        buffer.append(contentsOf: line.encoded())
        lines += 1
        if kind == .received { frames += 1 }
        if buffer.count >= 1 << 18 { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() {
        flush()
        try? handle.close()
    }
}
