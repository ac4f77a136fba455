import Foundation
import HubCore
import XCTest

@testable import HubStore

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
        let tls = try PostgresURL(parsing: "postgres://hub:s3cret@db.example/control?sslmode=verify-full&sslrootcert=/etc/ca.pem")
        XCTAssertEqual(tls.tls, .verifyFull)
        XCTAssertEqual(tls.rootCertificate, "/etc/ca.pem")
        XCTAssertEqual(tls.display, "postgres://hub@db.example:5432/control?sslmode=verify-full")
        for bad in [
            "mysql://hub@h/db", "postgres://h/db", "postgres://hub@h", "postgres://hub@h/db?schema=Bad-Name", "postgres://hub@h/db?sslmode=prefer",
            "postgres://hub@h/db?sslrootcert=",
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
        _ = try requirePostgres()
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

    /// Three nodes starting at once on an empty schema: they migrate, seed and make the first
    /// admin together, and the store ends with one of each seed and one admin with its key.
    func testNodesStartingTogetherSeedOnce() throws {
        _ = try requirePostgres()
        let schema = "t_start_" + UUID().uuidString.prefix(8).lowercased()
        let nodes = try (0..<3).map { _ in try postgresStore(schema: schema) }
        let flags = FlagSet(features: [FeatureFlag(name: "premium-data", enabled: true)])
        let mapping = InstrumentMapping(id: "M", kind: .crypto, members: [.init(venue: "a", instrument: "x"), .init(venue: "b", instrument: "y")])
        let property = PropertyDefinition(name: "bid", type: .decimal, description: "Best bid.", tier: .public)
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: nodes.count) { i in
            do {
                let n = nodes[i]
                try n.migrate()
                try n.seedRoles([Role(id: "admin"), Role(id: "viewer")])
                try n.seedProperties([property])
                try n.seedFlags(flags)
                try n.seedMappings([mapping])
                XCTAssertEqual(try n.seedAlertRules(["rule-a"]), ["rule-a"])
                _ = try n.insertAdmin(username: "admin", displayName: "Administrator", key: ("k\(i)", "d"), actor: "system")
            } catch {
                failures.add("\(error)")
            }
        }
        XCTAssertEqual(failures.all, [])
        let actions = try nodes[0].auditLog(limit: 1000).map(\.action)
        for seed in ["feature.seed", "mapping.seed", "alertRules.seed", "user.create", "key.create"] {
            XCTAssertEqual(actions.filter { $0 == seed }.count, 1, seed)
        }
        XCTAssertEqual(actions.filter { $0 == "role.seed" }.count, 2)
        let admin = try XCTUnwrap(try nodes[1].user(named: "admin"))
        XCTAssertEqual(admin.roles, ["admin"])
        XCTAssertEqual(try nodes[2].apiKeys(userID: admin.id).count, 1)
        XCTAssertEqual(try nodes[2].properties().map(\.name), ["bid"])
    }

    /// A statement the server does not answer in time closes the connection: the call fails
    /// with a clear error instead of blocking the store queue, and the next call connects again.
    func testAStatementWithoutAnAnswerGivesUpTheConnection() throws {
        let base = try requirePostgres()
        let store = HubStore(backend: try PostgresBackend(url: try PostgresURL(parsing: base), answerSeconds: 1))
        XCTAssertThrowsError(try store.backend.read { try $0.rows("SELECT pg_sleep(3)") }) {
            XCTAssertEqual($0 as? StoreError, .io("postgres: no answer within 1 s; the connection was closed"))
        }
        XCTAssertEqual(try store.backend.read { try $0.integer("SELECT 1 + 1") }, 2)
    }

    /// Two nodes racing to create the same user: one wins, the other gets `.duplicate` (the
    /// serialisable write saw the winner), and the table holds one row.
    func testConcurrentWritesFromTwoNodesStayConsistent() throws {
        _ = try requirePostgres()
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

    /// The server ends the store's connection (a restart, an administrator, an idle timeout): the
    /// next call opens a new one and succeeds, with nothing lost.
    func testADroppedConnectionIsOpenedAgain() throws {
        _ = try requirePostgres()
        let a = try postgresStore()
        try a.migrate()
        _ = try a.seedRoles([Role(id: "admin")])
        let b = try reopen(a)
        let pid = try a.backend.read { try $0.integer("SELECT pg_backend_pid()") }
        // The two-argument form waits (up to 5 s) until the backend process has ended.
        let ended = try b.backend.read { try $0.rows("SELECT pg_terminate_backend(CAST(? AS INTEGER), 5000)", pid).first?.bool(0) }
        XCTAssertEqual(ended, true)
        XCTAssertEqual(try a.roles().map(\.id), ["admin"])
        XCTAssertNotEqual(try a.backend.read { try $0.integer("SELECT pg_backend_pid()") }, pid)
        _ = try a.insertUser(username: "after", passwordHash: nil, roles: ["admin"], actor: "t")
        XCTAssertEqual(try b.user(named: "after")?.roles, ["admin"])
    }

    /// TLS as libpq's `sslmode`: `require` encrypts; `verify-ca` and `verify-full` check the
    /// certificate against the given CA (and the host name); a certificate the trusted CAs do
    /// not know, an address with `verify-full` or a missing CA file is refused at open.
    func testTLSModesEncryptAndCheckTheServer() throws {
        guard let base = Self.postgresURL, let ca = ProcessInfo.processInfo.environment["STREAMHUB_TEST_POSTGRES_CA"] else {
            throw XCTSkip("no PostgreSQL server with TLS (STREAMHUB_TEST_POSTGRES_URL, STREAMHUB_TEST_POSTGRES_CA)")
        }
        let url = try PostgresURL(parsing: base)
        let byName = "postgres://\(url.username)@localhost:\(url.port)/\(url.database)"
        func encrypted(_ text: String) throws -> Bool {
            let store = try HubStore(postgres: text)
            return try store.backend.read { try $0.rows("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").first?.bool(0) } ?? false
        }
        XCTAssertFalse(try encrypted(base))
        XCTAssertTrue(try encrypted(base + "?sslmode=require"))
        XCTAssertTrue(try encrypted(base + "?sslmode=verify-ca&sslrootcert=\(ca)"))
        XCTAssertTrue(try encrypted(byName + "?sslmode=verify-full&sslrootcert=\(ca)"))
        for refused in [
            byName + "?sslmode=verify-full",  // the system's CAs do not know the test certificate
            base + "?sslmode=verify-full&sslrootcert=\(ca)",  // 127.0.0.1: no name to check
            base + "?sslmode=require&sslrootcert=/nonexistent/ca.pem",
        ] {
            XCTAssertThrowsError(try HubStore(postgres: refused), refused) {
                guard case .open = $0 as? StoreError else { return XCTFail("\($0)") }
            }
        }
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
