import Foundation
import HubServer
import HubTesting
import XCTest

/// Tokens minted by PyJWT — another implementation — accepted over REST and WebSocket: the
/// hub's own HS256 and an external issuer's ES256, RS256 and EdDSA from its JWKS.
final class ExternalTokenTests: XCTestCase {
    /// Debian's Python, where `scripts/setup` installs python3-jwt and python3-cryptography.
    static let python = "/usr/bin/python3"

    func mint(subject: String) throws -> (jwks: Data, tokens: [String: String]) {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/pyjwt_tokens.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [script, TestHub.jwtSecret, subject]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        do { try p.run() } catch { throw MissingPrerequisite("\(Self.python) is not available (scripts/setup installs it)") }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if errText.contains("No module named") { throw MissingPrerequisite("PyJWT is not installed (scripts/setup installs python3-jwt): \(errText)") }
        XCTAssertEqual(p.terminationStatus, 0, errText)
        let obj = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return (try JSONSerialization.data(withJSONObject: obj["jwks"]!), try XCTUnwrap(obj["tokens"] as? [String: String]))
    }

    func testPyJWTTokensAreAcceptedAndItsAttackTokensRefused() throws {
        // The first user of a fresh hub is the bootstrap admin, id 1.
        let (jwks, tokens) = try mint(subject: "1")
        let jwksFile = FileManager.default.temporaryDirectory.appendingPathComponent("jwks-\(UUID().uuidString).json")
        try jwks.write(to: jwksFile)
        defer { try? FileManager.default.removeItem(at: jwksFile) }
        let hub = try TestHub {
            var issuer = HubConfig.Auth.Issuer()
            issuer.issuer = "https://py.example"
            issuer.audience = "streamhub"
            issuer.jwksFile = jwksFile.path
            issuer.rolesClaim = "realm_access.roles"
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
}
