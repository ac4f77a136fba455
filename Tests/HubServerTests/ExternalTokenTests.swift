import Foundation
import HubCore
import HubServer
import HubTesting
import XCTest

/// Tokens minted by PyJWT — another implementation — accepted over REST and WebSocket: the
/// hub's own HS256 and an external issuer's ES256, RS256 and EdDSA from its JWKS.
final class ExternalTokenTests: XCTestCase {
    /// Debian's Python, where `scripts/setup` installs python3-jwt and python3-cryptography.
    static let python = "/usr/bin/python3"

    /// The issuer of PyJWT's tokens (`pyjwt_tokens.py`): its `iss`, `aud` and roles claim.
    static func pyIssuer() -> HubConfig.Auth.Issuer {
        var issuer = HubConfig.Auth.Issuer()
        issuer.issuer = "https://py.example"
        issuer.audience = "streamhub"
        issuer.rolesClaim = "realm_access.roles"
        return issuer
    }

    /// `suffix`: key ids of another key set (`py-ec` + suffix), as after a rotation.
    static func mint(subject: String, suffix: String = "") throws -> (jwks: Data, tokens: [String: String]) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/pyjwt_tokens.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [script, TestHub.jwtSecret, subject, suffix]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { throw MissingPrerequisite("\(Self.python) is not available (scripts/setup installs it)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if errText.contains("No module named") { throw MissingPrerequisite("PyJWT is not installed (scripts/setup installs python3-jwt): \(errText)") }
        guard p.terminationStatus == 0 else { throw TestHub.RequestFailed(description: "pyjwt_tokens.py: \(errText)") }
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (try JSONSerialization.data(withJSONObject: obj["jwks"]!), try XCTUnwrap(obj["tokens"] as? [String: String]))
    }

    func testPyJWTTokensAreAcceptedAndItsAttackTokensRefused() throws {
        // The first user of a fresh hub is the bootstrap admin, id 1.
        let (jwks, tokens) = try Self.mint(subject: "1")
        let jwksFile = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json")
        try jwks.write(to: jwksFile)
        defer { try? FileManager.default.removeItem(at: jwksFile) }
        let hub = try TestHub {
            var issuer = Self.pyIssuer()
            issuer.jwksFile = jwksFile.path
            $0.auth.issuers = [issuer]
        }
        defer { hub.stop() }

        let own = try hub.request("GET", "/api/auth/me", token: tokens["HS256"])
        XCTAssertEqual(own.status, 200, own.text)
        XCTAssertEqual((own.json as? [String: Any])?["roles"] as? [String], ["admin"])
        for alg in ["ES256", "RS256", "EdDSA"] {
            let me = try hub.request("GET", "/api/auth/me", token: tokens[alg])
            XCTAssertEqual(me.status, 200, "\(alg): \(me.text)")
            let body = me.json as? [String: Any]
            XCTAssertEqual(body?["subject"] as? String, "py-user", alg)
            XCTAssertEqual(body?["issuer"] as? String, "https://py.example", alg)
            XCTAssertEqual(body?["roles"] as? [String], ["premium"], "\(alg): roles from realm_access.roles")
            // The same token opens a WebSocket with the premium role's rights.
            hub.inject([TickFactory.ticker("PY", bid: 1)])
            let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(tokens[alg]!)")
            c.send(#"{"id":1,"op":"subscribe","channel":"arb.*.*"}"#)
            XCTAssertNotNil(try c.waitFor { $0["id"] as? Int == 1 }["result"], alg)
            c.close()
        }
        for attack in ["wrongAudience", "expired", "none", "unknownKid"] {
            let r = try hub.request("GET", "/api/auth/me", token: tokens[attack])
            XCTAssertEqual(r.status, 401, "\(attack): \(r.text)")
        }
    }

    /// An issuer whose keys live at an HTTPS URL (a CA of the test's own): fetched at start,
    /// fetched again when a token names a key rotated in (then the old keys stop working), and
    /// not fetched again for unknown kids within the minimum interval.
    func testKeysFromAJWKSURLAreFetchedAndFollowARotation() throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        let server = try TestJWKSServer(certificates: certs)
        defer { server.stop() }
        let first = try Self.mint(subject: "1", suffix: "-a")
        server.serve(first.jwks)
        // The interval between refreshes is crossed by moving this clock (tokens live 600 s).
        let clock = ManualClock(running: true)
        let hub = try TestHub(clock: clock) {
            var issuer = Self.pyIssuer()
            issuer.jwksURL = server.url
            issuer.jwksCAFile = certs.caFile
            issuer.jwksMinRefreshSeconds = 200
            $0.auth.issuers = [issuer]
        }
        defer { hub.stop() }
        XCTAssertEqual(server.requests, 1, "fetched once at start")
        for alg in ["ES256", "RS256", "EdDSA"] {
            XCTAssertEqual(try hub.request("GET", "/api/auth/me", token: first.tokens[alg]).status, 200, alg)
        }

        // The provider rotates: the first token with a new kid makes the hub fetch again.
        clock.advance(by: 300)
        let second = try Self.mint(subject: "1", suffix: "-b")
        server.serve(second.jwks)
        let me = try hub.request("GET", "/api/auth/me", token: second.tokens["ES256"])
        XCTAssertEqual(me.status, 200, me.text)
        XCTAssertEqual((me.json as? [String: Any])?["roles"] as? [String], ["premium"])
        XCTAssertEqual(server.requests, 2)
        XCTAssertEqual(try hub.request("GET", "/api/auth/me", token: first.tokens["ES256"]).status, 401, "keys no longer listed are dropped")
        // Within jwksMinRefreshSeconds an unknown kid does not fetch again.
        XCTAssertEqual(try hub.request("GET", "/api/auth/me", token: first.tokens["unknownKid"]).status, 401)
        XCTAssertEqual(server.requests, 2, "rate-limited")
        // An hour on the hub's clock: fetched again on the timer.
        clock.advance(by: 3600)
        try eventually(timeout: 5, "the hourly refresh") { server.requests == 3 }
    }

    /// A provider that cannot be trusted (no CA for its certificate) gives no keys: its tokens are
    /// refused, the hub serves on.
    func testAnUntrustedJWKSServerGivesNoKeys() throws {
        let certs = try TestCertificates()
        defer { certs.remove() }
        let server = try TestJWKSServer(certificates: certs)
        defer { server.stop() }
        let minted = try Self.mint(subject: "1", suffix: "-c")
        server.serve(minted.jwks)
        let hub = try TestHub {
            var issuer = Self.pyIssuer()
            issuer.jwksURL = server.url  // the system's CAs do not know the test CA
            $0.auth.issuers = [issuer]
        }
        defer { hub.stop() }
        XCTAssertEqual(try hub.request("GET", "/api/auth/me", token: minted.tokens["ES256"]).status, 401)
        XCTAssertEqual(try hub.request("GET", "/api/auth/me").status, 200, "the admin's own tokens work")
        XCTAssertEqual(server.requests, 0, "the handshake failed before any request")
    }
}
