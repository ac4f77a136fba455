import CSimdJSON

/// A reusable simdjson parser with its own padded input buffer.
///
/// Threading: not thread-safe; each thread (the loop, a worker, a benchmark) owns its parser.
/// Elements handed to `parse`'s body point into the parser and are valid only inside the body.
public final class JSONParser {
    private let parser: OpaquePointer
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    /// The largest document accepted, in bytes.
    public let maxDocumentBytes: Int

    /// - Parameter maxDocumentBytes: larger inputs fail with `JSONError.tooLarge` before any copy.
    public init(maxDocumentBytes: Int = 16 << 20) {
        guard let p = sj_parser_create(maxDocumentBytes) else {
            preconditionFailure("simdjson parser allocation failed")  // out of memory: nothing sane to do
        }
        parser = p
        self.maxDocumentBytes = maxDocumentBytes
        capacity = 4096
        buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity + Int(SJ_PADDING), alignment: 64)
    }

    deinit {
        sj_parser_destroy(parser)
        buffer.deallocate()
    }

    /// Parses `bytes` (copied into the padded buffer) and runs `body` on the root element.
    public func parse<R>(_ bytes: UnsafeRawBufferPointer, _ body: (JSONElement) throws -> R) throws -> R {
        guard bytes.count <= maxDocumentBytes else { throw JSONError.tooLarge(bytes.count) }
        if bytes.count > capacity {
            buffer.deallocate()
            capacity = max(bytes.count, capacity * 2)
            buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity + Int(SJ_PADDING), alignment: 64)
        }
        if let base = bytes.baseAddress, bytes.count > 0 {
            buffer.copyMemory(from: base, byteCount: bytes.count)
        }
        var root = sj_value()
        let rc = sj_parse(parser, buffer.assumingMemoryBound(to: CChar.self), bytes.count, &root)
        guard rc == 0 else { throw JSONError.invalid(String(cString: sj_error_message(rc))) }
        return try body(JSONElement(raw: root))
    }

    /// Convenience for byte arrays and strings.
    public func parse<R>(_ bytes: some ContiguousBytes, _ body: (JSONElement) throws -> R) throws -> R {
        try bytes.withUnsafeBytes { try parse($0, body) }
    }
}

/// Why a document could not be parsed.
public enum JSONError: Error, Equatable, CustomStringConvertible {
    case invalid(String)
    case tooLarge(Int)

    public var description: String {
        switch self {
        case .invalid(let reason): return "invalid JSON: \(reason)"
        case .tooLarge(let n): return "JSON document too large (\(n) bytes)"
        }
    }
}

/// Anything whose bytes can be borrowed contiguously (arrays, strings' UTF-8, slices).
public protocol ContiguousBytes {
    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R
}

extension Array: ContiguousBytes where Element == UInt8 {}
extension ArraySlice: ContiguousBytes where Element == UInt8 {}
extension String: ContiguousBytes {
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        var copy = self
        return try copy.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}
