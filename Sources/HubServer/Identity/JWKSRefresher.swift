import Foundation
import HubAuth
import HubCore
import Logging
import Synchronization
import WebSocketLoop

/// Keeps the keys of external issuers that publish their JWKS at a URL current: fetched at
/// start, again every `jwksRefreshSeconds`, and when a token names an unknown `kid` (a key the
/// provider rotated in) — then at most every `jwksMinRefreshSeconds` per issuer. Each issuer's
/// fetches run on a client loop of its own (its CA file, off the hub's loop); a failed fetch or a
/// bad document keeps the keys in force and is logged.
///
/// Threading: any thread; fetches complete on the issuer's loop.
final class JWKSRefresher: Sendable {
    private struct Source: Sendable {
        let issuer: String
        let url: String
        let loop: EventLoop
        let minRefreshNanoseconds: UInt64
        let refreshNanoseconds: UInt64
    }

    private let sources: [Source]
    private let tokens: TokenService
    private let clock: HubClock
    private let logger: Logger
    /// Per issuer: when its keys were last fetched (monotonic ns).
    private let lastFetch = Mutex<[String: UInt64]>([:])
    /// Issuers whose last fetch failed (retried after the minimum interval, not the full one).
    private let failed = Mutex<Set<String>>([])

    init(issuers: [HubConfig.Auth.Issuer], tokens: TokenService, clock: HubClock, logger: Logger) throws {
        var sources: [Source] = []
        for issuer in issuers where !issuer.jwksURL.isEmpty {
            var c = LoopConfiguration()
            c.clientTLS = true
            c.permessageDeflate = false
            c.maxConnections = 64
            c.clientCAFile = issuer.jwksCAFile.isEmpty ? nil : issuer.jwksCAFile
            let loop = try EventLoop(configuration: c)
            sources.append(
                Source(
                    issuer: issuer.issuer, url: issuer.jwksURL, loop: loop, minRefreshNanoseconds: UInt64(issuer.jwksMinRefreshSeconds * 1e9),
                    refreshNanoseconds: UInt64(issuer.jwksRefreshSeconds * 1e9)))
        }
        self.sources = sources
        self.tokens = tokens
        self.clock = clock
        self.logger = logger
    }

    /// Starts the loops and fetches every issuer's keys once (waiting at most `timeout` seconds:
    /// a provider that does not answer is retried by `tick`).
    func start(timeout: Double = 10) {
        guard !sources.isEmpty else { return }
        for s in sources { s.loop.start(name: "jwks") }
        let done = DispatchSemaphore(value: 0)
        for s in sources where claim(s, after: 0) {
            Task {
                _ = await self.fetch(s)
                done.signal()
            }
        }
        let deadline = DispatchTime.now() + timeout
        for _ in sources { _ = done.wait(timeout: deadline) }
        tokens.onUnknownKid { [weak self] in await self?.refreshForUnknownKid() ?? false }
    }

    /// About once a second (the hub's clock): issuers due — `jwksRefreshSeconds` since their last
    /// fetch, or a minimum interval after a failed one — are fetched again.
    func tick() {
        for s in sources where claim(s, after: failed.withLock { $0.contains(s.issuer) } ? s.minRefreshNanoseconds : s.refreshNanoseconds) {
            Task { _ = await self.fetch(s) }
        }
    }

    /// True (and the fetch is theirs: concurrent callers do not fetch twice) when `s` was last
    /// fetched at least `interval` ago, or never.
    private func claim(_ s: Source, after interval: UInt64) -> Bool {
        let now = clock.monotonicNanoseconds()
        return lastFetch.withLock { last in
            guard last[s.issuer].map({ now &- $0 >= interval }) ?? true else { return false }
            last[s.issuer] = now
            return true
        }
    }

    func stop() {
        for s in sources {
            s.loop.stop()
            s.loop.waitUntilFinished()
        }
    }

    /// An unknown `kid`: every issuer not fetched within its minimum interval is fetched now.
    /// True when new keys were installed.
    func refreshForUnknownKid() async -> Bool {
        let due = sources.filter { claim($0, after: $0.minRefreshNanoseconds) }
        var installed = false
        for s in due where await fetch(s) { installed = true }
        return installed
    }

    /// Fetches one issuer's JWKS (the caller has claimed it) and installs it; false when it could not.
    private func fetch(_ s: Source) async -> Bool {
        let result: Result<HTTPClientResponse, LoopError> = await withCheckedContinuation { done in
            s.loop.execute {
                s.loop.fetch(s.url, headers: [("Accept", "application/json")], timeout: 10, maxBytes: 1 << 20) { done.resume(returning: $0) }
            }
        }
        let shown = WebSocketURL.redacted(s.url)
        let installed = await install(result, s, shown)
        failed.withLock { if installed { $0.remove(s.issuer) } else { $0.insert(s.issuer) } }
        return installed
    }

    private func install(_ result: Result<HTTPClientResponse, LoopError>, _ s: Source, _ shown: String) async -> Bool {
        switch result {
        case .failure(let e):
            logger.error("JWKS not fetched; the keys in force stay", metadata: ["issuer": "\(s.issuer)", "url": "\(shown)", "error": "\(e)"])
            return false
        case .success(let r) where r.status != 200:
            logger.error("JWKS not fetched; the keys in force stay", metadata: ["issuer": "\(s.issuer)", "url": "\(shown)", "status": "\(r.status)"])
            return false
        case .success(let r):
            do {
                let count = try await tokens.install(jwks: String(decoding: r.body, as: UTF8.self), for: s.issuer)
                logger.info("JWKS installed", metadata: ["issuer": "\(s.issuer)", "keys": "\(count)"])
                return true
            } catch {
                logger.error("JWKS refused; the keys in force stay", metadata: ["issuer": "\(s.issuer)", "error": "\(error)"])
                return false
            }
        }
    }
}
