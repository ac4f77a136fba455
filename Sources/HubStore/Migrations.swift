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
    ]

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        for migration in all { m.registerMigration(migration.id, migrate: migration.up) }
        return m
    }
}
