import Foundation
import HubTesting
import XCTest

/// `kill -9` of a serving hub while admins write: the store stays sound (`migrate check`) and
/// every change the hub acknowledged is there after the restart.
final class CrashSafetyTests: XCTestCase {
    var tmp: URL!

    override func setUpWithError() throws {
        tmp = FileManager.default.temporaryDirectory.appendingPathComponent("streamhub-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: tmp) }

    /// Acknowledged writes, shared by the writer threads.
    final class Ledger: @unchecked Sendable {
        let cond = NSCondition()
        var users: [String] = [], roles: [String] = [], flags: [String] = []
        var failures: [String] = []
        var count: Int { users.count + roles.count + flags.count }
    }

    func testKill9DuringAdminWritesLosesNothingAcknowledged() throws {
        let config = tmp.appendingPathComponent("c.yaml").path
        let yaml = """
            auth:
              jwtSecret: ${STREAMHUB_JWT_SECRET}
              bootstrapAdminKey: ${STREAMHUB_ADMIN_API_KEY}
              rolesFile: \(TestHub.rolesFile)
              passwordRounds: 10000
            server:
              port: 0
              publicDir: null
            """
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let data = tmp.appendingPathComponent("data").path
        let ledger = Ledger()

        for round in 0..<3 {
            let hub = try HubProcess(config: config, dataDir: data)
            let token = try adminToken(hub.port)
            if round > 0 { try assertEverythingAcknowledgedIsThere(ledger, port: hub.port, token: token) }

            // Four writers create users, roles and flags as fast as the hub answers.
            let target = ledger.cond.withLock { ledger.count } + 150
            let writers = DispatchGroup()
            for w in 0..<4 {
                DispatchQueue.global().async(group: writers) {
                    Self.write(round: round, writer: w, port: hub.port, token: token, ledger: ledger)
                }
            }
            ledger.cond.lock()
            while ledger.count < target && ledger.failures.isEmpty {
                if !ledger.cond.wait(until: Date().addingTimeInterval(30)) { break }
            }
            ledger.cond.unlock()
            // Mid-write: requests are in flight on all four connections.
            hub.stop(SIGKILL)
            writers.wait()
            XCTAssertEqual(ledger.failures, [], "round \(round)")
            XCTAssertGreaterThanOrEqual(ledger.count, target, "round \(round): writes acknowledged before the kill")

            let check = try HubProcess.run(["migrate", "check", "--config", config, "--data-dir", data])
            XCTAssertEqual(check.code, 0, "round \(round): \(check.out) \(check.err)")
            XCTAssertTrue(check.out.hasPrefix("ok"), check.out)
        }
        let hub = try HubProcess(config: config, dataDir: data)
        try assertEverythingAcknowledgedIsThere(ledger, port: hub.port, token: try adminToken(hub.port))
        hub.stop()
        XCTAssertEqual(hub.process.terminationStatus, 0)
        print("kill -9 × 3 during writes: \(ledger.users.count) users, \(ledger.roles.count) roles, \(ledger.flags.count) flags acknowledged, all kept")
    }

    /// Writes until the hub goes away (a refused or reset connection ends the writer).
    static func write(round: Int, writer: Int, port: Int, token: String, ledger: Ledger) {
        let headers = ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]
        for i in 0..<10_000 {
            let name = "c\(round)w\(writer)n\(i)"
            let (path, body): (String, String)
            switch i % 3 {
            case 0: (path, body) = ("/api/users", #"{"username":"\#(name)","roles":["viewer"]}"#)
            case 1: (path, body) = ("/api/roles", #"{"id":"\#(name)","grants":{"channels":[{"allow":"ticker.*.*"}],"tiers":["public"]}}"#)
            default: (path, body) = ("/api/features", #"{"name":"\#(name)","enabled":true}"#)
            }
            guard let r = try? HTTPTestClient.request("POST", port: port, path: path, headers: headers, body: Data(body.utf8)) else { return }
            ledger.cond.lock()
            defer {
                ledger.cond.broadcast()
                ledger.cond.unlock()
            }
            guard r.status == 201 else {
                ledger.failures.append("\(path) \(name): \(r.status) \(r.text)")
                return
            }
            switch i % 3 {
            case 0: ledger.users.append(name)
            case 1: ledger.roles.append(name)
            default: ledger.flags.append(name)
            }
        }
    }

    func adminToken(_ port: Int) throws -> String {
        let r = try HTTPTestClient.request(
            "POST", port: port, path: "/api/auth/token", headers: ["Content-Type": "application/json"], body: Data(#"{"apiKey":"\#(TestHub.adminKey)"}"#.utf8))
        return try XCTUnwrap(r.object["accessToken"] as? String, r.text)
    }

    func assertEverythingAcknowledgedIsThere(_ ledger: Ledger, port: Int, token: String) throws {
        let auth = ["Authorization": "Bearer \(token)"]
        var users = Set<String>()
        var offset = 0
        while true {
            let page = try HTTPTestClient.request("GET", port: port, path: "/api/users?limit=500&offset=\(offset)", headers: auth).object
            let list = page["users"] as? [[String: Any]] ?? []
            users.formUnion(list.compactMap { $0["username"] as? String })
            if list.count < 500 { break }
            offset += 500
        }
        let roles = Set(
            (try HTTPTestClient.request("GET", port: port, path: "/api/roles", headers: auth).object["roles"] as? [[String: Any]] ?? []).compactMap {
                $0["id"] as? String
            })
        let flags = Set(
            (try HTTPTestClient.request("GET", port: port, path: "/api/features", headers: auth).object["features"] as? [[String: Any]] ?? []).compactMap {
                $0["name"] as? String
            })
        ledger.cond.lock()
        defer { ledger.cond.unlock() }
        XCTAssertEqual(Set(ledger.users).subtracting(users), [], "acknowledged users lost")
        XCTAssertEqual(Set(ledger.roles).subtracting(roles), [], "acknowledged roles lost")
        XCTAssertEqual(Set(ledger.flags).subtracting(flags), [], "acknowledged flags lost")
    }
}
