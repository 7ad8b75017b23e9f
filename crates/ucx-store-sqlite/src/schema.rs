//! The schema, versioned: each migration runs once, in order, in its own transaction, and
//! `PRAGMA user_version` records how far a database has come.

use rusqlite::Connection;

/// The migrations, oldest first. Append only: a released migration never changes.
const MIGRATIONS: &[&str] = &[
    // 1: users, snapshot cache, run history, apply locks.
    "CREATE TABLE users (
        id        INTEGER PRIMARY KEY,
        kind      TEXT NOT NULL,
        owner     TEXT,
        key       TEXT NOT NULL UNIQUE,
        stable_id TEXT,
        fields    TEXT NOT NULL
    );
    CREATE INDEX users_owner ON users(owner);
    CREATE TABLE snapshots (
        source           TEXT PRIMARY KEY,
        updated_at       TEXT,
        refreshing_since TEXT,
        complete         INTEGER NOT NULL DEFAULT 0,
        records          INTEGER NOT NULL DEFAULT 0,
        cursor           TEXT,
        data             TEXT
    );
    CREATE TABLE runs (
        source   TEXT NOT NULL,
        started  TEXT NOT NULL,
        finished TEXT,
        status   TEXT NOT NULL,
        counts   TEXT NOT NULL,
        error    TEXT,
        PRIMARY KEY (source, started)
    );
    CREATE TABLE apply_locks (
        source TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        since  TEXT NOT NULL
    );",
    // 2: snapshot records in chunks. One JSON value per snapshot outgrew SQLite's 1 GB limit
    // on a string near a million Webex users, and cost a copy of the whole snapshot in memory
    // on every write and read. `snapshots.data` keeps the snapshot without its records
    // (a snapshot written by version 1, records included, is still read as it is); each chunk
    // is a JSON array of records, LZ4-compressed (a fifth of the bytes to write, free, and
    // read back).
    "CREATE TABLE snapshot_chunks (
        source  TEXT NOT NULL,
        seq     INTEGER NOT NULL,
        records BLOB NOT NULL,
        PRIMARY KEY (source, seq)
    ) WITHOUT ROWID;",
    // 3: the apply lock is a lease: a holder id (not a pid, which a restarted container's PID 1
    // shares with its dead predecessor) and an expiry, after which another apply takes it.
    "ALTER TABLE apply_locks ADD COLUMN expires TEXT;",
    // 4: users' pictures, the image itself beside the user (seed 000: at most 200 KB, png,
    // jpeg or bmp), so the users table and the diff only carry the short reference.
    "CREATE TABLE pictures (
        user_id   INTEGER PRIMARY KEY,
        reference TEXT NOT NULL,
        format    TEXT NOT NULL,
        etag      TEXT,
        sha256    TEXT NOT NULL,
        size      INTEGER NOT NULL,
        bytes     BLOB NOT NULL
    );",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings `conn` up to [`SCHEMA_VERSION`]; refuses a database written by a newer build.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), String> {
    let current: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| e.to_string())?;
    if current > SCHEMA_VERSION {
        return Err(format!(
            "the database has schema version {current}, newer than this build's {SCHEMA_VERSION}"
        ));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction().map_err(|e| e.to_string())?;
        tx.execute_batch(sql)
            .map_err(|e| format!("migration {}: {e}", i + 1))?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)
            .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
        tracing::info!(version = i + 1, "users database migrated");
    }
    Ok(())
}
