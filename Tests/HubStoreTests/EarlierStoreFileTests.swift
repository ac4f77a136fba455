import Fixtures
import Foundation
import HubCore
import HubStore
import XCTest

/// A store file as the previous version wrote it (GRDB records, `Tests/Fixtures/store`) opens
/// with the current code: every table reads back, logins and keys still check, and writes work.
final class EarlierStoreFileTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("earlier-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Fixtures.data("store/streamhub-c77c5ea.sqlite").write(to: URL(fileURLWithPath: dir + "/streamhub.sqlite"))
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// A minimal view of a stored alert rule (its full type belongs to the hub).
    struct Rule: Codable, Equatable {
        var name: String
        var kind: String
    }

    func testAFileOfTheGRDBRecordVersionReadsAndWritesUnchanged() throws {
        let store = try HubStore(dataDirectory: dir)
        XCTAssertThrowsError(try store.requireCurrentSchema(), "v9 is new")
        try store.migrate()  // as the hub does on start
        try store.requireCurrentSchema()
        XCTAssertEqual(try store.auditHead(), 13, "the control version starts at the newest audit entry")
        XCTAssertEqual(try store.integrityProblems(), [])
        XCTAssertEqual(try store.roles().map(\.id), ["admin", "analyst", "anonymous", "premium", "trader", "viewer"])
        XCTAssertFalse(try XCTUnwrap(try store.role("admin")).grants.scopes.isEmpty)

        let carol = try XCTUnwrap(try store.credentials(username: "CAROL"))
        XCTAssertEqual(carol.account.displayName, "Carol")
        XCTAssertEqual(carol.account.roles, ["viewer"])
        XCTAssertTrue(try XCTUnwrap(carol.passwordHash).hasPrefix("pbkdf2-sha256$"))
        XCTAssertEqual(carol.account.createdAt.timeIntervalSince1970, 1_796_612_846.351, accuracy: 0.0005)
        let key = try XCTUnwrap(try store.apiKey(id: "h9cwbishzzes"))
        XCTAssertEqual(key.info.userId, carol.account.id)
        XCTAssertEqual(key.info.expiresAt?.timeIntervalSince1970 ?? 0, 1_804_388_846.353, accuracy: 0.0005)
        XCTAssertEqual(key.digest.count, 64)

        let admin = try XCTUnwrap(try store.user(named: "admin"))
        XCTAssertEqual(admin.roles, ["admin"])
        XCTAssertEqual(try store.apiKeys(userID: admin.id).map(\.name), ["bootstrap"])
        XCTAssertNil(try store.apiKeys(userID: admin.id).first?.expiresAt)
        XCTAssertEqual(try store.enabledAdminCount(), 1)

        XCTAssertEqual(try store.flagSet().features.map(\.name), ["beta-features", "premium-data", "sharp-books-v2"])
        XCTAssertEqual(try store.propertyCount(), 119)
        XCTAssertEqual(try store.properties().count, 119, "every stored definition decodes")
        XCTAssertEqual(try store.mappings().map(\.id), ["BTC-USD", "EPL-ARS-CHE", "ETH-USD", "FED-DEC-CUT"])
        XCTAssertTrue(try store.mappingsSeeded())
        XCTAssertEqual(try store.alertRules(as: [Rule].self)?.first, Rule(name: "feeds", kind: "sourceNotLive"))
        XCTAssertEqual(try store.auditLog(limit: 100).count, 13)

        // Writes on the old file: a new user, a flag change, a role taken away.
        let dave = try store.insertUser(username: "dave", passwordHash: nil, roles: ["trader"], actor: "test")
        XCTAssertEqual(try store.user(named: "Dave")?.id, dave.id)
        XCTAssertThrowsError(try store.insertUser(username: "Carol", passwordHash: nil, roles: [], actor: "test")) {
            XCTAssertEqual($0 as? StoreError, .duplicate("user 'Carol'"))
        }
        var flag = try XCTUnwrap(try store.flagSet().features.first)
        flag.enabled.toggle()
        try store.updateFeature(flag, actor: "test")
        XCTAssertEqual(try store.flagSet().features.first?.enabled, flag.enabled)
        XCTAssertEqual(try store.removeRole(userID: carol.account.id, role: "viewer", actor: "test").roles, [])
        XCTAssertEqual(try store.auditHead(), 16, "three audited changes")
        XCTAssertEqual(try store.integrityProblems(), [])
    }
}
