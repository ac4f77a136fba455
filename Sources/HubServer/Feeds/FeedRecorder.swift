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

    /// Recording stops (and says why) at the first failed write: a full disk never stops the hub.
    public private(set) var failure: String?

    /// Creates `path`; an existing file is kept unless `overwrite`.
    public init(path: String, overwrite: Bool = false) throws {
        if !overwrite && FileManager.default.fileExists(atPath: path) { throw ReplayError("\(path) exists (--force replaces it)") }
        guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
            throw ReplayError("\(path): cannot create the recording")
        }
        self.path = path
        handle = h
        buffer.reserveCapacity(1 << 18)
    }

    func record(_ venue: String, _ kind: RecordedLine.Kind, url: String? = nil, status: Int? = nil, tag: String? = nil, _ payload: some Sequence<UInt8> = [UInt8]()) {
        guard failure == nil else { return }
        let line = RecordedLine(time: Double(WallClock.microseconds()) / 1e6, venue: venue, kind: kind, url: url, status: status, tag: tag, payload: Array(payload))
        buffer.append(contentsOf: line.encoded())
        lines += 1
        if kind == .received { frames += 1 }
        if buffer.count >= 1 << 18 { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty, failure == nil else { return }
        do {
            try handle.write(contentsOf: buffer)
        } catch {
            failure = "writing \(path): \(error.localizedDescription); recording stopped"
        }
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() {
        flush()
        try? handle.close()
    }
}
