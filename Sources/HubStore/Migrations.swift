import GRDB

/// One schema change and its inverse (`streamhub migrate down` rolls back the last applied).
struct Migration: Sendable {
    let id: String
    let up: @Sendable (Database) throws -> Void
    let down: @Sendable (Database) throws -> Void
}

/// Every migration, in order. Never edit an applied one: add a new one.
enum Migrations {
    static let all: [Migration] = [
        Migration(
            id: "v1-properties",
            up: { db in
                try db.execute(
                    sql: """
                        CREATE TABLE property (
                            name TEXT PRIMARY KEY NOT NULL,
                            type TEXT NOT NULL,
                            unit TEXT,
                            description TEXT NOT NULL,
                            tier TEXT NOT NULL,
                            sources TEXT NOT NULL,       -- JSON array
                            rules TEXT NOT NULL,         -- JSON object
                            flag TEXT,
                            derivedFrom TEXT,            -- JSON array, derived properties only
                            formula TEXT,
                            formulaVersion INTEGER,
                            createdAt DATETIME NOT NULL,
                            updatedAt DATETIME NOT NULL
                        )
                        """)
            },
            down: { db in try db.execute(sql: "DROP TABLE property") }),
        Migration(
            id: "v2-identity",
            up: { db in
                try db.execute(
                    sql: """
                        CREATE TABLE role (
                            id TEXT PRIMARY KEY NOT NULL,
                            description TEXT NOT NULL,
                            grants TEXT NOT NULL,        -- JSON object (channels, tiers, properties, scopes)
                            createdAt DATETIME NOT NULL,
                            updatedAt DATETIME NOT NULL
                        );
                        CREATE TABLE user (
                            id INTEGER PRIMARY KEY AUTOINCREMENT,
                            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                            displayName TEXT,
                            passwordHash TEXT,           -- NULL: API keys only
                            disabled BOOLEAN NOT NULL DEFAULT 0,
                            createdAt DATETIME NOT NULL,
                            updatedAt DATETIME NOT NULL
                        );
                        CREATE TABLE user_role (
                            userId INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                            roleId TEXT NOT NULL REFERENCES role(id) ON DELETE RESTRICT,
                            assignedAt DATETIME NOT NULL,
                            PRIMARY KEY (userId, roleId)
                        );
                        CREATE TABLE api_key (
                            id TEXT PRIMARY KEY NOT NULL,
                            userId INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                            name TEXT NOT NULL,
                            digest TEXT NOT NULL,        -- SHA-256 of the secret; the key itself is never stored
                            createdAt DATETIME NOT NULL,
                            lastUsedAt DATETIME,
                            revokedAt DATETIME
                        );
                        CREATE INDEX api_key_user ON api_key(userId);
                        CREATE TABLE refresh_token (
                            id TEXT PRIMARY KEY NOT NULL,
                            userId INTEGER NOT NULL REFERENCES user(id) ON DELETE CASCADE,
                            digest TEXT NOT NULL,
                            createdAt DATETIME NOT NULL,
                            expiresAt DATETIME NOT NULL,
                            revokedAt DATETIME
                        );
                        CREATE INDEX refresh_token_user ON refresh_token(userId);
                        CREATE TABLE audit (
                            id INTEGER PRIMARY KEY AUTOINCREMENT,
                            at DATETIME NOT NULL,
                            actor TEXT NOT NULL,         -- "user:<id>", "cli", "system"
                            action TEXT NOT NULL,        -- "user.create", "role.update", …
                            target TEXT NOT NULL,
                            detail TEXT NOT NULL         -- JSON object
                        );
                        """)
            },
            down: { db in
                try db.execute(sql: "DROP TABLE audit; DROP TABLE refresh_token; DROP TABLE api_key; DROP TABLE user_role; DROP TABLE user; DROP TABLE role")
            }),
        Migration(
            id: "v3-flags",
            up: { db in
                try db.execute(
                    sql: """
                        CREATE TABLE feature (
                            name TEXT PRIMARY KEY NOT NULL,
                            definition TEXT NOT NULL,    -- JSON, Unleash client-features shape
                            createdAt DATETIME NOT NULL,
                            updatedAt DATETIME NOT NULL
                        );
                        CREATE TABLE segment (
                            id INTEGER PRIMARY KEY NOT NULL,
                            definition TEXT NOT NULL,    -- JSON
                            updatedAt DATETIME NOT NULL
                        );
                        """)
            },
            down: { db in try db.execute(sql: "DROP TABLE segment; DROP TABLE feature") }),
        Migration(
            id: "v4-mappings",
            up: { db in
                try db.execute(
                    sql: """
                        CREATE TABLE mapping (
                            id TEXT PRIMARY KEY NOT NULL,
                            definition TEXT NOT NULL,    -- JSON: kind, description, members
                            createdAt DATETIME NOT NULL,
                            updatedAt DATETIME NOT NULL
                        )
                        """)
            },
            down: { db in try db.execute(sql: "DROP TABLE mapping") }),
        Migration(
            id: "v5-usage",
            up: { db in
                try db.execute(
                    sql: """
                        CREATE TABLE usage (
                            granularity TEXT NOT NULL,   -- minute, hour, day
                            bucket INTEGER NOT NULL,     -- start, seconds since the epoch
                            dimension TEXT NOT NULL,     -- property, channel, route, user
                            key TEXT NOT NULL,
                            user TEXT NOT NULL,          -- "" on property rows (counted by role only)
                            roles TEXT NOT NULL,         -- ",a,b,"
                            messages INTEGER NOT NULL DEFAULT 0,
                            bytes INTEGER NOT NULL DEFAULT 0,
                            subscriptions INTEGER NOT NULL DEFAULT 0,
                            sessions INTEGER NOT NULL DEFAULT 0,
                            connectSeconds REAL NOT NULL DEFAULT 0,
                            calls2xx INTEGER NOT NULL DEFAULT 0,
                            calls3xx INTEGER NOT NULL DEFAULT 0,
                            calls4xx INTEGER NOT NULL DEFAULT 0,
                            calls5xx INTEGER NOT NULL DEFAULT 0,
                            latencySumNs INTEGER NOT NULL DEFAULT 0,
                            latencyMaxNs INTEGER NOT NULL DEFAULT 0,
                            lastSeen INTEGER NOT NULL DEFAULT 0,
                            PRIMARY KEY (granularity, dimension, key, user, roles, bucket)
                        ) WITHOUT ROWID;
                        CREATE INDEX usage_window ON usage(granularity, dimension, bucket);
                        """)
            },
            down: { db in try db.execute(sql: "DROP TABLE usage") }),
        Migration(
            id: "v6-alert-rules",
            up: { db in
                try db.execute(
                    sql: """
                        CREATE TABLE alert_rules (
                            id INTEGER PRIMARY KEY CHECK (id = 1),  -- one rule set
                            rules TEXT NOT NULL,                    -- JSON array of rules
                            updatedAt DATETIME NOT NULL
                        )
                        """)
            },
            down: { db in try db.execute(sql: "DROP TABLE alert_rules") }),
        Migration(
            id: "v7-api-key-expiry",
            up: { db in
                // Keys made before expiry existed keep working until revoked (NULL: no expiry).
                try db.execute(sql: "ALTER TABLE api_key ADD COLUMN expiresAt DATETIME")
            },
            down: { db in try db.execute(sql: "ALTER TABLE api_key DROP COLUMN expiresAt") }),
        Migration(
            id: "v8-password-setup",
            up: { db in
                // One-time codes with which an imported user sets its first password.
                try db.create(table: "password_setup") { t in
                    t.primaryKey("userId", .integer).references("user", onDelete: .cascade)
                    t.column("digest", .text).notNull()
                    t.column("expiresAt", .datetime).notNull()
                    t.column("createdAt", .datetime).notNull()
                }
            },
            down: { db in try db.execute(sql: "DROP TABLE password_setup") }),
    ]

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        for migration in all { m.registerMigration(migration.id, migrate: migration.up) }
        return m
    }
}
