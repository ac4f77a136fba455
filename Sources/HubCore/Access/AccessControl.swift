/// Who a session is: from a verified token, or the anonymous principal.
public struct Principal: Sendable, Equatable {
    /// The token's subject (a local user id for tokens the hub issued).
    public var subject: String
    /// Roles named by the token itself (externally issued tokens); the hub's own tokens carry
    /// none here: their user's current role assignments apply.
    public var claimedRoles: [String]
    /// Expiry, µs since the epoch (nil: does not expire).
    public var expiresAt: Int64?
    /// The token's other top-level claims as text (flag context properties).
    public var claims: [String: String]
    /// `streamhub` for the hub's own tokens, else the external issuer.
    public var issuer: String
    public var isAnonymous: Bool

    public init(
        subject: String, claimedRoles: [String] = [], expiresAt: Int64? = nil, issuer: String, isAnonymous: Bool = false, claims: [String: String] = [:]
    ) {
        self.subject = subject
        self.claims = claims
        self.claimedRoles = claimedRoles
        self.expiresAt = expiresAt
        self.issuer = issuer
        self.isAnonymous = isAnonymous
    }
}

/// Why a token was not accepted.
public struct AccessFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case invalid, expired }
    public let kind: Kind
    public let reason: String

    public init(_ kind: Kind, _ reason: String) {
        self.kind = kind
        self.reason = reason
    }

    public init(_ reason: String) {
        self.init(.invalid, reason)
    }

    public var description: String { reason }
}

/// The connection a policy is for (flag rollouts stick to sessions and addresses).
public struct ConnectionInfo: Sendable, Equatable {
    public var id: UInt64
    public var remoteAddress: String
    public init(id: UInt64, remoteAddress: String) {
        self.id = id
        self.remoteAddress = remoteAddress
    }
}

/// Authentication and authorisation as the serving stage needs them.
///
/// Threading: `verify` may be called on the loop and must not block it (the work runs
/// elsewhere; `reply` may run on any thread); the rest is called on the loop thread.
public protocol AccessControl: AnyObject, Sendable {
    func verify(token: String, reply: @escaping @Sendable (Result<Principal, AccessFailure>) -> Void)
    /// The policy for `principal` on connection `connection` now — current role definitions
    /// and assignments, the flags on for it — or nil when the account is disabled or unknown.
    func policy(for principal: Principal, on connection: ConnectionInfo?) -> AccessPolicy?
    /// The properties `policy` lets through, as a view mask.
    func mask(for policy: AccessPolicy) -> PropertyMask
    /// The anonymous principal when anonymous access is allowed, else nil.
    var anonymous: Principal? { get }
    /// Seconds past `exp` a token still counts (clock skew; the same leeway verification allows).
    var leewaySeconds: Double { get }
    /// Seconds before expiry that an `expiring` push is sent.
    var expiryWarningSeconds: Double { get }
    /// Seconds a connection without a token has to send its `auth` message.
    var authDeadlineSeconds: Double { get }
    /// Seconds an anonymous connection may hold no subscription and send nothing (0: forever).
    var anonymousIdleSeconds: Double { get }
    /// How usage analytics and the audit log name `principal` (`user:<id>` for local users).
    func usageName(of principal: Principal) -> String
}

extension AccessControl {
    public func usageName(of principal: Principal) -> String { Principal.usageName(of: principal) }
    public var anonymousIdleSeconds: Double { 0 }
}

extension Principal {
    /// `anonymous`, or `<issuer>:<subject>`.
    public static func usageName(of p: Principal) -> String {
        p.isAnonymous ? "anonymous" : "\(p.issuer):\(p.subject)"
    }
}
