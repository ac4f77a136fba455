import DequeModule
import Foundation

/// Limits failed sign-ins: at most `maxPerKey` failures per username (or API key id) and
/// `maxPerAddress` per client address within `window` seconds; beyond that, attempts are
/// refused (429) until the oldest failure leaves the window. Success clears the key's count.
///
/// Threading: loop-confined.
final class LoginThrottle {
    private let maxPerKey: Int
    private let maxPerAddress: Int
    private let window: Double
    private var failures: [String: Deque<Double>] = [:]
    /// Bounds memory under a spray of usernames: beyond this many keys, stale ones are dropped.
    private let maxKeys = 100_000
    private let now: () -> Double

    init(maxPerKey: Int, maxPerAddress: Int, window: Double, now: @escaping () -> Double) {
        self.maxPerKey = maxPerKey
        self.maxPerAddress = maxPerAddress
        self.window = window
        self.now = now
    }

    /// Seconds until an attempt is allowed again; nil when it is allowed now.
    func retryAfter(key: String?, address: String) -> Double? {
        let t = now()
        var wait: Double?
        for (k, limit) in [(key.map { "k:\($0.lowercased())" }, maxPerKey), ("a:\(address)", maxPerAddress)] {
            guard let k, var q = failures[k] else { continue }
            while let first = q.first, first <= t - window { q.removeFirst() }
            failures[k] = q.isEmpty ? nil : q
            if q.count >= limit, let first = q.first { wait = max(wait ?? 0, first + window - t) }
        }
        return wait
    }

    func failed(key: String?, address: String) {
        let t = now()
        if failures.count >= maxKeys { prune(t) }
        if let key { failures["k:\(key.lowercased())", default: []].append(t) }
        failures["a:\(address)", default: []].append(t)
    }

    func succeeded(key: String) {
        failures["k:\(key.lowercased())"] = nil
    }

    private func prune(_ t: Double) {
        failures = failures.filter { ($0.value.last ?? 0) > t - window }
    }
}
