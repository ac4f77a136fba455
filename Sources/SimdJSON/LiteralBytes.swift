#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension UnsafeRawBufferPointer {
    /// True when these bytes are `literal`'s UTF-8 (one memcmp; `elementsEqual` walks a byte at
    /// a time through the generic sequence code).
    public func equals(_ literal: StaticString) -> Bool {
        count == literal.utf8CodeUnitCount && hasPrefix(literal)
    }

    /// True when these bytes start with `literal`'s UTF-8.
    public func hasPrefix(_ literal: StaticString) -> Bool {
        literal.withUTF8Buffer { lit in
            lit.count <= count && (lit.count == 0 || memcmp(lit.baseAddress!, baseAddress!, lit.count) == 0)
        }
    }
}
