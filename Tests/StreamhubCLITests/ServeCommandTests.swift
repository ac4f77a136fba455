import Foundation
import HubTesting
import XCTest

/// The `streamhub` executable as an operator runs it: exit codes, messages, signals.
final class ServeCommandTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("streamhub-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: tmp) }

    /// Writes `yaml` with an `auth` section (secret, roles file) unless it has its own.
    func config(_ yaml: String) throws -> String {
        let path = tmp.appendingPathComponent("c.yaml").path
        let auth = "auth:\n  jwtSecret: ${STREAMHUB_JWT_SECRET}\n  rolesFile: \(TestHub.rolesFile)\n  passwordRounds: 10000\n"
        try (yaml.contains("auth:") ? yaml : auth + yaml).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs to completion; returns exit code and standard error.
    func run(_ args: [String], env: [String: String] = [:]) throws -> (Int32, String) {
        let r = try HubProcess.run(args, env: env)
        return (r.code, r.err)
    }

    func testBadConfigurationExitsWithCode2NamingTheKey() throws {
        let cases: [(String, String)] = [
            ("server:\n  port: 99999\n", "server.port"),
            ("server:\n  port: eighty\n", "server.port"),
            ("server:\n  prot: 80\n", "server.prot"),
            ("feeds:\n  deribit:\n    enabled: true\n    interval: 5s\n", "feeds.deribit.interval"),
            ("feeds:\n  deribit:\n    enabled: true\n    clientSecret: ${STREAMHUB_TEST_UNSET_SECRET}\n", "feeds.deribit.clientSecret"),
            ("serve:\n  frameBytes: 10\n", "serve.frameBytes"),
            ("server: [unclosed\n", "not valid YAML"),
        ]
        for (yaml, key) in cases {
            let (code, err) = try run(["serve", "--config", try config(yaml), "--data-dir", tmp.path])
            XCTAssertEqual(code, 2, yaml)
            XCTAssertTrue(err.contains(key), "\(err) should name \(key)")
            XCTAssertEqual(err.split(separator: "\n").count, 1, "one clear line: \(err)")
        }
    }

    func testBadArgumentsExitWithCode2() throws {
        let (code, err) = try run(["serve", "--port", "70000", "--config", try config("")])
        XCTAssertEqual(code, 2)
        XCTAssertTrue(err.contains("--port"))
        let (code2, err2) = try run(["serve", "--frobnicate"])
        XCTAssertEqual(code2, 2)
        XCTAssertTrue(err2.contains("frobnicate"))
        let (code3, _) = try run(["serve", "--config", tmp.appendingPathComponent("missing.yaml").path])
        XCTAssertEqual(code3, 2)
    }

    func testCheckConfigAcceptsTheShippedConfigurationsAndSecretsFromTheEnvironment() throws {
        for file in ["config/streamhub.yaml", "config/live.yaml"] {
            let (code, err) = try run(["check-config", "--config", file, "--data-dir", tmp.path])
            XCTAssertEqual(code, 0, "\(file): \(err)")
        }
        let yaml = "feeds:\n  deribit:\n    enabled: true\n    clientId: ${SH_ID}\n    clientSecret: ${SH_SECRET:-fallback}\n"
        XCTAssertEqual(try run(["check-config", "--config", try config(yaml)], env: ["SH_ID": "me"]).0, 0)
    }

    func testSIGTERMClosesClientsWithGoingAwayAndExitsZero() throws {
        let path = try config("server:\n  port: 0\n  publicDir: null\n")
        let hub = try HubProcess(config: path, dataDir: tmp.appendingPathComponent("data").path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.appendingPathComponent("data").path), "data dir created")
        let client = try TestClient.connect("ws://127.0.0.1:\(hub.port)/ws")
        client.send(#"{"id":1,"op":"ping"}"#)
        _ = try client.nextJSON()
        kill(hub.pid, SIGTERM)
        XCTAssertEqual(try client.waitClosed().code, 1001)
        hub.process.waitUntilExit()
        XCTAssertEqual(hub.process.terminationStatus, 0)
    }
}

extension ServeCommandTests {
    func testMigrateUpDownStatusAndCheckOnTheDataDirectory() throws {
        let data = tmp.appendingPathComponent("data").path
        let cfg = try config("")
        func run(_ action: String) throws -> (Int32, String) {
            let r = try HubProcess.run(["migrate", action, "--config", cfg, "--data-dir", data])
            return (r.code, r.out + r.err)
        }
        XCTAssertEqual(
            try run("status").1,
            "pending  v1-properties\npending  v2-identity\npending  v3-flags\npending  v4-mappings\npending  v5-usage\npending  v6-alert-rules\n"
                + "pending  v7-api-key-expiry\npending  v8-password-setup\npending  v9-control-version\n")
        XCTAssertEqual(
            try run("up").1,
            "applied: v1-properties, v2-identity, v3-flags, v4-mappings, v5-usage, v6-alert-rules, v7-api-key-expiry, v8-password-setup, v9-control-version\n")
        XCTAssertTrue(try run("up").1.hasPrefix("up to date"))
        XCTAssertEqual(try run("check").1, "ok (\(data)/streamhub.sqlite)\n")
        XCTAssertEqual(
            try run("status").1,
            "applied  v1-properties\napplied  v2-identity\napplied  v3-flags\napplied  v4-mappings\napplied  v5-usage\napplied  v6-alert-rules\n"
                + "applied  v7-api-key-expiry\napplied  v8-password-setup\napplied  v9-control-version\n")
        XCTAssertEqual(try run("down").1, "rolled back: v9-control-version\n")
        XCTAssertEqual(try run("down").1, "rolled back: v8-password-setup\n")
        XCTAssertEqual(try run("down").1, "rolled back: v7-api-key-expiry\n")
        XCTAssertEqual(
            try run("status").1,
            "applied  v1-properties\napplied  v2-identity\napplied  v3-flags\napplied  v4-mappings\napplied  v5-usage\napplied  v6-alert-rules\n"
                + "pending  v7-api-key-expiry\npending  v8-password-setup\npending  v9-control-version\n")
        XCTAssertEqual(try run("down").1, "rolled back: v6-alert-rules\n")
        XCTAssertEqual(try run("down").1, "rolled back: v5-usage\n")
        XCTAssertEqual(try run("down").1, "rolled back: v4-mappings\n")
        XCTAssertEqual(try run("down").1, "rolled back: v3-flags\n")
        XCTAssertEqual(try run("down").1, "rolled back: v2-identity\n")
        XCTAssertEqual(try run("down").1, "rolled back: v1-properties\n")
        XCTAssertEqual(try run("down").1, "nothing to roll back\n")
        XCTAssertTrue(FileManager.default.fileExists(atPath: data + "/streamhub.sqlite"))
        let (code, err) = try run("sideways")
        XCTAssertEqual(code, 2)
        XCTAssertTrue(err.contains("sideways"))

        // A damaged file: `check` names the problem and exits 1.
        let broken = tmp.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: broken, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 8192).write(to: broken.appendingPathComponent("streamhub.sqlite"))
        let damaged = try HubProcess.run(["migrate", "check", "--config", cfg, "--data-dir", broken.path])
        XCTAssertEqual(damaged.code, 1, damaged.out)
        XCTAssertTrue(damaged.err.contains("not a database") || damaged.err.contains("problem"), damaged.err)
    }

    func testBrokenPropertyDefinitionsStopTheServerWithCode2() throws {
        let props = tmp.appendingPathComponent("props")
        try FileManager.default.createDirectory(at: props, withIntermediateDirectories: true)
        try "properties:\n  - {name: p, type: decimal, tier: public}\n".write(to: props.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let cfg = try config("properties:\n  seedDirectory: \(props.path)\nserver:\n  port: 0\n")
        let (code, err) = try run(["serve", "--config", cfg, "--data-dir", tmp.appendingPathComponent("d").path])
        XCTAssertEqual(code, 2)
        XCTAssertTrue(err.contains("bad.yaml: properties[0].description: is required"), err)
    }
}
