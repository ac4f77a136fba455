import Foundation
import HubCore
import JWTKit
import Synchronization

/// Issues the hub's own access tokens (HS256, `kid` = `streamhub`) and verifies tokens: the
/// hub's, and externally issued ones (RS256, ES256, EdDSA) from configured issuers' JWKS.
///
/// Verification is strict: `alg: none` and any algorithm outside the four are refused; the `kid`
/// must name a known key of that algorithm (never a fallback to a default key); a `crit` header
/// is refused (no extensions are understood); `exp`/`nbf` hold with the configured leeway;
/// external tokens must carry their issuer's `iss` and the configured `aud`.
///
/// Threading: `verify` and `issue` run on Swift concurrency's pool, never on the loop thread.
public final class TokenService: AccessVerifier, Sendable {
    public static let accepted: Set<String> = ["HS256", "RS256", "ES256", "EdDSA"]

    private let config: AuthConfig
    private let keys: JWTKeyCollection
    /// kid → (algorithm, issuer; nil for the hub's own key). Issuers whose keys come from a URL
    /// get theirs replaced (`install`) as they are fetched again.
    private let known: Mutex<[String: (alg: String, issuer: AuthConfig.ExternalIssuer?)]>
    private let now: @Sendable () -> Date
    /// Asked for fresh keys when a token names an unknown `kid` (true: keys may have changed).
    private let unknownKid = Mutex<(@Sendable () async -> Bool)?>(nil)

    /// - Parameter hmacKey: raw HS256 key bytes instead of the UTF-8 of `config.jwtSecret`
    ///   (test vectors use binary keys).
    public init(config: AuthConfig, hmacKey: [UInt8]? = nil, now: @escaping @Sendable () -> Date = Date.init) async throws(AuthSetupError) {
        let secret = hmacKey ?? Array(config.jwtSecret.utf8)
        guard secret.count >= 32 else {
            throw AuthSetupError("auth.jwtSecret must be at least 32 bytes (set STREAMHUB_JWT_SECRET)")
        }
        self.config = config
        self.now = now
        let parser = RawAwareParser()
        let keys = JWTKeyCollection(defaultJWTParser: parser)
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256, kid: JWKIdentifier(string: config.keyID), parser: parser)
        var known: [String: (alg: String, issuer: AuthConfig.ExternalIssuer?)] = [config.keyID: ("HS256", nil)]
        for issuer in config.external {
            guard issuer.issuer != config.issuer else {
                throw AuthSetupError("external issuer '\(issuer.issuer)' has the hub's own name: its tokens would pass as local users")
            }
            guard !issuer.jwks.isEmpty else { continue }  // fetched from a URL later (`install`)
            for (kid, alg, jwk) in try Self.parse(issuer.jwks, of: issuer.issuer) {
                guard known[kid] == nil else { throw AuthSetupError("key id \(kid) is used twice") }
                do {
                    try await keys.add(jwk: jwk)
                } catch {
                    throw AuthSetupError("key \(kid) of \(issuer.issuer): \(error)")
                }
                known[kid] = (alg, issuer)
            }
        }
        // No default key: a token must name its key.
        _ = await keys.clearDefault()
        self.keys = keys
        self.known = Mutex(known)
    }

    /// The keys of a JWKS document: each with `kid`, an accepted asymmetric `alg`, and (if it
    /// says) for verifying signatures.
    static func parse(_ jwksText: String, of issuer: String) throws(AuthSetupError) -> [(kid: String, alg: String, jwk: JWK)] {
        let jwks: JWKS
        do {
            jwks = try JSONDecoder().decode(JWKS.self, from: Data(jwksText.utf8))
        } catch {
            throw AuthSetupError("JWKS of \(issuer) is not a valid key set: \(error)")
        }
        let usage = Self.usage(jwksText)
        var out: [(String, String, JWK)] = []
        for jwk in jwks.keys {
            guard let kid = jwk.keyIdentifier?.string, let alg = jwk.algorithm?.rawValue else {
                throw AuthSetupError("every key in the JWKS of \(issuer) needs kid and alg")
            }
            if let u = usage[kid], u.use.map({ $0 != "sig" }) ?? false || u.ops.map({ !$0.contains("verify") }) ?? false {
                throw AuthSetupError("key \(kid) of \(issuer) is not for verifying signatures (use/key_ops)")
            }
            guard Self.accepted.contains(alg), alg != "HS256" else {
                throw AuthSetupError("key \(kid) of \(issuer): algorithm \(alg) is not accepted (RS256, ES256, EdDSA)")
            }
            guard !out.contains(where: { $0.0 == kid }) else { throw AuthSetupError("key id \(kid) is used twice") }
            out.append((kid, alg, jwk))
        }
        return out
    }

    /// Replaces the keys of `issuer` (one of `config.external`) with those of `jwks` — a JWKS
    /// fetched again: new kids are accepted from now on, kids it no longer lists are not.
    /// Returns the number of keys; a bad document changes nothing.
    @discardableResult
    public func install(jwks: String, for issuer: String) async throws(AuthSetupError) -> Int {
        guard let external = config.external.first(where: { $0.issuer == issuer }) else { throw AuthSetupError("no issuer \(issuer)") }
        let parsed = try Self.parse(jwks, of: issuer)
        let clash = known.withLock { k in parsed.first { k[$0.kid].map { $0.issuer?.issuer != issuer } ?? false } }
        if let clash { throw AuthSetupError("key id \(clash.kid) of \(issuer) is another issuer's") }
        for (kid, _, jwk) in parsed {
            do {
                try await keys.add(jwk: jwk)
            } catch {
                throw AuthSetupError("key \(kid) of \(issuer): \(error)")
            }
        }
        known.withLock { k in
            for (kid, value) in k where value.issuer?.issuer == issuer { k[kid] = nil }
            for (kid, alg, _) in parsed { k[kid] = (alg, external) }
        }
        return parsed.count
    }

    /// Who to ask for fresh keys when a token names an unknown `kid` (a key rotated in at the
    /// provider); it answers whether the keys may have changed (false: rate-limited, failed).
    public func onUnknownKid(_ refresh: @escaping @Sendable () async -> Bool) { unknownKid.withLock { $0 = refresh } }

    /// `use` and `key_ops` of each key (jwt-kit does not keep them).
    private static func usage(_ jwks: String) -> [String: (use: String?, ops: [String]?)] {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(jwks.utf8)) as? [String: Any], let keys = obj["keys"] as? [[String: Any]] else {
            return [:]
        }
        var out: [String: (String?, [String]?)] = [:]
        for k in keys {
            if let kid = k["kid"] as? String { out[kid] = (k["use"] as? String, k["key_ops"] as? [String]) }
        }
        return out
    }

    // MARK: Issuing

    /// A signed access token for a local user.
    public func issue(subject: String, roles: [String] = [], lifetime: Double? = nil) async throws -> (token: String, expiresAt: Date) {
        let issued = now()
        let exp = issued.addingTimeInterval(lifetime ?? config.accessTokenSeconds)
        let claims = HubClaims(
            sub: SubjectClaim(value: subject), iss: IssuerClaim(value: config.issuer), iat: IssuedAtClaim(value: issued),
            exp: ExpirationClaim(value: exp), roles: roles)
        let token = try await keys.sign(claims, kid: JWKIdentifier(string: config.keyID))
        return (token, exp)
    }

    // MARK: Verifying

    public func verify(token: String) async -> Result<Principal, AccessFailure> {
        let header: TokenHeader
        switch TokenHeader.parse(token) {
        case .success(let h): header = h
        case .failure(let f): return .failure(f)
        }
        if let f = check(header) {
            // An unknown kid may be a key the provider rotated in: fetch its keys (rate-limited) once.
            guard let kid = header.kid, known.withLock({ $0[kid] == nil }), let refresh = unknownKid.withLock({ $0 }), await refresh() else {
                return .failure(f)
            }
            if let again = check(header) { return .failure(again) }
        }
        return await verifyKnown(token, header)
    }

    private func verifyKnown(_ token: String, _ header: TokenHeader) async -> Result<Principal, AccessFailure> {
        let claims: OpenClaims
        do {
            claims = try await keys.verify(token, as: OpenClaims.self)
        } catch {
            return .failure(AccessFailure(.invalid, "signature or claims rejected (\(Self.describe(error)))"))
        }
        return principal(from: claims, kid: header.kid!)
    }

    /// Checks the header rules and the signature only, whatever the payload (the JWS test
    /// vectors sign arbitrary bytes).
    public func verifySignature(_ token: String) async -> AccessFailure? {
        let header: TokenHeader
        switch TokenHeader.parse(token) {
        case .success(let h): header = h
        case .failure(let f): return f
        }
        if let f = check(header) { return f }
        do {
            _ = try await keys.verify(token, as: RawPayload.self)
            return nil
        } catch {
            return AccessFailure(.invalid, Self.describe(error))
        }
    }

    /// Header rules that come before any signature check.
    func check(_ h: TokenHeader) -> AccessFailure? {
        guard let alg = h.alg else { return AccessFailure("no alg in header") }
        if alg.lowercased() == "none" { return AccessFailure("alg none is refused") }
        guard Self.accepted.contains(alg) else { return AccessFailure("alg \(alg) is not accepted") }
        if h.hasCrit { return AccessFailure("crit header extensions are not supported") }
        guard let kid = h.kid else { return AccessFailure("no kid in header") }
        guard let key = known.withLock({ $0[kid] }) else { return AccessFailure("unknown kid '\(kid.prefix(64))'") }
        guard key.alg == alg else { return AccessFailure("kid '\(kid)' is a \(key.alg) key, the token says \(alg)") }
        return nil
    }

    private func principal(from c: OpenClaims, kid: String) -> Result<Principal, AccessFailure> {
        let t = now().timeIntervalSince1970
        guard let sub = c.claims["sub"]?.string, !sub.isEmpty else { return .failure(AccessFailure("no sub claim")) }
        guard let exp = c.claims["exp"]?.number else { return .failure(AccessFailure("no exp claim")) }
        if t > exp + config.leewaySeconds { return .failure(AccessFailure(.expired, "expired at \(Int(exp))")) }
        if let nbf = c.claims["nbf"]?.number, t + config.leewaySeconds < nbf {
            return .failure(AccessFailure("not valid before \(Int(nbf))"))
        }
        let iss = c.claims["iss"]?.string
        let claims = Self.contextClaims(c)
        guard let external = known.withLock({ $0[kid]?.issuer }) else {
            guard iss == config.issuer else { return .failure(AccessFailure("iss must be \(config.issuer)")) }
            return .success(Principal(subject: sub, expiresAt: Int64(exp * 1e6), issuer: config.issuer, claims: claims))
        }
        guard iss == external.issuer else { return .failure(AccessFailure("iss must be \(external.issuer)")) }
        guard let aud = c.claims["aud"]?.strings, aud.contains(external.audience) else {
            return .failure(AccessFailure("aud must include \(external.audience)"))
        }
        let claimed = c.claims["_root"]?.at(path: external.rolesClaim)?.strings ?? []
        let roles = external.roleMap.isEmpty ? claimed : claimed.compactMap { external.roleMap[$0] }
        return .success(Principal(subject: sub, claimedRoles: roles, expiresAt: Int64(exp * 1e6), issuer: external.issuer, claims: claims))
    }

    /// Top-level claims with a scalar value, as text — besides the registered ones — for flag
    /// constraints and custom stickiness (`tenant`, `plan`, `email`, …).
    static func contextClaims(_ c: OpenClaims) -> [String: String] {
        let registered: Set<String> = ["sub", "iss", "aud", "exp", "nbf", "iat", "jti", "_root"]
        var out: [String: String] = [:]
        for (k, v) in c.claims where !registered.contains(k) && out.count < 64 {
            switch v {
            case .string(let s): out[k] = s
            case .number(let n): out[k] = n.rounded() == n && abs(n) < 1e15 ? String(Int64(n)) : String(n)
            case .bool(let b): out[k] = String(b)
            default: break
            }
        }
        return out
    }

    /// Why a token was refused, for the client: jwt-kit's reason, never another error's text.
    static func describe(_ error: Error) -> String {
        if let e = error as? JWTError { return e.reason ?? "\(e.errorType)" }
        return "malformed claims"
    }
}

/// Verifies tokens (the seam tests and the hub share).
public protocol AccessVerifier: Sendable {
    func verify(token: String) async -> Result<Principal, AccessFailure>
}

/// A configuration problem with keys or secrets (the hub refuses to start).
public struct AuthSetupError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// The claims of the hub's own tokens.
struct HubClaims: JWTPayload {
    var sub: SubjectClaim
    var iss: IssuerClaim
    var iat: IssuedAtClaim
    var exp: ExpirationClaim
    var roles: [String]

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Every claim as JSON (expiry, issuer and audience are checked by `TokenService` with leeway).
struct OpenClaims: JWTPayload {
    let claims: [String: JSONValue]

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let root = try c.decode([String: JSONValue].self)
        var all = root
        all["_root"] = .object(root)
        claims = all
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(claims.filter { $0.key != "_root" })
    }

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// The header fields that decide whether a token is even considered.
struct TokenHeader {
    var alg: String?
    var kid: String?
    var hasCrit: Bool

    static func parse(_ token: String) -> Result<TokenHeader, AccessFailure> {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return .failure(AccessFailure("not a compact JWS (three parts)")) }
        // Every part must be canonical base64url: no padding, no stray characters, unused bits 0.
        for (i, part) in parts.enumerated() where !isCanonicalBase64URL(String(part)) {
            return .failure(AccessFailure("part \(i + 1) is not canonical base64url"))
        }
        guard let data = base64URLDecode(String(parts[0])),
            let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return .failure(AccessFailure("header is not base64url JSON")) }
        return .success(TokenHeader(alg: obj["alg"] as? String, kid: obj["kid"] as? String, hasCrit: obj["crit"] != nil))
    }
}

/// True when `s` decodes and re-encodes to itself (so the signed text has one meaning).
func isCanonicalBase64URL(_ s: String) -> Bool {
    guard let d = base64URLDecode(s) else { return false }
    let again = d.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
    return again == s
}

/// Strict base64url without padding (RFC 7515 §2): anything else is not a JWS part.
func base64URLDecode(_ s: String) -> Data? {
    guard s.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x5F }),
        s.utf8.count % 4 != 1
    else { return nil }
    var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while b.count % 4 != 0 { b += "=" }
    return Data(base64Encoded: b)
}

/// A payload kept as bytes (signature-only verification).
struct RawPayload: JWTPayload {
    let bytes: [UInt8]
    init(bytes: [UInt8]) { self.bytes = bytes }
    init(from decoder: Decoder) throws { bytes = [] }
    func encode(to encoder: Encoder) throws {}
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// jwt-kit's parser, except that a `RawPayload` takes the payload bytes as they are.
struct RawAwareParser: JWTParser {
    var jsonDecoder: any JWTJSONDecoder = .defaultForJWT

    func parse<Payload>(_ token: some DataProtocol, as: Payload.Type) throws -> (header: JWTHeader, payload: Payload, signature: Data)
    where Payload: JWTPayload {
        guard Payload.self == RawPayload.self else { return try DefaultJWTParser(jsonDecoder: jsonDecoder).parse(token, as: Payload.self) }
        let parts = Array(token).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3, let h = base64URLDecode(String(decoding: parts[0], as: UTF8.self)),
            let p = base64URLDecode(String(decoding: parts[1], as: UTF8.self)),
            let sig = base64URLDecode(String(decoding: parts[2], as: UTF8.self))
        else { throw JWTError.malformedToken(reason: "not base64url") }
        let header = try jsonDecoder.decode(JWTHeader.self, from: h)
        guard let payload = RawPayload(bytes: Array(p)) as? Payload else { throw JWTError.malformedToken(reason: "payload") }
        return (header, payload, sig)
    }
}
