import Crypto
import CryptoExtras
import Foundation
import HubAuth
import HubCore
import XCTest

/// Token verification against tokens built byte by byte here (headers the hub must refuse
/// included), signed with swift-crypto directly — not with jwt-kit, which the hub uses.
final class TokenServiceTests: XCTestCase {
    static let secret = "0123456789abcdef0123456789abcdef-test"
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let p256 = P256.Signing.PrivateKey()
    let ed = Curve25519.Signing.PrivateKey()
    static let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    var jwks: String {
        let xy = p256.publicKey.x963Representation
        let (n, e) = try! Self.rsaPrimitives()
        return """
            {"keys":[
              {"kty":"EC","crv":"P-256","kid":"ec1","alg":"ES256","use":"sig","x":"\(b64(xy[1...32]))","y":"\(b64(xy[33...64]))"},
              {"kty":"OKP","crv":"Ed25519","kid":"ed1","alg":"EdDSA","x":"\(b64(ed.publicKey.rawRepresentation))"},
              {"kty":"RSA","kid":"rsa1","alg":"RS256","n":"\(b64(n))","e":"\(b64(e))"}
            ]}
            """
    }

    /// Modulus and exponent from the PKCS#1 DER of the public key (SEQUENCE { INTEGER n, INTEGER e }).
    static func rsaPrimitives() throws -> (Data, Data) {
        let der = [UInt8](rsa.publicKey.pkcs1DERRepresentation)
        var i = 0
        func length() -> Int {
            var l = Int(der[i])
            i += 1
            if l & 0x80 != 0 {
                let n = l & 0x7f
                l = 0
                for _ in 0..<n {
                    l = l << 8 | Int(der[i])
                    i += 1
                }
            }
            return l
        }
        func integer() -> Data {
            precondition(der[i] == 0x02)
            i += 1
            let l = length()
            var bytes = Array(der[i..<i + l])
            i += l
            while bytes.first == 0 && bytes.count > 1 { bytes.removeFirst() }
            return Data(bytes)
        }
        precondition(der[i] == 0x30)
        i += 1
        _ = length()
        return (integer(), integer())
    }

    func service(roleMap: [String: String] = [:]) async throws -> TokenService {
        var c = AuthConfig(jwtSecret: Self.secret)
        c.external = [.init(issuer: "https://idp.example", audience: "streamhub-api", jwks: jwks, rolesClaim: "realm_access.roles", roleMap: roleMap)]
        let now = self.now
        return try await TokenService(config: c, now: { now })
    }

    // MARK: Building tokens

    func b64(_ d: some DataProtocol) -> String {
        Data(d).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    func json(_ o: [String: Any]) -> String { b64(try! JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])) }

    /// `header.payload.signature` signed with the key `alg` names (or an empty signature).
    func token(_ header: [String: Any], _ claims: [String: Any], signWith alg: String? = nil) throws -> String {
        let input = json(header) + "." + json(claims)
        let data = Data(input.utf8)
        let sig: Data
        switch alg ?? header["alg"] as? String {
        case "HS256": sig = Data(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: Data(Self.secret.utf8))))
        case "ES256": sig = try p256.signature(for: data).rawRepresentation
        case "EdDSA": sig = try ed.signature(for: data)
        case "RS256": sig = try Self.rsa.signature(for: data, padding: .insecurePKCS1v1_5).rawRepresentation
        default: sig = Data()
        }
        return input + "." + b64(sig)
    }

    var own: [String: Any] { ["sub": "42", "iss": "streamhub", "exp": now.timeIntervalSince1970 + 600] }
    var external: [String: Any] {
        [
            "sub": "ext-7", "iss": "https://idp.example", "aud": ["other", "streamhub-api"], "exp": now.timeIntervalSince1970 + 600,
            "realm_access": ["roles": ["trader", "desk"]],
        ]
    }

    func reason(_ r: Result<Principal, AccessFailure>) -> String? {
        if case .failure(let f) = r { return f.reason }
        return nil
    }

    // MARK: Tests

    func testOwnTokensRoundTripAndCarryTheSubject() async throws {
        let s = try await service()
        let (jwt, exp) = try await s.issue(subject: "42", lifetime: 60)
        XCTAssertEqual(exp, now.addingTimeInterval(60))
        let p = try await s.verify(token: jwt).get()
        XCTAssertEqual(p.subject, "42")
        XCTAssertEqual(p.issuer, "streamhub")
        XCTAssertEqual(p.expiresAt, Int64(now.timeIntervalSince1970 + 60) * 1_000_000)
        do {
            let v = try await s.verify(token: try token(["alg": "HS256", "kid": "streamhub", "typ": "JWT"], own)).get().subject
            XCTAssertEqual(v, "42")
        }
    }

    func testExternalTokensOfEachAlgorithmWithIssuerAudienceAndRoles() async throws {
        let s = try await service()
        for (alg, kid) in [("ES256", "ec1"), ("EdDSA", "ed1"), ("RS256", "rsa1")] {
            let p = try await s.verify(token: try token(["alg": alg, "kid": kid], external)).get()
            XCTAssertEqual(p.subject, "ext-7", alg)
            XCTAssertEqual(p.issuer, "https://idp.example", alg)
            XCTAssertEqual(p.claimedRoles, ["trader", "desk"], alg)
        }
        let mapped = try await service(roleMap: ["desk": "premium"])
        do {
            let v = try await mapped.verify(token: try token(["alg": "ES256", "kid": "ec1"], external)).get().claimedRoles
            XCTAssertEqual(v, ["premium"])
        }

        var wrongAud = external
        wrongAud["aud"] = "someone-else"
        do {
            let v = await s.verify(token: try token(["alg": "ES256", "kid": "ec1"], wrongAud))
            XCTAssertEqual(reason(v), "aud must include streamhub-api")
        }
        var wrongIss = external
        wrongIss["iss"] = "https://evil.example"
        do {
            let v = await s.verify(token: try token(["alg": "EdDSA", "kid": "ed1"], wrongIss))
            XCTAssertEqual(reason(v), "iss must be https://idp.example")
        }
        // The hub's own key cannot vouch for an external issuer, nor an external key for the hub.
        do {
            let v = await s.verify(token: try token(["alg": "HS256", "kid": "streamhub"], external))
            XCTAssertEqual(reason(v), "iss must be streamhub")
        }
        do {
            let v = await s.verify(token: try token(["alg": "ES256", "kid": "ec1"], own))
            XCTAssertEqual(reason(v), "iss must be https://idp.example")
        }
    }

    func testAttackTokensAreRefused() async throws {
        let s = try await service()
        let cases: [(String, String)] = [
            (try token(["alg": "none", "kid": "streamhub"], own), "alg none is refused"),
            (try token(["alg": "NONE"], own), "alg none is refused"),
            (try token(["alg": "HS512", "kid": "streamhub"], own), "alg HS512 is not accepted"),
            (try token(["kid": "streamhub"], own, signWith: "HS256"), "no alg in header"),
            (try token(["alg": "HS256"], own), "no kid in header"),
            (try token(["alg": "HS256", "kid": "other"], own), "unknown kid 'other'"),
            (try token(["alg": "HS256", "kid": "streamhub", "crit": ["exp"]], own), "crit header extensions are not supported"),
            // Key confusion: an RS256 key id with HS256 (signed with the public key as an HMAC secret).
            (try token(["alg": "HS256", "kid": "rsa1"], own), "kid 'rsa1' is a RS256 key, the token says HS256"),
            (try token(["alg": "ES256", "kid": "ed1"], external), "kid 'ed1' is a EdDSA key, the token says ES256"),
            ("a.b", "not a compact JWS (three parts)"),
            ("eyJhbGciOiJIUzI1NiJ9=.e30.", "part 1 is not canonical base64url"),
        ]
        for (jwt, expected) in cases {
            do {
                let v = await s.verify(token: jwt)
                XCTAssertEqual(reason(v), expected, jwt)
            }
        }
        // A valid header with a signature by another key.
        let forged = try token(["alg": "ES256", "kid": "ec1"], external, signWith: "none") + "AAAA"
        do {
            let v = await s.verify(token: forged)
            XCTAssertNotNil(reason(v))
        }
        let otherKey = P256.Signing.PrivateKey()
        let input = json(["alg": "ES256", "kid": "ec1"]) + "." + json(external)
        let bad = input + "." + b64(try otherKey.signature(for: Data(input.utf8)).rawRepresentation)
        do {
            let v = await s.verify(token: bad)
            XCTAssertTrue(reason(v)?.hasPrefix("signature or claims rejected") ?? false)
        }
        // A tampered payload.
        let good = try token(["alg": "HS256", "kid": "streamhub"], own)
        var parts = good.split(separator: ".").map(String.init)
        var elevated = own
        elevated["sub"] = "1"
        parts[1] = json(elevated)
        do {
            let v = await s.verify(token: parts.joined(separator: "."))
            XCTAssertNotNil(reason(v))
        }
    }

    func testExpiryAndNotBeforeWithThirtySecondsLeeway() async throws {
        let s = try await service()
        let t = now.timeIntervalSince1970
        func claims(exp: Double, nbf: Double? = nil) -> [String: Any] {
            var c = own
            c["exp"] = exp
            if let nbf { c["nbf"] = nbf }
            return c
        }
        let h: [String: Any] = ["alg": "HS256", "kid": "streamhub"]
        do {
            let v = await s.verify(token: try token(h, claims(exp: t - 29)))
            XCTAssertNil(reason(v), "within leeway")
        }
        let expired = await s.verify(token: try token(h, claims(exp: t - 31)))
        guard case .failure(let f) = expired else { return XCTFail("expired token accepted") }
        XCTAssertEqual(f.kind, .expired)
        do {
            let v = await s.verify(token: try token(h, claims(exp: t + 600, nbf: t + 29)))
            XCTAssertNil(reason(v), "nbf within leeway")
        }
        do {
            let v = await s.verify(token: try token(h, claims(exp: t + 600, nbf: t + 31)))
            XCTAssertEqual(reason(v), "not valid before \(Int(t + 31))")
        }
        var noExp = own
        noExp["exp"] = nil
        do {
            let v = await s.verify(token: try token(h, noExp))
            XCTAssertEqual(reason(v), "no exp claim")
        }
        var noSub = own
        noSub["sub"] = nil
        do {
            let v = await s.verify(token: try token(h, noSub))
            XCTAssertEqual(reason(v), "no sub claim")
        }
    }

    func testSetupRefusesShortSecretsAndUnfitKeys() async throws {
        do {
            _ = try await TokenService(config: AuthConfig(jwtSecret: "short"))
            XCTFail("a short secret was accepted")
        } catch {
            XCTAssertTrue(error.description.contains("at least 32 bytes"))
        }
        var c = AuthConfig(jwtSecret: Self.secret)
        c.external = [.init(issuer: "i", audience: "a", jwks: #"{"keys":[{"kty":"oct","kid":"h","alg":"HS256","k":"c2VjcmV0"}]}"#)]
        do {
            _ = try await TokenService(config: c)
            XCTFail("a symmetric key in a JWKS was accepted")
        } catch {
            // jwt-kit does not even parse `oct` keys from a JWKS; either way the hub refuses to start.
            XCTAssertTrue(error.description.contains("not a valid key set") || error.description.contains("not accepted"), error.description)
        }
        let xy = p256.publicKey.x963Representation
        c.external = [
            .init(
                issuer: "i", audience: "a",
                jwks: #"{"keys":[{"kty":"EC","crv":"P-256","kid":"e","alg":"ES256","use":"enc","x":"\#(b64(xy[1...32]))","y":"\#(b64(xy[33...64]))"}]}"#)
        ]
        do {
            _ = try await TokenService(config: c)
            XCTFail("an encryption key was accepted for signatures")
        } catch {
            XCTAssertTrue(error.description.contains("use/key_ops"), error.description)
        }
        c.external = [.init(issuer: "i", audience: "a", jwks: "not json")]
        do {
            _ = try await TokenService(config: c)
            XCTFail()
        } catch {
            XCTAssertTrue(error.description.contains("not a valid key set"), error.description)
        }
    }

    func testPasswordsAndKeys() throws {
        let h = try Passwords.hash("correct horse battery", rounds: 10_000)
        XCTAssertTrue(h.hasPrefix("pbkdf2-sha256$10000$"))
        XCTAssertTrue(Passwords.verify("correct horse battery", against: h))
        XCTAssertFalse(Passwords.verify("correct horse batterY", against: h))
        XCTAssertNotEqual(h, try Passwords.hash("correct horse battery", rounds: 10_000), "a fresh salt each time")
        XCTAssertFalse(Passwords.verify("x", against: "garbage"))
        let k = APIKey.generate()
        XCTAssertEqual(APIKey(parsing: k.text), k)
        XCTAssertNil(APIKey(parsing: "shk_only"))
        XCTAssertNil(APIKey(parsing: "xyz_a_0123456789abcdef"))
        XCTAssertEqual(k.digest.count, 64)
        let r = RefreshToken.generate()
        XCTAssertEqual(RefreshToken(parsing: r.text), r)
        XCTAssertNil(RefreshToken(parsing: k.text))
    }
}
