import Foundation
import HubStore
import XCTest

/// The store contract: each test runs its body on every backend — a SQLite file in a temporary
/// directory and, when the run has a PostgreSQL server (`STREAMHUB_TEST_POSTGRES_URL`, which
/// `scripts/test` starts and sets), a fresh schema of it. Failures name the backend.
class StoreContractCase: XCTestCase {
    /// The store the running body works on (also handed to it).
    var store: HubStore!
    private var directories: [String] = []
    private var urls: [ObjectIdentifier: String] = [:]
    private var backend = ""

    /// The run's PostgreSQL server, if any.
    static var postgresURL: String? {
        guard let url = ProcessInfo.processInfo.environment["STREAMHUB_TEST_POSTGRES_URL"], !url.isEmpty else { return nil }
        return url
    }

    /// The run's PostgreSQL URL; skips the test when the run has no server (`scripts/test`
    /// always starts one).
    func requirePostgres() throws -> String {
        guard let url = Self.postgresURL else { throw XCTSkip("no PostgreSQL server (STREAMHUB_TEST_POSTGRES_URL)") }
        return url
    }

    /// Called on each new store after migrating (seed what the tests of a class assume).
    func prepare(_ store: HubStore) throws {}

    /// Runs `body` on a new store of each backend (migrated and prepared unless `migrated` is false).
    func eachStore(migrated: Bool = true, _ body: (HubStore) throws -> Void) throws {
        var stores = [try sqliteStore()]
        if Self.postgresURL != nil { stores.append(try postgresStore()) }
        for s in stores {
            backend = s.dialect.rawValue
            defer {
                backend = ""
                store = nil
            }
            store = s
            if migrated {
                try s.migrate()
                try prepare(s)
            }
            try body(s)
        }
    }

    func sqliteStore() throws -> HubStore {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hubstore-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        directories.append(dir)
        return try HubStore(dataDirectory: dir)
    }

    /// A store on a schema of its own (created on connect), so tests never see each other's rows.
    func postgresStore(schema: String = "t_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")) throws -> HubStore {
        let base = try XCTUnwrap(Self.postgresURL)
        let url = base + (base.contains("?") ? "&" : "?") + "schema=\(schema)"
        let s = try HubStore(postgres: url)
        urls[ObjectIdentifier(s)] = url
        return s
    }

    /// The same database opened again, as a restarted hub (or another node) would.
    func reopen(_ s: HubStore) throws -> HubStore {
        if let url = urls[ObjectIdentifier(s)] { return try HubStore(postgres: url) }
        return try HubStore(path: s.location)
    }

    override func recordFailure(withDescription description: String, inFile filePath: String, atLine lineNumber: Int, expected: Bool) {
        super.recordFailure(
            withDescription: backend.isEmpty ? description : "[\(backend)] \(description)", inFile: filePath, atLine: lineNumber, expected: expected)
    }

    override func tearDown() {
        for d in directories { try? FileManager.default.removeItem(atPath: d) }
        directories = []
        urls = [:]
        super.tearDown()
    }
}
