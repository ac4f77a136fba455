import Crypto
import CryptoExtras
import Foundation

/// Password hashing: PBKDF2-HMAC-SHA256 with a random 16-byte salt per user, stored as
/// `pbkdf2-sha256$<rounds>$<salt base64>$<hash base64>`; comparison in constant time.
///
/// Threading: hashing is deliberately slow — call it on a worker, never on the loop thread.
public enum Passwords {
    /// OWASP's 2023 guidance for PBKDF2-HMAC-SHA256 is 600,000; 210,000 is swift-crypto's floor.
    public static let defaultRounds = 210_000
    /// The most rounds a stored hash may ask for: beyond, a login would tie up a hashing thread
    /// for minutes (and past UInt32 trap in the KDF) — an imported hash is refused instead.
    public static let maxRounds = 10_000_000

    public static func hash(_ password: String, rounds: Int = defaultRounds) throws -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        var rng = SystemRandomNumberGenerator()
        for i in salt.indices { salt[i] = UInt8.random(in: 0...255, using: &rng) }
        let key = try derive(password, salt: salt, rounds: rounds)
        return "pbkdf2-sha256$\(rounds)$\(Data(salt).base64EncodedString())$\(Data(key).base64EncodedString())"
    }

    /// True when `password` matches `stored`; false for any malformed stored value.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let rounds = Int(parts[1]), (1...maxRounds).contains(rounds),
            let salt = Data(base64Encoded: String(parts[2])), let expected = Data(base64Encoded: String(parts[3])),
            let key = try? derive(password, salt: Array(salt), rounds: rounds)
        else { return false }
        return constantTimeEquals(key, Array(expected))
    }

    private static func derive(_ password: String, salt: [UInt8], rounds: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: salt, using: .sha256, outputByteCount: 32, unsafeUncheckedRounds: rounds)
        return key.withUnsafeBytes { Array($0) }
    }

    /// Compares every byte whatever the first difference (no early exit to time).
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in a.indices { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}

/// API keys for bots: `shk_<id>_<secret>`. Only SHA-256 of the secret is stored (the secret is
/// 32 random bytes, so a fast hash is enough); the whole key is shown once, at creation.
public struct APIKey: Sendable, Equatable {
    public let id: String
    public let secret: String

    public var text: String { "shk_\(id)_\(secret)" }

    /// A new random key.
    public static func generate() -> APIKey {
        var rng = SystemRandomNumberGenerator()
        func token(_ n: Int) -> String {
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        return APIKey(id: String(token(9).lowercased().filter { $0.isLetter || $0.isNumber }.prefix(12)), secret: token(32))
    }

    /// Splits `shk_<id>_<secret>`; nil when the text is not a key.
    public init?(parsing text: String) {
        guard text.hasPrefix("shk_") else { return nil }
        let rest = text.dropFirst(4)
        guard let sep = rest.firstIndex(of: "_") else { return nil }
        let id = String(rest[..<sep]), secret = String(rest[rest.index(after: sep)...])
        guard !id.isEmpty, id.count <= 32, secret.count >= 16, secret.count <= 128 else { return nil }
        self.id = id
        self.secret = secret
    }

    init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    /// What the store keeps: hex SHA-256 of the secret.
    public static func digest(_ secret: String) -> String {
        SHA256.hash(data: Array(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    public var digest: String { Self.digest(secret) }
}

/// Refresh tokens: `shr_<id>_<secret>`, opaque to clients; only SHA-256 of the secret is stored,
/// and each is spent once (refreshing returns a new one).
public struct RefreshToken: Sendable, Equatable {
    public let id: String
    public let secret: String

    public var text: String { "shr_\(id)_\(secret)" }

    public static func generate() -> RefreshToken {
        let k = APIKey.generate()
        return RefreshToken(id: k.id, secret: k.secret)
    }

    public init?(parsing text: String) {
        guard text.hasPrefix("shr_"), let k = APIKey(parsing: "shk_" + text.dropFirst(4)) else { return nil }
        id = k.id
        secret = k.secret
    }

    init(id: String, secret: String) {
        self.id = id
        self.secret = secret
    }

    public var digest: String { APIKey.digest(secret) }
}
