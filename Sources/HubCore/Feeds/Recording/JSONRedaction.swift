/// Blanks the string values of named JSON fields (`"client_secret":"…"` → `"client_secret":"***"`)
/// wherever they appear in a frame, so credentials never reach recordings. Text that is not
/// JSON passes through unchanged.
public enum JSONRedaction {
    public static let mask: [UInt8] = Array("***".utf8)

    /// `frame` with every string value of `fields` replaced by `***`.
    public static func redact(_ frame: UnsafeRawBufferPointer, fields: [String]) -> [UInt8] {
        var out = Array(frame)
        for field in fields { out = redact(out, field: Array("\"\(field)\"".utf8)) }
        return out
    }

    private static func redact(_ bytes: [UInt8], field quoted: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        var copied = 0
        while let at = find(quoted, in: bytes, from: i) {
            var j = at + quoted.count
            while j < bytes.count, isSpace(bytes[j]) { j += 1 }
            guard j < bytes.count, bytes[j] == UInt8(ascii: ":") else {
                i = at + 1
                continue
            }
            j += 1
            while j < bytes.count, isSpace(bytes[j]) { j += 1 }
            guard j < bytes.count, bytes[j] == UInt8(ascii: "\"") else {
                i = j
                continue
            }
            // The value's closing quote (escaped quotes skipped).
            var end = j + 1
            while end < bytes.count, bytes[end] != UInt8(ascii: "\"") { end += bytes[end] == UInt8(ascii: "\\") ? 2 : 1 }
            guard end < bytes.count else { break }
            out.append(contentsOf: bytes[copied...j])
            out.append(contentsOf: mask)
            copied = end
            i = end + 1
        }
        if copied == 0 && out.isEmpty { return bytes }
        out.append(contentsOf: bytes[copied...])
        return out
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var i = start
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
