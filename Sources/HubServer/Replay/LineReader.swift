import Foundation

/// Reads a file line by line in 1 MiB chunks, so a recording of any size streams through
/// bounded memory. Lines are handed out as bytes without the newline (a trailing `\r` is cut).
final class LineReader {
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    /// Where the search for the next newline resumes (bytes before it hold none).
    private var scanFrom = 0
    private var eof = false
    /// Bytes consumed so far (for progress).
    private(set) var bytesRead = 0

    init(path: String) throws {
        guard let h = FileHandle(forReadingAtPath: path) else { throw ReplayError("\(path): cannot read the file") }
        handle = h
    }

    deinit { try? handle.close() }

    /// The next line, or nil at the end of the file.
    func next() throws -> ArraySlice<UInt8>? {
        while true {
            if let nl = buffer[max(start, scanFrom)...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = buffer[start..<nl]
                bytesRead += nl + 1 - start
                start = nl + 1
                scanFrom = start
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                return line
            }
            if eof {
                guard start < buffer.count else { return nil }
                var line = buffer[start...]
                bytesRead += buffer.count - start
                start = buffer.count
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                return line
            }
            scanFrom = buffer.count - start
            buffer.removeFirst(start)
            start = 0
            let chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            if chunk.isEmpty { eof = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}

/// A replay that cannot run (unreadable file, unknown venue); the CLI prints it.
public struct ReplayError: Error, CustomStringConvertible {
    public let description: String
    init(_ message: String) { description = message }
}
