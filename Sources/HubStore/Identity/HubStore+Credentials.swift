import Foundation

/// A stored API key with what is needed to check one presented to the hub.
public struct StoredAPIKey: Sendable {
    public let info: APIKeyInfo
    /// SHA-256 (hex) of the secret.
    public let digest: String
}

extension HubStore {
    // MARK: API keys

    /// Stores a new key's digest (the caller shows the key once and forgets it). `maxActive`:
    /// refused (`.refused`) when the user already holds that many keys neither revoked nor expired.
    public func insertAPIKey(
        id: String, userID: Int64, name: String, digest: String, expiresAt: Date?, maxActive: Int = .max, actor: String, now: Date = Date()
    ) throws(StoreError) -> APIKeyInfo {
        try writing { db in
            try createAPIKey(id: id, userID: userID, name: name, digest: digest, expiresAt: expiresAt, maxActive: maxActive, actor: actor, now: now, db)
        }
    }

    func createAPIKey(
        id: String, userID: Int64, name: String, digest: String, expiresAt: Date?, maxActive: Int, actor: String, now: Date, _ db: any SQLTransaction
    ) throws -> APIKeyInfo {
        guard try UserRow.exists(userID, db) else { throw StoreError.notFound("user \(userID)") }
        if try APIKeyRow.find(id, db) != nil { throw StoreError.duplicate("api key '\(id)'") }
        let active = Int(
            try db.integer(
                "SELECT COUNT(*) FROM api_key WHERE userId = ? AND revokedAt IS NULL AND (expiresAt IS NULL OR expiresAt > ?)", userID, now))
        guard active < maxActive else {
            throw StoreError.refused("user \(userID) holds \(active) API keys, the most allowed; revoke one first")
        }
        let row = APIKeyRow(id: id, userId: userID, name: name, digest: digest, createdAt: now, lastUsedAt: nil, revokedAt: nil, expiresAt: expiresAt)
        try row.insert(db)
        try audit(db, actor: actor, action: "key.create", target: "\(userID)", detail: ["key": id, "name": name], at: now)
        return row.info
    }

    public func apiKey(id: String) throws(StoreError) -> StoredAPIKey? {
        try reading { db in try APIKeyRow.find(id, db).map { StoredAPIKey(info: $0.info, digest: $0.digest) } }
    }

    public func apiKeys(userID: Int64) throws(StoreError) -> [APIKeyInfo] {
        try reading { db in try db.rows("\(APIKeyRow.select) WHERE userId = ? ORDER BY createdAt, id", userID).map { try APIKeyRow($0).info } }
    }

    public func touchAPIKey(id: String, now: Date = Date()) throws(StoreError) {
        _ = try writing { db in try db.execute("UPDATE api_key SET lastUsedAt = ? WHERE id = ?", now, id) }
    }

    public func revokeAPIKey(id: String, userID: Int64, actor: String, now: Date = Date()) throws(StoreError) {
        try writing { db in
            guard let row = try APIKeyRow.find(id, db), row.userId == userID else { throw StoreError.notFound("api key '\(id)' of user \(userID)") }
            guard row.revokedAt == nil else { return }
            try db.execute("UPDATE api_key SET revokedAt = ? WHERE id = ?", now, id)
            try audit(db, actor: actor, action: "key.revoke", target: "\(userID)", detail: ["key": id], at: now)
        }
    }

    // MARK: Refresh tokens

    public func insertRefreshToken(id: String, userID: Int64, digest: String, expiresAt: Date, now: Date = Date()) throws(StoreError) {
        try writing { db in
            try RefreshTokenRow(id: id, userId: userID, digest: digest, createdAt: now, expiresAt: expiresAt, revokedAt: nil).insert(db)
        }
    }

    /// Spends a refresh token and stores its successor in one transaction; returns the user.
    /// An unknown id or wrong secret is `.notFound`; an expired one `.refused`. A token spent
    /// before is a replay (a stolen copy): every refresh token of that user is revoked.
    public func rotateRefreshToken(
        id: String, digest: String, successor: (id: String, digest: String, expiresAt: Date), now: Date = Date()
    ) throws(StoreError) -> Int64 {
        // The revocation on replay must survive the refusal, so the outcome leaves the transaction as a value.
        let outcome: Result<Int64, StoreError> = try writing { db in
            guard let row = try RefreshTokenRow.find(id, db), constantTimeEqual(row.digest, digest) else {
                return .failure(.notFound("refresh token"))
            }
            if row.revokedAt != nil {
                try Sessions.revokeRefreshTokens(userID: row.userId, at: now, db)
                try audit(db, actor: "system", action: "refresh.replay", target: "\(row.userId)", detail: ["token": id], at: now)
                return .failure(.refused("refresh token was already used; every session of this user must log in again"))
            }
            guard row.expiresAt > now else { return .failure(.refused("refresh token expired")) }
            guard let user = try UserRow.find(row.userId, db), !user.disabled else { return .failure(.refused("account disabled")) }
            try db.execute("UPDATE refresh_token SET revokedAt = ? WHERE id = ?", now, id)
            try RefreshTokenRow(id: successor.id, userId: row.userId, digest: successor.digest, createdAt: now, expiresAt: successor.expiresAt, revokedAt: nil)
                .insert(db)
            return .success(row.userId)
        }
        return try outcome.get()
    }
}

/// Same-length strings compared without an early exit.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in x.indices { diff |= x[i] ^ y[i] }
    return diff == 0
}
