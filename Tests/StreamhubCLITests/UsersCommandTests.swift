import Foundation
import HubTesting
import XCTest

/// `streamhub users …` and `streamhub token` on the store a running hub uses.
extension ServeCommandTests {
    /// Runs with `stdin`; returns exit code, standard output, standard error.
    func runCLI(_ args: [String], stdin: String? = nil) throws -> (Int32, String, String) {
        let r = try HubProcess.run(args, stdin: stdin)
        return (r.code, r.out, r.err)
    }

    func testUsersAndTokenCommandsShareTheStoreWithARunningHub() throws {
        let data = tmp.appendingPathComponent("data").path
        let cfg = try config("")
        let common = ["--config", cfg, "--data-dir", data]

        var (code, out, err) = try runCLI(["users", "add", "alice", "--role", "trader", "--key"] + common)
        XCTAssertEqual(code, 0, err)
        XCTAssertTrue(out.contains("created user alice (id 1), roles: trader"), out)
        XCTAssertTrue(out.contains("API key (shown once): shk_"), out)
        (code, _, err) = try runCLI(["users", "add", "ALICE"] + common)
        XCTAssertEqual(code, 2)
        XCTAssertTrue(err.contains("already exists: user 'ALICE'"), err)
        (code, _, err) = try runCLI(["users", "add", "bob", "--role", "ghost"] + common)
        XCTAssertEqual(code, 2)
        XCTAssertTrue(err.contains("role 'ghost'"), err)
        (code, _, err) = try runCLI(["users", "add", "bad name"] + common)
        XCTAssertEqual(code, 2, err)
        (code, out, err) = try runCLI(["users", "add", "carol", "--password-stdin"] + common, stdin: "carol's long password\n")
        XCTAssertEqual(code, 0, err)
        (code, out, _) = try runCLI(["users", "role", "alice", "premium"] + common)
        XCTAssertEqual(out, "alice: premium, trader\n")
        (code, out, _) = try runCLI(["users", "list"] + common)
        XCTAssertEqual(out, "1\talice\tenabled\tpremium,trader\n2\tcarol\tenabled\t\n")
        (code, _, err) = try runCLI(["token", "--user", "alice", "--ttl", "5x"] + common)
        XCTAssertEqual(code, 2)
        XCTAssertTrue(err.contains("ttl"), err)
        (code, _, err) = try runCLI(["token", "--user", "nobody"] + common)
        XCTAssertEqual(code, 2)
        XCTAssertTrue(err.contains("no user 'nobody'"), err)
        (code, out, err) = try runCLI(["token", "--user", "alice", "--ttl", "15m"] + common)
        XCTAssertEqual(code, 0, err)
        let token = out.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(token.split(separator: ".").count, 3)

        // A hub on the same store and secret takes the token, and follows the CLI's changes.
        let hub = try TestHub(dataDirectory: data)
        defer { hub.stop() }
        let me = try hub.request("GET", "/api/auth/me", token: token)
        XCTAssertEqual(me.status, 200, me.text)
        XCTAssertEqual((me.json as? [String: Any])?["roles"] as? [String], ["premium", "trader"])
        let exp = try XCTUnwrap((me.json as? [String: Any])?["expiresAt"] as? String)
        XCTAssertNotNil(ISO8601DateFormatter().date(from: exp))
        let login = try hub.request("POST", "/api/auth/login", #"{"username":"carol","password":"carol's long password"}"#, token: nil)
        XCTAssertEqual(login.status, 200, "a password set by the CLI logs in")
        let c = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws?access_token=\(token)")
        c.send(#"{"id":1,"op":"ping"}"#)
        _ = try c.nextJSON()
        (code, out, _) = try runCLI(["users", "disable", "alice"] + common)
        XCTAssertEqual(out, "alice: disabled\n")
        XCTAssertEqual(try c.waitClosed(timeout: 3).code, 4003, "the running hub noticed within its poll interval")
        XCTAssertEqual(try hub.request("GET", "/api/auth/me", token: token).status, 403)
        (code, _, _) = try runCLI(["users", "enable", "alice"] + common)
        XCTAssertEqual(code, 0)
        try eventually("enabled again") { try hub.request("GET", "/api/auth/me", token: token).status == 200 }
    }

    func testServePrintsTheBootstrapAdminKeyOnceAndRefusesAShortSecret() throws {
        let data = tmp.appendingPathComponent("first").path
        let cfg = try config("server:\n  port: 0\n  publicDir: null\n")
        let p = Process()
        p.executableURL = try HubProcess.binary
        p.arguments = ["serve", "--config", cfg, "--data-dir", data]
        p.environment = ProcessInfo.processInfo.environment.merging(["STREAMHUB_JWT_SECRET": TestHub.jwtSecret]) { $1 }
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        // A watchdog: a hub that never prints ends, so the read below sees end of file.
        DispatchQueue.global().asyncAfter(deadline: .now() + 15) { if p.isRunning { p.terminate() } }
        var text = ""
        while !text.contains("POST /api/auth/token") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        p.terminate()
        p.waitUntilExit()
        XCTAssertTrue(text.contains("created user 'admin'"), text)
        XCTAssertNotNil(text.range(of: #"shk_[a-z0-9]+_[A-Za-z0-9_-]{20,}"#, options: .regularExpression), text)
        let (code, list, _) = try runCLI(["users", "list", "--config", cfg, "--data-dir", data])
        XCTAssertEqual(code, 0)
        XCTAssertEqual(list, "1\tadmin\tenabled\tadmin\n")

        let (short, _, err) = try runCLI(["serve", "--config", try config("auth:\n  jwtSecret: tooshort\n"), "--data-dir", data])
        XCTAssertEqual(short, 2)
        XCTAssertTrue(err.contains("auth.jwtSecret: must be at least 32 bytes"), err)
    }
}
