import Foundation

/// An IPv4 or IPv6 address or CIDR block (`remoteAddress` strategy, IN_CIDR operator).
public struct IPRange: Sendable, Equatable {
    let bytes: [UInt8]
    let prefix: Int

    /// `a.b.c.d`, `a.b.c.d/n`, an IPv6 address or block; nil when invalid.
    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let addr = Self.address(String(parts[0])) else { return nil }
        let bits = addr.count * 8
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...bits).contains(p), parts[1].allSatisfy(\.isASCIIDigit) else { return nil }
            prefix = p
        } else {
            prefix = bits
        }
        bytes = addr
    }

    /// The address bytes (4 or 16), IPv4-mapped IPv6 addresses read as IPv4.
    static func address(_ s: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 { return withUnsafeBytes(of: v4.s_addr) { Array($0) } }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, s, &v6) == 1 else { return nil }
        let b = withUnsafeBytes(of: v6) { Array($0) }
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff { return Array(b[12...]) }
        return b
    }

    public func contains(_ address: String) -> Bool {
        guard let a = Self.address(address), a.count == bytes.count else { return false }
        var remaining = prefix
        for i in 0..<bytes.count where remaining > 0 {
            let take = min(8, remaining)
            let mask: UInt8 = take == 8 ? 0xff : ~(0xff >> UInt8(take))
            if a[i] & mask != bytes[i] & mask { return false }
            remaining -= take
        }
        return true
    }
}
