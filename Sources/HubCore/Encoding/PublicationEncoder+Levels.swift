#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Book levels reused from the channel's previous publication.
///
/// A book update moves one or two levels; the other levels of the published top keep their
/// price and amount, though usually not their index (a level inserted above shifts the rest
/// down). Formatting two numbers per level was most of a book publication's cost, so a level
/// equal to one of the previous publication's is copied from that publication's bytes.
extension PublicationEncoder {
    /// Appends `levels` as `[[price,amount],…]`, copying each level that `before` also had from
    /// `text`, the previous publication's span for the property (`"key":[[p,a],…]`, the key
    /// `keyLength` bytes long), which encoded `before`.
    static func appendLevels(_ levels: [PriceLevel], reusing before: [PriceLevel], text: UnsafeBufferPointer<UInt8>, keyLength: Int, to w: inout JSONCursor) {
        var previous = LevelScanner(text: text, first: keyLength + 1)
        var hint = 0
        w.byte(UInt8(ascii: "["))
        for (i, level) in levels.enumerated() {
            if i > 0 { w.byte(UInt8(ascii: ",")) }
            if let j = Self.index(of: level, in: before, from: hint), let bytes = previous.level(j) {
                w.bytes(bytes)
                hint = j + 1
            } else {
                w.level(level)
            }
        }
        w.byte(UInt8(ascii: "]"))
    }

    /// Where `before` holds a level with `level`'s price and amount, looked for in the few
    /// positions from `hint` (just past the last match). Both sides are sorted the same way, so
    /// an update that inserts or removes a level or two shifts the rest by that much; levels
    /// further off are formatted. Forward only and bounded: a publication costs at most
    /// `window` compares per level, and the scanner never goes back, however deep the book.
    @inline(__always)
    private static func index(of level: PriceLevel, in before: [PriceLevel], from hint: Int) -> Int? {
        before.withUnsafeBufferPointer { b in
            var j = hint
            while j < Swift.min(b.count, hint + window) {
                if b[j] == level { return j }
                j += 1
            }
            return nil
        }
    }

    /// How far past the last match a level is looked for.
    private static let window = 4
}

/// Finds the text of level j in an encoded levels array, `[p,a],[p,a],…` from `first`. Numbers
/// hold no brackets, so level j + 1 starts two bytes past level j's `]`. Levels are asked for in
/// rising order (`index(of:in:from:)` looks forward only), so each call continues from the last.
private struct LevelScanner {
    let text: UnsafeBufferPointer<UInt8>
    private var level = 0
    private var start: Int

    init(text: UnsafeBufferPointer<UInt8>, first: Int) {
        self.text = text
        start = first
    }

    /// The bytes of level `j` (≥ every level asked for before), `[price,amount]`; nil when the
    /// text is not shaped as expected.
    mutating func level(_ j: Int) -> UnsafeBufferPointer<UInt8>? {
        while level < j {
            guard let close = closing(from: start) else { return nil }
            start = close + 2
            level += 1
        }
        guard start < text.count, text[start] == UInt8(ascii: "["), let close = closing(from: start) else { return nil }
        return UnsafeBufferPointer(rebasing: text[start...close])
    }

    private func closing(from i: Int) -> Int? {
        guard i < text.count, let base = text.baseAddress, let hit = memchr(base + i, Int32(UInt8(ascii: "]")), text.count - i) else { return nil }
        return UnsafeRawPointer(hit) - UnsafeRawPointer(base)
    }
}
