import Foundation
import HubAuth
import HubCore
import HubStore
import WebSocketLoop

/// `/api/auth/…`: API key → access token, username + password → access and refresh tokens,
/// refresh (rotating), and `me`. Attempts are throttled per client address and per username or
/// key from that address (429 with `Retry-After`), counted before any work is done.
///
/// Threading: handlers on the loop; store reads on the store queue; password hashing on a
/// bounded pool (503 when it is full); token signing on Swift's pool.
final class AuthAPI: @unchecked Sendable {
    private let identity: IdentityService
    private let gateway: StoreGateway
    private let hashing: PasswordWorkers
    private let throttle: LoginThrottle
    private unowned let loop: EventLoop
    /// Refresh-token lifetimes and the login throttle's window read this clock.
    private let clock: HubClock
    /// Checked when a username is unknown, so that answer takes as long as a wrong password.
    private let decoyHash: String

    init(identity: IdentityService, gateway: StoreGateway, loop: EventLoop, clock: HubClock) {
        self.identity = identity
        self.gateway = gateway
        self.loop = loop
        self.clock = clock
        let c = identity.config
        throttle = LoginThrottle(
            maxPerKey: c.loginMaxFailures, maxPerAddress: c.loginMaxFailuresPerAddress, window: c.loginWindowSeconds,
            now: { Double(clock.wallMicroseconds()) / 1e6 })
        decoyHash = (try? Passwords.hash(UUID().uuidString, rounds: c.passwordRounds)) ?? ""
        hashing = PasswordWorkers(threads: ProcessInfo.processInfo.activeProcessorCount, maxWaiting: 64, loop: loop)
    }

    func routes(_ router: HTTPRouter) {
        router.add("POST", "/api/auth/token", .open, doc: .authToken) { [unowned self] req, _, respond in token(req, respond) }
        router.add("POST", "/api/auth/login", .open, doc: .authLogin) { [unowned self] req, _, respond in login(req, respond) }
        router.add("POST", "/api/auth/refresh", .open, doc: .authRefresh) { [unowned self] req, _, respond in refresh(req, respond) }
        router.add("POST", "/api/auth/setup", .open, doc: .authSetup) { [unowned self] req, _, respond in setup(req, respond) }
        router.add("GET", "/api/auth/me", .anyCaller, doc: .authMe) { [unowned self] _, p, respond in respond(.json(me(p.caller!))) }
    }

    // MARK: Bodies and answers

    struct KeyBody: Decodable {
        let apiKey: String
        enum Keys: String, CodingKey, CaseIterable { case apiKey }
        init(from decoder: Decoder) throws { apiKey = try decoder.strictContainer(Keys.self).decode(String.self, forKey: .apiKey) }
    }

    struct LoginBody: Decodable {
        let username: String
        let password: String
        enum Keys: String, CodingKey, CaseIterable { case username, password }
        init(from decoder: Decoder) throws {
            let c = try decoder.strictContainer(Keys.self)
            username = try c.decode(String.self, forKey: .username)
            password = try c.decode(String.self, forKey: .password)
        }
    }

    struct SetupBody: Decodable {
        let username: String
        let code: String
        let password: String
        enum Keys: String, CodingKey, CaseIterable { case username, code, password }
        init(from decoder: Decoder) throws {
            let c = try decoder.strictContainer(Keys.self)
            username = try c.decode(String.self, forKey: .username)
            code = try c.decode(String.self, forKey: .code)
            password = try c.decode(String.self, forKey: .password)
        }
    }

    struct RefreshBody: Decodable {
        let refreshToken: String
        enum Keys: String, CodingKey, CaseIterable { case refreshToken }
        init(from decoder: Decoder) throws { refreshToken = try decoder.strictContainer(Keys.self).decode(String.self, forKey: .refreshToken) }
    }

    struct Tokens: Encodable {
        let accessToken: String
        let tokenType = "Bearer"
        let expiresIn: Int
        let expiresAt: Date
        let refreshToken: String?
        let user: UserAccount
    }

    struct Me: Encodable {
        let subject: String
        let issuer: String
        let roles: [String]
        let scopes: [String]
        let expiresAt: Date?
    }

    private func me(_ c: Caller) -> Me {
        Me(
            subject: c.principal.subject, issuer: c.principal.issuer, roles: c.policy.roles, scopes: c.policy.scopes.sorted(),
            expiresAt: c.principal.expiresAt.map { Date(timeIntervalSince1970: Double($0) / 1e6) })
    }

    // MARK: Handlers

    private func token(_ req: HTTPRequest, _ respond: HTTPResponder) {
        let body: KeyBody
        do { body = try RequestBody.decode(KeyBody.self, from: try RequestBody.object(req)) } catch { return respond(error.response) }
        let key = APIKey(parsing: body.apiKey)
        if let wait = throttle.admit(key: key.map { "key:\($0.id)" }, address: req.remoteAddress) { return respond(Self.tooMany(wait)) }
        guard let key else {
            return respond(.error(400, code: "invalid_body", message: "apiKey must look like shk_<id>_<secret>", field: "apiKey"))
        }
        let address = req.remoteAddress
        let now = clock.wallDate()
        gateway.run(respond) { store -> Result<UserAccount, HTTPError> in
            guard let stored = try store.apiKey(id: key.id), stored.info.revokedAt == nil,
                Passwords.constantTimeEquals(Array(stored.digest.utf8), Array(key.digest.utf8)),
                let user = try store.user(id: stored.info.userId)
            else { return .failure(HTTPError(401, "invalid_credentials", "unknown or revoked API key")) }
            if let expiry = stored.info.expiresAt, expiry <= now {
                return .failure(HTTPError(401, "invalid_credentials", "API key expired; create a new one"))
            }
            try store.touchAPIKey(id: key.id, now: now)
            return .success(user)
        } then: { [self] outcome in
            let user: UserAccount
            switch outcome {
            case .failure(let e): return e.response
            case .success(let u): user = u
            }
            throttle.succeeded(key: "key:\(key.id)", address: address)
            guard !user.disabled else { return .error(403, code: "forbidden", message: "account disabled") }
            issue(user, refresh: false, respond)
            return nil
        }
    }

    private func login(_ req: HTTPRequest, _ respond: HTTPResponder) {
        let body: LoginBody
        do { body = try RequestBody.decode(LoginBody.self, from: try RequestBody.object(req)) } catch { return respond(error.response) }
        guard !body.username.isEmpty, body.username.utf8.count <= 64 else {
            return respond(.error(400, code: "invalid_body", message: "username must be 1 to 64 characters", field: "username"))
        }
        guard body.password.utf8.count <= 1024 else {
            return respond(.error(400, code: "invalid_body", message: "password is longer than 1024 bytes", field: "password"))
        }
        if let wait = throttle.admit(key: "user:\(body.username)", address: req.remoteAddress) { return respond(Self.tooMany(wait)) }
        let address = req.remoteAddress
        gateway.run(respond) { store in
            try store.credentials(username: body.username)
        } then: { [self] credentials in
            let decoy = decoyHash
            // Always hash: an unknown user answers no faster than a wrong password.
            let started = hashing.run {
                Passwords.verify(body.password, against: credentials?.passwordHash ?? decoy) && credentials?.passwordHash != nil
            } then: { [self] ok in
                guard ok, let user = credentials?.account else {
                    return respond(.error(401, code: "invalid_credentials", message: "invalid username or password"))
                }
                throttle.succeeded(key: "user:\(body.username)", address: address)
                guard !user.disabled else { return respond(.error(403, code: "forbidden", message: "account disabled")) }
                issue(user, refresh: true, respond)
            }
            return started ? nil : Self.busy
        }
    }

    private func refresh(_ req: HTTPRequest, _ respond: HTTPResponder) {
        let body: RefreshBody
        do { body = try RequestBody.decode(RefreshBody.self, from: try RequestBody.object(req)) } catch { return respond(error.response) }
        if let wait = throttle.admit(key: nil, address: req.remoteAddress) { return respond(Self.tooMany(wait)) }
        guard let presented = RefreshToken(parsing: body.refreshToken) else {
            return respond(.error(401, code: "invalid_token", message: "not a refresh token"))
        }
        let next = RefreshToken.generate()
        let lifetime = identity.config.refreshTokenSeconds
        let address = req.remoteAddress
        let now = clock.wallDate()
        gateway.run(respond) { store -> Result<UserAccount, HTTPError> in
            do {
                let userID = try store.rotateRefreshToken(
                    id: presented.id, digest: presented.digest, successor: (next.id, next.digest, now.addingTimeInterval(lifetime)), now: now)
                guard let user = try store.user(id: userID) else { return .failure(HTTPError(401, "invalid_token", "unknown refresh token")) }
                return .success(user)
            } catch StoreError.notFound {
                return .failure(HTTPError(401, "invalid_token", "unknown refresh token"))
            } catch StoreError.refused(let why) {
                if why == "account disabled" { return .failure(HTTPError(403, "forbidden", why)) }
                return .failure(HTTPError(401, "invalid_token", why))
            }
        } then: { [self] outcome in
            switch outcome {
            case .failure(let e):
                return e.response
            case .success(let user):
                throttle.succeeded(key: nil, address: address)
                sign(user, refreshToken: next.text, respond)
                return nil
            }
        }
    }

    /// An imported user's first password, with the one-time code its import issued: the code is
    /// used up, the password set, and the answer is that of a login.
    private func setup(_ req: HTTPRequest, _ respond: HTTPResponder) {
        let body: SetupBody
        do { body = try RequestBody.decode(SetupBody.self, from: try RequestBody.object(req)) } catch { return respond(error.response) }
        guard !body.username.isEmpty, body.username.utf8.count <= 64 else {
            return respond(.error(400, code: "invalid_body", message: "username must be 1 to 64 characters", field: "username"))
        }
        if let e = UsersAPI.checkPassword(body.password) { return respond(e.response) }
        if let wait = throttle.admit(key: "user:\(body.username)", address: req.remoteAddress) { return respond(Self.tooMany(wait)) }
        let address = req.remoteAddress, now = clock.wallDate(), rounds = identity.config.passwordRounds
        let presented = body.code.hasPrefix("shs_") ? APIKey.digest(String(body.code.dropFirst(4))) : ""
        gateway.run(respond) { store in
            try store.passwordSetup(username: body.username)
        } then: { [self] pending in
            guard let pending, !presented.isEmpty, pending.expiresAt > now,
                Passwords.constantTimeEquals(Array(pending.digest.utf8), Array(presented.utf8))
            else { return .error(401, code: "invalid_credentials", message: "unknown, used or expired setup code") }
            let started = hashing.run {
                try? Passwords.hash(body.password, rounds: rounds)
            } then: { [self] hash in
                guard let hash else { return respond(.error(500, code: "internal", message: "password hashing failed")) }
                gateway.run(respond) { store in
                    try store.completePasswordSetup(userID: pending.user.id, digest: pending.digest, passwordHash: hash, now: now)
                } then: { [self] user in
                    guard let user else { return .error(401, code: "invalid_credentials", message: "unknown, used or expired setup code") }
                    throttle.succeeded(key: "user:\(body.username)", address: address)
                    guard !user.disabled else { return .error(403, code: "forbidden", message: "account disabled") }
                    issue(user, refresh: true, respond)
                    return nil
                }
            }
            return started ? nil : Self.busy
        }
    }

    // MARK: Issuing

    /// Signs an access token (and for logins stores a new refresh token), then answers.
    private func issue(_ user: UserAccount, refresh: Bool, _ respond: HTTPResponder) {
        guard refresh else { return sign(user, refreshToken: nil, respond) }
        let token = RefreshToken.generate()
        let lifetime = identity.config.refreshTokenSeconds
        let now = clock.wallDate()
        gateway.run(respond) { store in
            try store.insertRefreshToken(id: token.id, userID: user.id, digest: token.digest, expiresAt: now.addingTimeInterval(lifetime), now: now)
        } then: { [self] _ in
            sign(user, refreshToken: token.text, respond)
            return nil
        }
    }

    private func sign(_ user: UserAccount, refreshToken: String?, _ respond: HTTPResponder) {
        let tokens = identity.tokens
        let lifetime = identity.config.accessTokenSeconds
        Task { [self] in
            let response: HTTPResponse
            do {
                let (jwt, exp) = try await tokens.issue(subject: "\(user.id)", lifetime: lifetime)
                response = .json(Tokens(accessToken: jwt, expiresIn: Int(lifetime), expiresAt: exp, refreshToken: refreshToken, user: user))
            } catch {
                response = .error(500, code: "internal", message: "token signing failed")
            }
            loop.execute { respond(response) }
        }
    }

    /// The hashing pool is full: a flood of sign-ins is in progress.
    static var busy: HTTPResponse {
        var r = HTTPResponse.error(503, code: "busy", message: "too many sign-ins in progress; retry shortly")
        r.headers = [("retry-after", "1")]
        return r
    }

    static func tooMany(_ wait: Double) -> HTTPResponse {
        let seconds = max(1, Int(wait.rounded(.up)))
        var r = HTTPResponse.error(429, code: "too_many_attempts", message: "too many sign-in attempts; retry in \(seconds) s")
        r.headers = [("retry-after", "\(seconds)")]
        return r
    }
}
