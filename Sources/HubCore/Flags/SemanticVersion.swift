/// A semantic version (semver.org 2.0) for the SEMVER_* constraint operators: strict parsing,
/// precedence with pre-release identifiers, build metadata ignored.
public struct SemanticVersion: Comparable, Sendable {
    public let major: UInt64, minor: UInt64, patch: UInt64
    public let prerelease: [String]

    public init?(_ text: String) {
        var core = Substring(text)
        if let plus = core.firstIndex(of: "+") {
            let build = core[core.index(after: plus)...]
            guard Self.validIdentifiers(build, numericLeadingZeroOK: true) else { return nil }
            core = core[..<plus]
        }
        var pre: [String] = []
        if let dash = core.firstIndex(of: "-") {
            let p = core[core.index(after: dash)...]
            guard Self.validIdentifiers(p, numericLeadingZeroOK: false) else { return nil }
            pre = p.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            core = core[..<dash]
        }
        let parts = core.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let a = Self.number(parts[0]), let b = Self.number(parts[1]), let c = Self.number(parts[2]) else { return nil }
        (major, minor, patch, prerelease) = (a, b, c, pre)
    }

    private static func number(_ s: Substring) -> UInt64? {
        guard !s.isEmpty, s.allSatisfy(\.isASCIIDigit), s == "0" || s.first != "0" else { return nil }
        return UInt64(s)
    }

    private static func validIdentifiers(_ s: Substring, numericLeadingZeroOK: Bool) -> Bool {
        let ids = s.split(separator: ".", omittingEmptySubsequences: false)
        return !ids.isEmpty
            && ids.allSatisfy { id in
                !id.isEmpty && id.allSatisfy { $0.isASCIIDigit || $0.isASCIILetter || $0 == "-" }
                    && (numericLeadingZeroOK || !id.allSatisfy(\.isASCIIDigit) || id == "0" || id.first != "0")
            }
    }

    public static func < (a: SemanticVersion, b: SemanticVersion) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) { return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }
        // A pre-release sorts before its release.
        if a.prerelease.isEmpty || b.prerelease.isEmpty { return !a.prerelease.isEmpty && b.prerelease.isEmpty }
        for (x, y) in zip(a.prerelease, b.prerelease) where x != y {
            switch (UInt64(x), UInt64(y)) {
            case (let n?, let m?): return n < m
            case (.some, nil): return true  // numeric identifiers sort before alphanumeric ones
            case (nil, .some): return false
            case (nil, nil): return x < y
            }
        }
        return a.prerelease.count < b.prerelease.count
    }

    public static func == (a: SemanticVersion, b: SemanticVersion) -> Bool {
        (a.major, a.minor, a.patch) == (b.major, b.minor, b.patch) && a.prerelease == b.prerelease
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILetter: Bool { isASCII && isLetter }
}
