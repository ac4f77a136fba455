import Foundation
import HubCore
import HubStore
import XCTest

/// What only the PostgreSQL backend has to show: its URL, nodes migrating and writing at the
/// same time, and the same data seen from another connection (another node).
final class PostgresStoreTests: StoreContractCase {
    func testURLsAreCheckedAndNeverShowTheirPassword() throws {
        let url = try PostgresURL(parsing: "postgres://hub:s3cret@db.example:5433/control?schema=blue")
        XCTAssertEqual(url.host, "db.example")
        XCTAssertEqual(url.port, 5433)
        XCTAssertEqual(url.password, "s3cret")
        XCTAssertEqual(url.display, "postgres://hub@db.example:5433/control?schema=blue")
        XCTAssertEqual(try PostgresURL(parsing: "postgresql://hub@h/db").port, 5432)
        for bad in [
            "mysql://hub@h/db", "postgres://h/db", "postgres://hub@h", "postgres://hub@h/db?schema=Bad-Name", "postgres://hub@h/db?sslmode=require",
            "postgres://hub@h:0/db",
        ] {
            XCTAssertThrowsError(try PostgresURL(parsing: bad), bad) {
                guard case .open(let why) = $0 as? StoreError else { return XCTFail("\($0)") }
                XCTAssertFalse(why.contains("s3cret"))
            }
        }
        XCTAssertThrowsError(try PostgresURL(parsing: "mysql://hub:s3cret@h/db")) { XCTAssertFalse("\($0)".contains("s3cret")) }
    }

    func testAnUnreachableServerIsAnOpenError() throws {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        XCTAssertThrowsError(try HubStore(postgres: "postgres://hub@127.0.0.1:1/db")) {
            guard case .open(let why) = $0 as? StoreError else { return XCTFail("\($0)") }
            XCTAssertTrue(why.contains("127.0.0.1:1"), why)
        }
    }

    /// Three nodes starting at once on an empty database: each applies what is pending under
    /// the migration lock, none fails, every migration is applied once.
    func testNodesMigratingTogetherApplyEachMigrationOnce() throws {
        guard Self.postgresURL != nil else { throw XCTSkip("no PostgreSQL server (STREAMHUB_TEST_POSTGRES_URL)") }
        let first = try postgresStore()
        let schema = try XCTUnwrap(first.location.components(separatedBy: "schema=").last)
        let nodes = [first, try postgresStore(schema: schema), try postgresStore(schema: schema)]
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: nodes.count) { i in
            do { try nodes[i].migrate() } catch { failures.add("\(error)") }
        }
        XCTAssertEqual(failures.all, [])
        for n in nodes { XCTAssertTrue(try n.migrationStatus().allSatisfy(\.applied)) }
    }

    /// Two nodes racing to create the same user: one wins, the other gets `.duplicate` (the
    /// serialisable write saw the winner), and the table holds one row.
    func testConcurrentWritesFromTwoNodesStayConsistent() throws {
        guard Self.postgresURL != nil else { throw XCTSkip("no PostgreSQL server (STREAMHUB_TEST_POSTGRES_URL)") }
        let a = try postgresStore()
        try a.migrate()
        _ = try a.seedRoles([Role(id: "admin"), Role(id: "viewer")])
        let b = try reopen(a)
        let failures = Failures()
        for round in 0..<20 {
            let name = "racer\(round)"
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                do {
                    _ = try [a, b][i].insertUser(username: name, passwordHash: nil, roles: ["viewer"], actor: "node\(i)")
                } catch let e as StoreError where e == .duplicate("user '\(name)'") || e.isConflict {
                    failures.add("lost")
                } catch {
                    failures.add("\(error)")
                }
            }
        }
        XCTAssertEqual(failures.all, Array(repeating: "lost", count: 20))
        XCTAssertEqual(try b.userCount(), 20)
        // A change on one node is there for the other at once.
        let u = try XCTUnwrap(try a.user(named: "racer0"))
        _ = try a.assignRole(userID: u.id, role: "admin", actor: "node0")
        XCTAssertEqual(try b.user(id: u.id)?.roles, ["admin", "viewer"])
        XCTAssertEqual(try b.auditHead(), try a.auditHead())
    }

    private final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        func add(_ s: String) { lock.withLock { list.append(s) } }
        var all: [String] { lock.withLock { list } }
    }
}

extension StoreError {
    var isConflict: Bool {
        if case .conflict = self { return true }
        return false
    }
}
