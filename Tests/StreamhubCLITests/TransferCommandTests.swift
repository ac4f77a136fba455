import Foundation
import HubTesting
import XCTest

/// `streamhub import|export` on the store of `--data-dir`: files both ways, dry runs, exit codes,
/// and a running hub following the change.
extension ServeCommandTests {
    func testImportAndExportCommands() throws {
        let data = tmp.appendingPathComponent("data").path
        let common = ["--config", try config(""), "--data-dir", data]
        var (code, out, err) = try runCLI(["users", "add", "alice", "--role", "trader"] + common)
        XCTAssertEqual(code, 0, err)

        let users = tmp.appendingPathComponent("users.csv").path
        (code, _, err) = try runCLI(["export", "users", "--format", "csv", "-o", users] + common)
        XCTAssertEqual(code, 0, err)
        XCTAssertEqual(
            try String(contentsOfFile: users, encoding: .utf8),
            "username,displayName,disabled,roles,passwordHash,setPasswordOnFirstLogin\nalice,,false,trader,,\n")
        try "username,displayName,disabled,roles\nalice,Alice,false,trader;premium\nbob,,false,viewer\n".write(toFile: users, atomically: true, encoding: .utf8)

        (code, out, err) = try runCLI(["import", "users", users, "--format", "csv", "--dry-run"] + common)
        XCTAssertEqual(code, 0, err)
        XCTAssertEqual(
            out,
            """
            users: 1 to create, 1 to update, 0 unchanged — dry run, nothing written
              ~ alice: displayName, roles
                  displayName: null → "Alice"
                  roles: ["trader"] → ["premium","trader"]
              + bob

            """)
        (code, out, _) = try runCLI(["users", "list"] + common)
        XCTAssertEqual(out, "1\talice\tenabled\ttrader\n", "the dry run wrote nothing")

        // A hub on the same store follows the import (it watches the audit log).
        let hub = try TestHub(dataDirectory: data)
        defer { hub.stop() }
        (code, out, err) = try runCLI(["import", "users", users, "--format", "csv"] + common)
        XCTAssertEqual(code, 0, err)
        XCTAssertTrue(out.contains("— written\n  ~ alice: displayName, roles\n"), out)
        let token = try hub.token(subject: "1")
        try eventually("the hub sees alice's new role") {
            (try hub.request("GET", "/api/auth/me", token: token).object["roles"] as? [String]) == ["premium", "trader"]
        }

        // A bad file: every problem named, nothing written, exit code 3.
        try "username,disabled\ncarol,false\ndave,maybe\nbad name,false\n".write(toFile: users, atomically: true, encoding: .utf8)
        (code, out, err) = try runCLI(["import", "users", users, "--format", "csv"] + common)
        XCTAssertEqual(code, 3, out)
        XCTAssertTrue(out.contains("line 3, disabled: must be true or false, not 'maybe'"), out)
        XCTAssertTrue(out.contains("line 4, username: must be 1 to 64"), out)
        XCTAssertTrue(err.contains("2 record(s) cannot be imported; nothing was written"), err)
        (code, out, _) = try runCLI(["users", "list"] + common)
        XCTAssertFalse(out.contains("carol"), out)
        (code, _, err) = try runCLI(["import", "users", tmp.appendingPathComponent("missing.json").path] + common)
        XCTAssertEqual(code, 2)
        XCTAssertTrue(err.contains("cannot read"), err)
        (code, _, err) = try runCLI(["import", "properties", users, "--format", "csv"] + common)
        XCTAssertEqual(code, 2)
        XCTAssertTrue(err.contains("properties are imported as json, not csv"), err)

        // Flags in Unleash's admin export: out and back in, unchanged.
        let flags = tmp.appendingPathComponent("flags.json").path
        (code, _, err) = try runCLI(["export", "flags", "--format", "admin", "-o", flags] + common)
        XCTAssertEqual(code, 0, err)
        let doc = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: flags))) as? [String: Any])
        XCTAssertNotNil(doc["featureStrategies"])
        (code, out, err) = try runCLI(["import", "flags", flags, "--format", "admin"] + common)
        XCTAssertEqual(code, 0, err)
        XCTAssertTrue(out.hasPrefix("flags: 0 to create, 0 to update, "), out)
        (code, out, _) = try runCLI(["export", "roles"] + common)
        XCTAssertTrue(out.contains("\"id\" : \"admin\""), out)
    }
}
