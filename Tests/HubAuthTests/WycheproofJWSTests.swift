import Fixtures
import Foundation
import HubAuth
import HubCore
import XCTest

/// Google Wycheproof's JSON Web Signature vectors through the hub's token verification
/// (header rules + jwt-kit signatures). Reports passed / applicable / skipped (with reasons).
final class WycheproofJWSTests: XCTestCase {
    struct File: Decodable {
        let numberOfTests: Int
        let testGroups: [Group]
    }

    struct Group: Decodable {
        let comment: String?
        let `public`: JSONValue?
        let `private`: JSONValue?
        let tests: [Test]
    }

    struct Test: Decodable {
        let tcId: Int
        let comment: String
        let jws: String
        let result: String
    }

    func testEveryApplicableVectorIsDecidedCorrectly() async throws {
        let data = try Fixtures.data("wycheproof/json_web_signature_test.json")
        let file = try JSONDecoder().decode(File.self, from: data)
        var passed = 0, applicable = 0
        var skipped: [String: Int] = [:]
        var failures: [String] = []
        for group in file.testGroups {
            guard let key = group.public ?? group.private, case .object(let jwk) = key else { continue }
            let alg = jwk["alg"]?.string
            let verifier = try await makeVerifier(jwk: jwk, secret: group.private)
            let results = Dictionary(grouping: group.tests, by: \.jws).mapValues { Set($0.map(\.result)) }
            for t in group.tests {
                let expectValid = t.result == "valid"
                if results[t.jws]?.count ?? 0 > 1 {
                    skipped["contradictory in this copy: the same JWS appears as valid and invalid", default: 0] += 1
                    continue
                }
                if expectValid, t.jws.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") }) {
                    skipped["expected valid, but contains characters outside base64url, which RFC 7515 §2 forbids and StreamHub rejects", default: 0] += 1
                    continue
                }
                if expectValid, let alg, !TokenService.accepted.contains(alg) {
                    skipped["algorithm \(alg) is not accepted by StreamHub (HS256, RS256, ES256, EdDSA only)", default: 0] += 1
                    continue
                }
                applicable += 1
                let accepted: Bool
                if let verifier {
                    accepted = await verifier.verifySignature(t.jws) == nil
                } else {
                    accepted = false  // the key itself was refused at configuration
                }
                if accepted == expectValid {
                    passed += 1
                } else {
                    failures.append("tc \(t.tcId) (\(group.comment ?? "") \(t.comment)): expected \(t.result)")
                }
            }
        }
        let report =
            "Wycheproof JWS: \(passed) passed / \(applicable) applicable of \(file.numberOfTests); skipped: "
            + skipped.map { "\($0.value) (\($0.key))" }.joined(separator: "; ")
        print(report)
        XCTAssertEqual(failures, [], report)
        XCTAssertEqual(passed + skipped.values.reduce(0, +), file.numberOfTests)
        XCTAssertGreaterThan(applicable, 300)
    }

    /// A verifier trusting exactly the group's key (nil when that key is refused as configured).
    private func makeVerifier(jwk: [String: JSONValue], secret: JSONValue?) async throws -> TokenService? {
        let kid = jwk["kid"]?.string ?? "none"
        if jwk["kty"]?.string == "oct" {
            guard case .object(let priv)? = secret, let k = priv["k"]?.string, let bytes = base64url(k) else { return nil }
            var c = AuthConfig(jwtSecret: String(repeating: "x", count: 32))
            c.keyID = kid
            // Wycheproof's HMAC key is 32 bytes; shorter ones would be refused, as configured keys are.
            return try? await TokenService(config: c, hmacKey: bytes)
        }
        var publicJWK = jwk.filter { !["d", "p", "q", "dp", "dq", "qi"].contains($0.key) }
        publicJWK["kid"] = .string(kid)
        let jwks = String(decoding: try JSONEncoder().encode(JSONValue.object(["keys": .array([.object(publicJWK)])])), as: UTF8.self)
        var c = AuthConfig(jwtSecret: String(repeating: "s", count: 32))
        c.keyID = "hub-own-key"
        c.external = [.init(issuer: "wycheproof", audience: "streamhub", jwks: jwks)]
        return try? await TokenService(config: c)
    }

    private func base64url(_ s: String) -> [UInt8]? {
        var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        return Data(base64Encoded: b).map(Array.init)
    }
}
