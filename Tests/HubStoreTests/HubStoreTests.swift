import Foundation
import HubCore
import HubStore
import XCTest

/// Migrations and properties on each backend (`StoreContractCase`); the SQLite file's mode.
final class HubStoreTests: StoreContractCase {
    private let bid = PropertyDefinition(
        name: "bid", type: .decimal, unit: "USD", description: "Best bid.", tier: .public, sources: ["deribit"], rules: ValidationRules(min: 0))
    private let mid = PropertyDefinition(
        name: "mid", type: .decimal, description: "Mid.", tier: .public, derivedFrom: ["bid"], formula: "bid", formulaVersion: 2)

    /// Password hashes and key digests live here: owner-only, side files included.
    func testTheStoreFileIsReadableByItsOwnerOnly() throws {
        let store = try sqliteStore()
        try store.migrate()
        _ = try store.userCount()
        for file in [store.location, store.location + "-wal", store.location + "-shm"] where FileManager.default.fileExists(atPath: file) {
            let mode = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
            XCTAssertEqual(mode & 0o777, 0o600, file)
        }
    }

    func testMigrationsGoUpAndDown() throws {
        try eachStore(migrated: false) { store in
            if store.dialect == .sqlite { XCTAssertTrue(store.location.hasSuffix("/streamhub.sqlite")) }
            XCTAssertEqual(try store.migrationStatus().map(\.applied), [false, false, false, false, false, false, false, false, false])
            XCTAssertThrowsError(try store.requireCurrentSchema())
            try store.migrate()
            XCTAssertEqual(
                try store.migrationStatus().map(\.id),
                [
                    "v1-properties", "v2-identity", "v3-flags", "v4-mappings", "v5-usage", "v6-alert-rules", "v7-api-key-expiry", "v8-password-setup",
                    "v9-control-version",
                ])
            XCTAssertEqual(try store.migrationStatus().map(\.applied), [true, true, true, true, true, true, true, true, true])
            try store.requireCurrentSchema()
            try store.insertProperties([bid])
            XCTAssertEqual(try store.propertyCount(), 1)

            try store.insertMapping(
                InstrumentMapping(id: "M", kind: .crypto, members: [.init(venue: "a", instrument: "x"), .init(venue: "b", instrument: "y")]), actor: "test")
            XCTAssertEqual(try store.mappings().map(\.id), ["M"])
            try store.recordUsage(
                [UsageRow(key: UsageKey(.channel, "ticker.x.Y", user: "anonymous", roles: ",anonymous,"), counters: UsageCounters())], at: 120)
            try store.saveAlertRules(["a"], actor: "test")
            XCTAssertEqual(try store.alertRules(as: [String].self), ["a"])
            let user = try store.insertUser(username: "bot", passwordHash: nil, roles: [], actor: "test")
            _ = try store.insertAPIKey(id: "k", userID: user.id, name: "x", digest: "d", expiresAt: Date(), actor: "test")
            let head = try store.auditHead()
            XCTAssertEqual(try store.rollbackLast(), "v9-control-version")
            XCTAssertEqual(try store.rollbackLast(), "v8-password-setup")
            XCTAssertEqual(try store.rollbackLast(), "v7-api-key-expiry")
            try store.migrate()  // the column comes back empty; the key stayed
            XCTAssertNotNil(try store.apiKey(id: "k"))
            XCTAssertNil(try store.apiKey(id: "k")?.info.expiresAt)
            XCTAssertEqual(try store.auditHead(), head, "the version starts again at the newest audit entry")
            XCTAssertEqual(try store.rollbackLast(), "v9-control-version")
            XCTAssertEqual(try store.rollbackLast(), "v8-password-setup")
            XCTAssertEqual(try store.rollbackLast(), "v7-api-key-expiry")
            XCTAssertEqual(try store.rollbackLast(), "v6-alert-rules")
            XCTAssertThrowsError(try store.alertRules(as: [String].self), "the alert rule table is gone")
            XCTAssertEqual(try store.rollbackLast(), "v5-usage")
            XCTAssertThrowsError(try store.recordUsage([], at: 0), "the usage table is gone")
            XCTAssertEqual(try store.rollbackLast(), "v4-mappings")
            XCTAssertThrowsError(try store.mappingCount(), "the mapping table is gone")
            XCTAssertEqual(try store.rollbackLast(), "v3-flags")
            XCTAssertThrowsError(try store.featureCount(), "the flag tables are gone")
            XCTAssertEqual(try store.rollbackLast(), "v2-identity")
            XCTAssertThrowsError(try store.userCount(), "the identity tables are gone")
            XCTAssertEqual(try store.propertyCount(), 1, "properties stay")
            XCTAssertEqual(try store.rollbackLast(), "v1-properties")
            XCTAssertEqual(try store.migrationStatus().map(\.applied), [false, false, false, false, false, false, false, false, false])
            XCTAssertThrowsError(try store.propertyCount(), "the table is gone")
            XCTAssertNil(try store.rollbackLast())

            try store.migrate()  // up again: an empty table
            XCTAssertEqual(try store.propertyCount(), 0)
            let reopened = try reopen(store)
            XCTAssertEqual(try reopened.migrationStatus().map(\.applied), [true, true, true, true, true, true, true, true, true])
            XCTAssertEqual(try reopened.integrityProblems(), [])
        }
    }

    func testPropertiesRoundTripWithTheirListsAndRules() throws {
        try eachStore { store in
            try store.insertProperties([bid, mid], now: Date(timeIntervalSince1970: 1000))
            XCTAssertEqual(try store.properties(), [bid, mid])
            XCTAssertThrowsError(try store.insertProperties([bid])) { XCTAssertEqual($0 as? StoreError, .duplicate("property 'bid'")) }
            var changed = bid
            changed.rules.max = 1e9
            changed.description = "The best bid."
            try store.updateProperty(changed)
            XCTAssertEqual(try store.properties().first, changed)
            var ghost = bid
            ghost.name = "ghost"
            XCTAssertThrowsError(try store.updateProperty(ghost)) { XCTAssertEqual($0 as? StoreError, .notFound("property 'ghost'")) }
        }
    }

    func testUnwritableLocationIsAnOpenError() {
        XCTAssertThrowsError(try HubStore(path: "/proc/nope/streamhub.sqlite")) {
            guard case .open = $0 as? StoreError else { return XCTFail("\($0)") }
        }
    }
}
