import Foundation
import HubCore
import HubStore
import XCTest

/// Users, roles, keys, refresh tokens and the audit log, on each backend (`StoreContractCase`).
final class IdentityStoreTests: StoreContractCase {

    let viewer = Role(id: "viewer", grants: Grants(channels: [ChannelRule(.allow, "ticker.*.*")], tiers: [.public], scopes: ["properties:read"]))
    let admin = Role(id: "admin", grants: Grants(channels: [ChannelRule(.allow, "*.*.*")], tiers: PropertyTier.allCases, scopes: ["*"]))
    let anonymous = Role(id: "anonymous")

    override func prepare(_ store: HubStore) throws {
        XCTAssertEqual(try store.seedRoles([viewer, admin, anonymous]), 3)
        XCTAssertEqual(try store.seedRoles([viewer]), 0, "seeding never overwrites")
    }

    func testUsersWithRolesRoundTripAndUsernamesAreUniqueIgnoringCase() throws {
        try eachStore { _ in
            let u = try store.insertUser(username: "Alice", displayName: "A", passwordHash: "h", roles: ["viewer", "viewer"], actor: "user:0")
            XCTAssertEqual(u.roles, ["viewer"])
            XCTAssertTrue(u.hasPassword)
            XCTAssertEqual(try store.user(id: u.id)?.username, "Alice")
            XCTAssertEqual(try store.user(id: u.id)?.displayName, "A")
            XCTAssertEqual(try store.user(named: "alice")?.id, u.id)
            XCTAssertEqual(try store.credentials(username: "ALICE")?.passwordHash, "h")
            XCTAssertThrowsError(try store.insertUser(username: "alice", passwordHash: nil, roles: [], actor: "t")) {
                XCTAssertEqual($0 as? StoreError, .duplicate("user 'alice'"))
            }
            XCTAssertThrowsError(try store.insertUser(username: "bob", passwordHash: nil, roles: ["ghost"], actor: "t")) {
                XCTAssertEqual($0 as? StoreError, .notFound("role 'ghost'"))
            }
            XCTAssertNil(try store.user(named: "bob"), "a failed insert leaves nothing behind")

            let bob = try store.insertUser(username: "bob", passwordHash: nil, roles: [], actor: "t")
            let page = try store.users(limit: 1, offset: 1)
            XCTAssertEqual(page.total, 2)
            XCTAssertEqual(page.users.map(\.username), ["bob"])
            XCTAssertFalse(bob.hasPassword)
        }
    }

    func testRoleAssignmentAndDisableShowInTheSnapshot() throws {
        try eachStore { _ in
            let root = try store.insertUser(username: "root", passwordHash: nil, roles: ["admin"], actor: "t")
            let u = try store.insertUser(username: "carol", passwordHash: nil, roles: [], actor: "t")
            XCTAssertEqual(try store.assignRole(userID: u.id, role: "admin", actor: "t").roles, ["admin"])
            XCTAssertEqual(try store.assignRole(userID: u.id, role: "admin", actor: "t").roles, ["admin"], "assigning twice is no change")
            XCTAssertThrowsError(try store.assignRole(userID: u.id, role: "ghost", actor: "t"))
            XCTAssertThrowsError(try store.assignRole(userID: 999, role: "admin", actor: "t")) { XCTAssertEqual($0 as? StoreError, .notFound("user 999")) }
            _ = try store.assignRole(userID: u.id, role: "viewer", actor: "t")
            var snap = try store.identitySnapshot()
            XCTAssertEqual(snap.users[u.id]?.roles, ["admin", "viewer"])
            XCTAssertEqual(snap.users[u.id]?.enabled, true)
            XCTAssertEqual(snap.roles.map(\.id), ["admin", "anonymous", "viewer"])

            XCTAssertEqual(try store.removeRole(userID: u.id, role: "admin", actor: "t").roles, ["viewer"])
            XCTAssertThrowsError(try store.removeRole(userID: u.id, role: "admin", actor: "t")) {
                XCTAssertEqual($0 as? StoreError, .notFound("role 'admin' on user \(u.id)"))
            }
            let disabled = try store.updateUser(id: u.id, displayName: .some("C"), disabled: true, actor: "t")
            XCTAssertTrue(disabled.disabled)
            XCTAssertEqual(disabled.displayName, "C")
            snap = try store.identitySnapshot()
            XCTAssertEqual(snap.users[u.id]?.enabled, false)
            // The last enabled admin keeps its role and cannot be disabled.
            XCTAssertThrowsError(try store.removeRole(userID: root.id, role: "admin", actor: "t")) {
                XCTAssertEqual($0 as? StoreError, .refused("user \(root.id) is the last enabled admin"))
            }
            XCTAssertThrowsError(try store.updateUser(id: root.id, disabled: true, actor: "t"))
            XCTAssertEqual(try store.enabledAdminCount(), 1)
        }
    }

    func testRolesCannotBeDeletedWhileAssignedOrWhenBuiltIn() throws {
        try eachStore { _ in
            let u = try store.insertUser(username: "dan", passwordHash: nil, roles: ["viewer"], actor: "t")
            XCTAssertThrowsError(try store.deleteRole("viewer", actor: "t")) {
                XCTAssertEqual($0 as? StoreError, .conflict("role 'viewer' is assigned to 1 user(s); remove it from them first"))
            }
            XCTAssertThrowsError(try store.deleteRole("admin", actor: "t")) { guard case .refused? = $0 as? StoreError else { return XCTFail("\($0)") } }
            XCTAssertThrowsError(try store.deleteRole("ghost", actor: "t")) { XCTAssertEqual($0 as? StoreError, .notFound("role 'ghost'")) }
            _ = try store.removeRole(userID: u.id, role: "viewer", actor: "t")
            try store.deleteRole("viewer", actor: "t")
            XCTAssertNil(try store.role("viewer"))

            var edited = admin
            edited.description = "ops"
            try store.updateRole(edited, actor: "t")
            XCTAssertEqual(try store.role("admin")?.description, "ops")
            XCTAssertThrowsError(try store.updateRole(Role(id: "ghost"), actor: "t"))
            XCTAssertThrowsError(try store.insertRole(admin, actor: "t")) { XCTAssertEqual($0 as? StoreError, .duplicate("role 'admin'")) }
        }
    }

    func testAPIKeysKeepOnlyADigestAndCanBeRevoked() throws {
        try eachStore { _ in
            let u = try store.insertUser(username: "bot", passwordHash: nil, roles: [], actor: "t")
            let info = try store.insertAPIKey(id: "k1", userID: u.id, name: "ci", digest: "d1", expiresAt: nil, actor: "t")
            XCTAssertEqual(info.name, "ci")
            XCTAssertEqual(try store.apiKey(id: "k1")?.digest, "d1")
            XCTAssertThrowsError(try store.insertAPIKey(id: "k1", userID: u.id, name: "x", digest: "d", expiresAt: nil, actor: "t"))
            try store.touchAPIKey(id: "k1")
            XCTAssertNotNil(try store.apiKeys(userID: u.id).first?.lastUsedAt)
            try store.revokeAPIKey(id: "k1", userID: u.id, actor: "t")
            XCTAssertNotNil(try store.apiKey(id: "k1")?.info.revokedAt)
            XCTAssertThrowsError(try store.revokeAPIKey(id: "k1", userID: u.id + 1, actor: "t"), "another user's key is not found")
            // The cap counts keys neither revoked nor expired.
            let past = Date().addingTimeInterval(-1), future = Date().addingTimeInterval(3600)
            _ = try store.insertAPIKey(id: "old", userID: u.id, name: "x", digest: "d", expiresAt: past, maxActive: 1, actor: "t")
            _ = try store.insertAPIKey(id: "k2", userID: u.id, name: "x", digest: "d", expiresAt: future, maxActive: 1, actor: "t")
            XCTAssertThrowsError(try store.insertAPIKey(id: "k3", userID: u.id, name: "x", digest: "d", expiresAt: future, maxActive: 1, actor: "t")) {
                guard case .refused? = $0 as? StoreError else { return XCTFail("\($0)") }
            }
            XCTAssertEqual(try store.apiKey(id: "k2")?.info.expiresAt?.timeIntervalSince1970 ?? 0, future.timeIntervalSince1970, accuracy: 0.001)
            // A new password revokes every key.
            _ = try store.updateUser(id: u.id, passwordHash: "h", actor: "t")
            XCTAssertNotNil(try store.apiKey(id: "k2")?.info.revokedAt)
            // No column holds anything but the digest.
            if store.dialect == .sqlite { XCTAssertFalse(try String(contentsOfFile: store.location, encoding: .isoLatin1).contains("shk_")) }
        }
    }

    func testRefreshTokensRotateAndAReplayRevokesEveryTokenOfTheUser() throws {
        try eachStore { _ in
            let u = try store.insertUser(username: "erin", passwordHash: nil, roles: [], actor: "t")
            let later = Date().addingTimeInterval(3600)
            try store.insertRefreshToken(id: "r1", userID: u.id, digest: "a", expiresAt: later)
            try store.insertRefreshToken(id: "other", userID: u.id, digest: "o", expiresAt: later)
            XCTAssertEqual(try store.rotateRefreshToken(id: "r1", digest: "a", successor: ("r2", "b", later)), u.id)
            XCTAssertThrowsError(try store.rotateRefreshToken(id: "r2", digest: "wrong", successor: ("r3", "c", later))) {
                XCTAssertEqual($0 as? StoreError, .notFound("refresh token"))
            }
            // r1 again: a replay. Every token of erin is revoked, including r2 and "other".
            XCTAssertThrowsError(try store.rotateRefreshToken(id: "r1", digest: "a", successor: ("r4", "d", later))) {
                guard case .refused? = $0 as? StoreError else { return XCTFail("\($0)") }
            }
            XCTAssertThrowsError(try store.rotateRefreshToken(id: "r2", digest: "b", successor: ("r5", "e", later)))
            XCTAssertThrowsError(try store.rotateRefreshToken(id: "other", digest: "o", successor: ("r6", "f", later)))

            try store.insertRefreshToken(id: "old", userID: u.id, digest: "x", expiresAt: Date().addingTimeInterval(-1))
            XCTAssertThrowsError(try store.rotateRefreshToken(id: "old", digest: "x", successor: ("r7", "g", later))) {
                XCTAssertEqual($0 as? StoreError, .refused("refresh token expired"))
            }
            // Disabling the user, or a new password, ends its refresh sessions.
            try store.insertRefreshToken(id: "fresh", userID: u.id, digest: "y", expiresAt: later)
            _ = try store.updateUser(id: u.id, passwordHash: "new", actor: "t")
            XCTAssertThrowsError(try store.rotateRefreshToken(id: "fresh", digest: "y", successor: ("r8", "h", later)))
            try store.insertRefreshToken(id: "fresh2", userID: u.id, digest: "z", expiresAt: later)
            _ = try store.updateUser(id: u.id, disabled: true, actor: "t")
            XCTAssertThrowsError(try store.rotateRefreshToken(id: "fresh2", digest: "z", successor: ("r9", "i", later)))
        }
    }

    /// Seeds write only into a store without them; the first admin comes with its key, once.
    func testSeedsAndTheFirstAdminAreWrittenOnce() throws {
        try eachStore { _ in
            let set = FlagSet(features: [FeatureFlag(name: "a", enabled: true)])
            XCTAssertTrue(try store.seedFlags(set))
            XCTAssertFalse(try store.seedFlags(FlagSet(features: [FeatureFlag(name: "b", enabled: true)])))
            XCTAssertEqual(try store.flagSet().features.map(\.name), ["a"])
            XCTAssertEqual(try store.seedAlertRules(["first"]), ["first"])
            XCTAssertEqual(try store.seedAlertRules(["second"]), ["first"], "a stored set wins over the seed")
            let admin = try XCTUnwrap(try store.insertAdmin(username: "admin", displayName: "Administrator", key: ("k1", "d1"), actor: "system"))
            XCTAssertEqual(admin.roles, ["admin"])
            XCTAssertEqual(try store.apiKeys(userID: admin.id).map(\.name), ["bootstrap"])
            XCTAssertNil(try store.apiKeys(userID: admin.id).first?.expiresAt)
            XCTAssertNil(try store.insertAdmin(username: "ADMIN", displayName: "Administrator", key: ("k2", "d2"), actor: "system"))
            XCTAssertNil(try store.apiKey(id: "k2"))
            XCTAssertEqual(
                try store.auditLog(limit: 100).filter { $0.action.hasSuffix(".seed") && !$0.action.hasPrefix("role") }.map(\.action),
                ["alertRules.seed", "feature.seed"])
        }
    }

    func testEveryChangeIsAudited() throws {
        try eachStore { _ in
            let before = try store.auditHead()
            let u = try store.insertUser(username: "frank", passwordHash: "secret-hash", roles: ["viewer"], actor: "user:1")
            _ = try store.assignRole(userID: u.id, role: "admin", actor: "user:1")
            _ = try store.updateUser(id: u.id, passwordHash: "new-hash", disabled: false, actor: "cli")
            XCTAssertEqual(try store.auditHead(), before + 3)
            let log = try store.auditLog(limit: 3)
            XCTAssertEqual(log.map(\.action), ["user.update", "user.role.add", "user.create"])
            XCTAssertEqual(log.map(\.actor), ["cli", "user:1", "user:1"])
            XCTAssertTrue(log[0].detail.contains("\"passwordChanged\":true"), log[0].detail)
            XCTAssertFalse(log.contains { $0.detail.contains("hash") }, "no password hash in the audit log")
            XCTAssertEqual(try store.auditLog(limit: 10, before: log[1].id).first?.id, log[2].id)
            let seeded = try store.auditLog(limit: 100).filter { $0.action == "role.seed" }
            XCTAssertEqual(seeded.count, 3)
        }
    }
}
