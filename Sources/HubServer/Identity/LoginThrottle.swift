import DequeModule
import Foundation

/// Limits sign-in attempts: at most `maxPerKey` unsuccessful attempts per username (or API key
/// id) *from one client address*, and `maxPerAddress` per address, within `window` seconds;
/// beyond that, attempts are refused (429) until the oldest leaves the window.
///
/// An attempt counts the moment it is admitted, before any password is hashed or store read, so
/// a hundred concurrent guesses cannot all pass the check before the first one fails. Success
/// takes the attempt back and clears the key's count for that address. Counting per key *and
/// address* means a flood of wrong passwords from one address throttles that address, not the
/// user signing in from another (a guesser spread over many addresses is held to `maxPerKey`
/// per address; the 12-character minimum password keeps that far from enough).
///
/// Threading: loop-confined.
final class LoginThrottle {
    private let maxPerKey: Int
    private let maxPerAddress: Int
    private let window: Double
    private var attempts: [String: Deque<Double>] = [:]
    /// Bounds memory under a spray of usernames: beyond this many keys, stale ones are dropped.
    private let maxKeys = 100_000
    private let now: () -> Double

    init(maxPerKey: Int, maxPerAddress: Int, window: Double, now: @escaping () -> Double) {
        self.maxPerKey = maxPerKey
        self.maxPerAddress = maxPerAddress
        self.window = window
        self.now = now
    }

    /// Admits an attempt and counts it (until `succeeded`); or, over a limit, counts nothing
    /// and answers the seconds until an attempt is allowed again.
    func admit(key: String?, address: String) -> Double? {
        let t = now()
        let limits = [(key.map { Self.keyName($0, address) }, maxPerKey), (Self.addressName(address), maxPerAddress)]
        var wait: Double?
        for (k, limit) in limits {
            guard let k, var q = attempts[k] else { continue }
            while let first = q.first, first <= t - window { q.removeFirst() }
            attempts[k] = q.isEmpty ? nil : q
            if q.count >= limit, let first = q.first { wait = max(wait ?? 0, first + window - t) }
        }
        if let wait { return wait }
        if attempts.count >= maxKeys { prune(t) }
        for (k, _) in limits { if let k { attempts[k, default: []].append(t) } }
        return nil
    }

    /// The admitted attempt succeeded: the key's count from this address is cleared and the
    /// address's count loses this attempt.
    func succeeded(key: String?, address: String) {
        if let key { attempts[Self.keyName(key, address)] = nil }
        let a = Self.addressName(address)
        guard var q = attempts[a], !q.isEmpty else { return }
        q.removeLast()
        attempts[a] = q.isEmpty ? nil : q
    }

    private static func keyName(_ key: String, _ address: String) -> String { "k:\(key.lowercased())\u{0}\(address)" }
    private static func addressName(_ address: String) -> String { "a:\(address)" }

    private func prune(_ t: Double) {
        attempts = attempts.filter { ($0.value.last ?? 0) > t - window }
    }
}
