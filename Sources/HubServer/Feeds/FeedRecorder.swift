import Foundation
import HubCore

/// Writes what feed connections exchange with their venues to a recording (`RecordedLine`,
/// JSON Lines) for `streamhub replay`. Lines are buffered and written in 256 KiB blocks, and at
/// least once a second (`FeedSupervisor.tick`). The
/// file is created readable by its owner only (0600): it is venue traffic, whose credentials
/// the connections blank before they get here.
///
/// Threading: loop-confined (feed connections call it on the loop); `close` after the loop ends.
public final class FeedRecorder {
    public let path: String
    private let handle: FileHandle
    private let clock: HubClock
    private var buffer: [UInt8] = []
    public private(set) var lines = 0
    public private(set) var frames = 0

    /// Recording stops (and says why) at the first failed write: a full disk never stops the hub.
    public private(set) var failure: String?

    /// Creates `path` (mode 0600); an existing file is kept unless `overwrite`.
    public init(path: String, overwrite: Bool = false, clock: HubClock = SystemClock()) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL), 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw ReplayError("\(path) exists (--force replaces it)") }
            throw ReplayError("\(path): cannot create the recording (\(String(cString: strerror(errno))))")
        }
        fchmod(fd, 0o600)  // an overwritten file keeps its old mode otherwise
        self.path = path
        self.clock = clock
        handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        buffer.reserveCapacity(1 << 18)
    }

    func record(
        _ venue: String, _ kind: RecordedLine.Kind, url: String? = nil, status: Int? = nil, tag: String? = nil, _ payload: some Sequence<UInt8> = [UInt8]()
    ) {
        guard failure == nil else { return }
        let line = RecordedLine(
            time: Double(clock.wallMicroseconds()) / 1e6, venue: venue, kind: kind, url: url, status: status, tag: tag, payload: Array(payload))
        buffer.append(contentsOf: line.encoded())
        lines += 1
        if kind == .received { frames += 1 }
        if buffer.count >= 1 << 18 { flush() }
    }

    public func flush() {
        guard !buffer.isEmpty, failure == nil else { return }
        let fd = handle.fileDescriptor
        var written = 0
        buffer.withUnsafeBytes { bytes in
            while written < bytes.count {
                let n = write(fd, bytes.baseAddress! + written, bytes.count - written)
                if n > 0 {
                    written += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    // ENOSPC, EDQUOT, EIO…: said in the system's words ("No space left on device").
                    failure = "writing \(path): \(String(cString: strerror(n < 0 ? errno : ENOSPC))); recording stopped"
                    return
                }
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() {
        flush()
        try? handle.close()
    }
}
