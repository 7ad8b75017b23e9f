//! `SqliteStore`: the `UserStore` on one SQLite file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use ucx_sync_core::{
    Fields, ImageFormat, ObjectKind, PictureChanges, PictureIndex, PictureMeta, Plan, RunRecord,
    RunStatus, RunStore, Snapshot, SnapshotState, SnapshotStore, SourceId, StoreError, SyncKey,
    User, UserId, UserStore, UsersStore,
};

use crate::schema::migrate;

use ucx_sync_core::SNAPSHOT_CHUNK;

/// Column `i` of `r` as borrowed text (NULL: `None`).
fn text<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> Result<Option<&'r str>, StoreError> {
    r.get_ref(i)
        .and_then(|v| v.as_str_or_null().map_err(Into::into))
        .map_err(|e| StoreError::backend("read users", e))
}

/// A picture's record from its columns.
fn picture_meta(
    reference: String,
    format: &str,
    etag: Option<String>,
    sha256: String,
    size: i64,
) -> Result<PictureMeta, StoreError> {
    Ok(PictureMeta {
        reference,
        format: image_format(format)?,
        etag,
        sha256,
        size: size as usize,
    })
}

/// A stored picture format.
fn image_format(text: &str) -> Result<ImageFormat, StoreError> {
    ImageFormat::from_name(text).ok_or_else(|| StoreError::Backend {
        message: format!("a stored picture has the unknown format {text:?}"),
        source: None,
    })
}

fn stale(reason: String) -> StoreError {
    StoreError::Stale { reason }
}

fn time(t: DateTime<Utc>) -> String {
    // Fixed width, so text order is time order.
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn parse_time(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// The users database on SQLite (bundled: nothing to install).
///
/// - Apply runs in one `BEGIN IMMEDIATE` transaction with prepared statements and checks every
///   step against the users as they are (a plan made on an older state is refused as stale,
///   and nothing is written). With WAL journaling a crash or kill at any point leaves the
///   database before or after the plan.
/// - An apply holds a lease on its source while it runs: a second apply of the same source,
///   from this process or another, is refused with [`StoreError::Busy`] instead of waiting to
///   run on a state it did not plan against. The lease names its holder by a random id, not a
///   pid (a restarted container's PID 1 has its predecessor's pid), and expires after
///   [`DEFAULT_LOCK_LEASE`]: a lock left by a killed process is taken over then. An apply
///   running past its lease is still alone, since SQLite's own write lock serialises
///   transactions; the lease only decides when to stop refusing.
/// - Snapshots are cached per source with their state; runs are kept per source.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    holder: String,
    lease: chrono::Duration,
}

/// How long an apply lock holds before another apply may take it over: well past the longest
/// apply measured (a million adds, about 20 s), short enough that a crash blocks little.
pub const DEFAULT_LOCK_LEASE: std::time::Duration = std::time::Duration::from_secs(300);

/// A random id for this store's leases: host, pid and 64 random bits, so two processes never
/// share one even when they share a pid.
fn holder_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into());
    format!("{host}/{}/{:016x}", std::process::id(), h.finish())
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)
            .map_err(|e| StoreError::backend("open the users database", e))?;
        Self::setup(conn, path)
    }

    /// A database in memory (tests, dry runs).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn =
            Connection::open_in_memory().map_err(|e| StoreError::backend("open in memory", e))?;
        Self::setup(conn, PathBuf::from(":memory:"))
    }

    fn setup(mut conn: Connection, path: PathBuf) -> Result<Self, StoreError> {
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| StoreError::backend("enable WAL", e))?;
        // NORMAL with WAL: a killed process never leaves a partial transaction; only a power
        // loss may lose the last commit.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| StoreError::backend("set synchronous", e))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(|e| StoreError::backend("set busy timeout", e))?;
        migrate(&mut conn).map_err(|message| StoreError::Backend {
            message: format!("migrate the users database: {message}"),
            source: None,
        })?;
        Ok(Self {
            conn: Arc::new(Mutex::new(conn)),
            path,
            holder: holder_id(),
            lease: chrono::Duration::from_std(DEFAULT_LOCK_LEASE).unwrap_or_default(),
        })
    }

    /// The same store with apply leases of `lease` instead of [`DEFAULT_LOCK_LEASE`].
    pub fn with_lock_lease(mut self, lease: std::time::Duration) -> Self {
        self.lease = chrono::Duration::from_std(lease).unwrap_or(self.lease);
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `users` as they are, ids included, in one transaction: users entered by hand,
    /// or a users database brought over from elsewhere. A user whose id or key exists already
    /// makes the whole import fail.
    pub async fn import_users(&self, users: Vec<User>) -> Result<(), StoreError> {
        self.blocking(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| StoreError::backend("begin import", e))?;
            {
                let mut insert = tx
                    .prepare_cached(
                        "INSERT INTO users (id, kind, owner, key, stable_id, fields) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .map_err(|e| StoreError::backend("import users", e))?;
                for u in &users {
                    let fields = serde_json::to_string(&u.fields)
                        .map_err(|e| StoreError::backend("write a user's fields", e))?;
                    insert
                        .execute(params![
                            u.id.0 as i64,
                            u.kind.filter_name(),
                            u.owner.as_ref().map(SourceId::as_str),
                            u.key.as_str(),
                            u.stable_id,
                            fields
                        ])
                        .map_err(|e| StoreError::backend(&format!("import user {}", u.key), e))?;
                }
            }
            tx.commit().map_err(|e| StoreError::backend("commit import", e))
        })
        .await
    }

    /// `PRAGMA integrity_check`: `Ok(())` when SQLite finds the file sound.
    pub async fn integrity_check(&self) -> Result<(), StoreError> {
        self.blocking(|c| {
            let verdict: String = c
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .map_err(|e| StoreError::backend("integrity check", e))?;
            if verdict == "ok" {
                Ok(())
            } else {
                Err(StoreError::Backend {
                    message: format!("integrity check: {verdict}"),
                    source: None,
                })
            }
        })
        .await
    }

    /// Runs `f` on the connection off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::backend("store task", e))?
    }

    /// Takes the apply lease of `source`, or says who holds it until when.
    fn lock(
        conn: &mut Connection,
        source: &str,
        holder: &str,
        lease: chrono::Duration,
    ) -> Result<(), StoreError> {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| StoreError::backend("take the apply lock", e))?;
        let existing: Option<(String, String, Option<String>)> = tx
            .query_row(
                "SELECT holder, since, expires FROM apply_locks WHERE source = ?1",
                [source],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(|e| StoreError::backend("read the apply lock", e))?;
        let now = Utc::now();
        if let Some((other, since, expires)) = existing {
            // A lock of schema 1-2 has no expiry: it runs a lease from when it was taken. One
            // whose times cannot be read is held for a lease from now (never taken on a guess).
            let until = parse_time(expires)
                .or_else(|| parse_time(Some(since.clone())).map(|t| t + lease))
                .unwrap_or(now + lease);
            if until > now {
                return Err(StoreError::Busy {
                    source_id: SourceId::new(source),
                    holder: other,
                    until,
                });
            }
            if other != holder {
                tracing::warn!(source, holder = %other, since, "taking over an expired apply lock");
            }
        }
        tx.execute(
            "INSERT INTO apply_locks (source, holder, since, expires) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(source) DO UPDATE SET holder = excluded.holder, since = excluded.since,
             expires = excluded.expires",
            params![source, holder, time(now), time(now + lease)],
        )
        .map_err(|e| StoreError::backend("take the apply lock", e))?;
        tx.commit()
            .map_err(|e| StoreError::backend("take the apply lock", e))
    }

    /// The moves of `move_source`, in one IMMEDIATE transaction: checked and done together.
    fn move_owned(c: &mut Connection, from: &str, to: &str) -> Result<usize, StoreError> {
        let fail = |e| StoreError::backend("move the source", e);
        let tx = c
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(fail)?;
        let count = |sql: &str, id: &str| -> Result<i64, StoreError> {
            tx.query_row(sql, [id], |r| r.get(0)).map_err(fail)
        };
        let theirs = count("SELECT COUNT(*) FROM users WHERE owner = ?1", to)?;
        if theirs > 0 {
            return Err(StoreError::would_merge(
                &SourceId::new(from),
                &SourceId::new(to),
                theirs as u64,
            ));
        }
        let moved = tx
            .execute("UPDATE users SET owner = ?2 WHERE owner = ?1", [from, to])
            .map_err(fail)?;
        // A snapshot the new id already has (a refresh under it) is the newer one: kept.
        if count("SELECT COUNT(*) FROM snapshots WHERE source = ?1", to)? > 0 {
            for table in ["snapshots", "snapshot_chunks"] {
                tx.execute(&format!("DELETE FROM {table} WHERE source = ?1"), [from])
                    .map_err(fail)?;
            }
        } else {
            tx.execute(
                "UPDATE snapshots SET source = ?2,
                   data = CASE WHEN data IS NULL THEN NULL ELSE json_set(data, '$.source', ?2) END
                 WHERE source = ?1",
                [from, to],
            )
            .map_err(fail)?;
            tx.execute(
                "UPDATE snapshot_chunks SET source = ?2 WHERE source = ?1",
                [from, to],
            )
            .map_err(fail)?;
        }
        tx.execute(
            "UPDATE OR IGNORE runs SET source = ?2 WHERE source = ?1",
            [from, to],
        )
        .map_err(fail)?;
        tx.commit().map_err(fail)?;
        Ok(moved)
    }

    fn unlock(conn: &mut Connection, source: &str, holder: &str) -> Result<(), StoreError> {
        conn.execute(
            "DELETE FROM apply_locks WHERE source = ?1 AND holder = ?2",
            params![source, holder],
        )
        .map(|_| ())
        .map_err(|e| StoreError::backend("release the apply lock", e))
    }
}

/// Applies `plan` inside `tx`, checking each step against the rows as they are.
fn apply_in(tx: &rusqlite::Transaction<'_>, plan: &Plan) -> Result<(), StoreError> {
    let source = plan.source.as_str();
    let db = |e: rusqlite::Error| StoreError::backend("apply", e);
    let mut row = tx
        .prepare_cached("SELECT owner, key, fields, stable_id FROM users WHERE id = ?1")
        .map_err(db)?;
    type Row = (Option<String>, String, String, Option<String>);
    let mut read = |id: UserId| -> Result<Option<Row>, StoreError> {
        row.query_row([id.0 as i64], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()
        .map_err(db)
    };
    let fields_of = |json: &str| -> Result<Fields, StoreError> {
        serde_json::from_str(json).map_err(|e| StoreError::backend("read a user's fields", e))
    };
    let to_json = |f: &Fields| {
        serde_json::to_string(f).map_err(|e| StoreError::backend("write a user's fields", e))
    };
    let taken = |e: &rusqlite::Error| matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation);

    {
        let mut delete = tx
            .prepare_cached("DELETE FROM users WHERE id = ?1 AND owner = ?2 AND key = ?3")
            .map_err(db)?;
        for (id, key) in plan.removals() {
            if delete
                .execute(params![id.0 as i64, source, key.as_str()])
                .map_err(db)?
                != 1
            {
                return Err(stale(format!(
                    "user {key} to delete is gone or has changed"
                )));
            }
        }
    }
    let mut update = tx
        .prepare_cached(
            "UPDATE users SET owner = ?2, stable_id = ?3, key = ?4, fields = ?5 WHERE id = ?1",
        )
        .map_err(db)?;
    for u in &plan.updates {
        let (owner, key, fields, stable_id) =
            read(u.id)?.ok_or_else(|| stale(format!("user {} to update is gone", u.key)))?;
        u.check_stored(&plan.source, owner.as_deref(), &key)?;
        let fields =
            fields_of(&fields)?.with_changes(u.changes.iter().map(|c| (c.field, c.new.as_deref())));
        let stable_id = u.stable_id_after(stable_id.as_deref());
        update
            .execute(params![
                u.id.0 as i64,
                source,
                stable_id,
                key,
                to_json(&fields)?
            ])
            .map_err(db)?;
    }
    // Renamed users first give up their keys (for a placeholder no sync key can equal), so two
    // users may swap keys in one plan.
    for r in &plan.renames {
        let (owner, key, _, _) =
            read(r.id)?.ok_or_else(|| stale(format!("user {} to rename is gone", r.from)))?;
        if owner.as_deref() != Some(source) || key != r.from.as_str() {
            return Err(stale(format!("user {} to rename has changed", r.from)));
        }
        tx.execute(
            "UPDATE users SET key = char(0) || 'renaming ' || id WHERE id = ?1",
            [r.id.0 as i64],
        )
        .map_err(db)?;
    }
    for r in &plan.renames {
        let (_, _, fields, _) =
            read(r.id)?.ok_or_else(|| stale(format!("user {} to rename is gone", r.from)))?;
        let fields =
            fields_of(&fields)?.with_changes(r.changes.iter().map(|c| (c.field, c.new.as_deref())));
        update
            .execute(params![
                r.id.0 as i64,
                source,
                r.stable_id,
                r.key.as_str(),
                to_json(&fields)?
            ])
            .map_err(|e| {
                if taken(&e) {
                    stale(format!("key {} is already taken", r.key))
                } else {
                    db(e)
                }
            })?;
    }
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO users (kind, owner, key, stable_id, fields) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(db)?;
    for a in plan.additions() {
        insert
            .execute(params![
                a.kind.filter_name(),
                source,
                a.key.as_str(),
                a.stable_id,
                to_json(&a.fields.without_empty())?
            ])
            .map_err(|e| {
                if taken(&e) {
                    stale(format!("key {} is already taken", a.key))
                } else {
                    db(e)
                }
            })?;
    }
    Ok(())
}

#[async_trait]
impl UsersStore for SqliteStore {
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.blocking(|c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, kind, owner, key, stable_id, fields FROM users ORDER BY id",
                )
                .map_err(|e| StoreError::backend("read users", e))?;
            let mut rows = stmt
                .query([])
                .map_err(|e| StoreError::backend("read users", e))?;
            let mut out = Vec::new();
            // Borrowed column values: the users database is read whole on every plan.
            while let Some(r) = rows
                .next()
                .map_err(|e| StoreError::backend("read users", e))?
            {
                let id: i64 = r.get(0).map_err(|e| StoreError::backend("read users", e))?;
                let kind = text(r, 1)?.unwrap_or_default();
                let fields = text(r, 5)?.unwrap_or("{}");
                out.push(User {
                    id: UserId(id as u64),
                    kind: kind
                        .parse::<ObjectKind>()
                        .map_err(|e| StoreError::backend("read a user's kind", e))?,
                    owner: text(r, 2)?.map(SourceId::new),
                    key: SyncKey::new(text(r, 3)?.unwrap_or_default()),
                    stable_id: text(r, 4)?.map(str::to_owned),
                    fields: serde_json::from_str(fields)
                        .map_err(|e| StoreError::backend("read a user's fields", e))?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn apply(&self, plan: &Plan) -> Result<(), StoreError> {
        let holder = self.holder.clone();
        let source = plan.source.as_str().to_owned();
        // The lock is its own committed step, so a concurrent apply sees it and is refused.
        {
            let (s, h, lease) = (source.clone(), holder.clone(), self.lease);
            self.blocking(move |c| Self::lock(c, &s, &h, lease)).await?;
        }
        let transaction = |c: &mut Connection, plan: &Plan| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| StoreError::backend("begin apply", e))?;
            apply_in(&tx, plan)?;
            // A deleted or replaced user's picture goes with it.
            if !plan.deletes.is_empty() || !plan.replaces.is_empty() {
                tx.execute(
                    "DELETE FROM pictures WHERE user_id NOT IN (SELECT id FROM users)",
                    [],
                )
                .map_err(|e| StoreError::backend("remove deleted users' pictures", e))?;
            }
            tx.commit()
                .map_err(|e| StoreError::backend("commit apply", e))
        };
        let multi_thread = tokio::runtime::Handle::try_current()
            .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
        let applied = if multi_thread {
            // On a multi-threaded runtime the plan is applied where it lies: a copy of a
            // million adds cost 2.3 s and its memory (docs/performance.md).
            tokio::task::block_in_place(|| {
                let mut conn = self
                    .conn
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                transaction(&mut conn, plan)
            })
        } else {
            let plan = plan.clone();
            self.blocking(move |c| transaction(c, &plan)).await
        };
        let released = self
            .blocking(move |c| Self::unlock(c, &source, &holder))
            .await;
        applied.and(released)
    }

    async fn picture_index(&self, source: &SourceId) -> Result<PictureIndex, StoreError> {
        let source = source.as_str().to_owned();
        self.blocking(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT p.user_id, p.reference, p.format, p.etag, p.sha256, p.size
                     FROM pictures p JOIN users u ON u.id = p.user_id WHERE u.owner = ?1",
                )
                .map_err(|e| StoreError::backend("read pictures", e))?;
            let rows = stmt
                .query_map([source], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Option<String>>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, i64>(5)?,
                    ))
                })
                .map_err(|e| StoreError::backend("read pictures", e))?;
            let mut out = PictureIndex::new();
            for row in rows {
                let (id, reference, format, etag, sha256, size) =
                    row.map_err(|e| StoreError::backend("read pictures", e))?;
                out.insert(
                    UserId(id as u64),
                    picture_meta(reference, &format, etag, sha256, size)?,
                );
            }
            Ok(out)
        })
        .await
    }

    async fn picture_references(
        &self,
        source: &SourceId,
    ) -> Result<Vec<(UserId, SyncKey, Option<String>)>, StoreError> {
        let source = source.as_str().to_owned();
        self.blocking(move |c| {
            // Only the one field, read inside SQLite: a pass over 100,000 users does not parse
            // 100,000 field sets.
            let mut stmt = c
                .prepare_cached(
                    "SELECT id, key, json_extract(fields, '$.picture') FROM users WHERE owner = ?1",
                )
                .map_err(|e| StoreError::backend("read picture references", e))?;
            let rows = stmt
                .query_map([source], |r| {
                    Ok((
                        UserId(r.get::<_, i64>(0)? as u64),
                        SyncKey::new(r.get::<_, String>(1)?),
                        r.get::<_, Option<String>>(2)?,
                    ))
                })
                .map_err(|e| StoreError::backend("read picture references", e))?;
            rows.collect::<Result<Vec<_>, _>>()
                .map_err(|e| StoreError::backend("read picture references", e))
        })
        .await
    }

    async fn apply_pictures(&self, changes: &PictureChanges) -> Result<(), StoreError> {
        let changes = changes.clone();
        self.blocking(move |c| {
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| StoreError::backend("begin pictures", e))?;
            {
                let mut remove = tx
                    .prepare_cached("DELETE FROM pictures WHERE user_id = ?1")
                    .map_err(|e| StoreError::backend("remove a picture", e))?;
                for id in &changes.remove {
                    remove
                        .execute([id.0 as i64])
                        .map_err(|e| StoreError::backend("remove a picture", e))?;
                }
                // Only for users still there: one deleted since the pass began is skipped.
                let mut put = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO pictures (user_id, reference, format, etag, sha256, size, bytes)
                         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM users WHERE id = ?1)",
                    )
                    .map_err(|e| StoreError::backend("store a picture", e))?;
                for (id, m, bytes) in &changes.store {
                    put.execute(params![
                        id.0 as i64,
                        m.reference,
                        m.format.as_str(),
                        m.etag,
                        m.sha256,
                        m.size as i64,
                        bytes.as_ref()
                    ])
                    .map_err(|e| StoreError::backend("store a picture", e))?;
                }
            }
            tx.commit().map_err(|e| StoreError::backend("commit pictures", e))
        })
        .await
    }

    async fn picture(&self, user: UserId) -> Result<Option<(PictureMeta, Bytes)>, StoreError> {
        self.blocking(move |c| {
            let row = c
                .query_row(
                    "SELECT reference, format, etag, sha256, size, bytes FROM pictures WHERE user_id = ?1",
                    [user.0 as i64],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, Vec<u8>>(5)?,
                        ))
                    },
                )
                .optional()
                .map_err(|e| StoreError::backend("read a picture", e))?;
            row.map(|(reference, format, etag, sha256, size, bytes)| {
                Ok((
                    picture_meta(reference, &format, etag, sha256, size)?,
                    Bytes::from(bytes),
                ))
            })
            .transpose()
        })
        .await
    }
}

#[async_trait]
impl SnapshotStore for SqliteStore {
    async fn snapshot_state(&self, source: &SourceId) -> Result<SnapshotState, StoreError> {
        let source = source.as_str().to_owned();
        self.blocking(move |c| {
            c.query_row(
                "SELECT updated_at, refreshing_since, complete, records, cursor,
                   json_extract(data, '$.taken_at'), json_extract(data, '$.full_at')
                 FROM snapshots WHERE source = ?1",
                [source],
                |r| {
                    Ok(SnapshotState {
                        updated_at: parse_time(r.get(0)?),
                        refreshing_since: parse_time(r.get(1)?),
                        complete: r.get::<_, i64>(2)? != 0,
                        records: r.get::<_, i64>(3)? as usize,
                        cursor: r.get::<_, Option<String>>(4)?.map(ucx_sync_core::Cursor),
                        taken_at: parse_time(r.get(5)?),
                        full_at: parse_time(r.get(6)?),
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
            .map_err(|e| StoreError::backend("read the snapshot state", e))
        })
        .await
    }

    async fn begin_refresh(&self, source: &SourceId, at: DateTime<Utc>) -> Result<(), StoreError> {
        let source = source.as_str().to_owned();
        self.blocking(move |c| {
            c.execute(
                "INSERT INTO snapshots (source, refreshing_since) VALUES (?1, ?2)
                 ON CONFLICT(source) DO UPDATE SET refreshing_since = excluded.refreshing_since",
                params![source, time(at)],
            )
            .map(|_| ())
            .map_err(|e| StoreError::backend("mark the refresh", e))
        })
        .await
    }

    async fn finish_refresh(
        &self,
        snapshot: Snapshot,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.blocking(move |c| write_snapshot(c, snapshot, at))
            .await
    }

    async fn finish_unchanged_refresh(
        &self,
        snapshot: Snapshot,
        stored_taken_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.blocking(move |c| {
            let source = snapshot.source.as_str().to_owned();
            let mut header = snapshot;
            let records = std::mem::take(&mut header.records);
            let data = serde_json::to_string(&header)
                .map_err(|e| StoreError::backend("write the snapshot", e))?;
            let tx = c
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| StoreError::backend("store the snapshot", e))?;
            let stored: Option<(Option<String>, Option<i64>)> = tx
                .query_row(
                    "SELECT data, records FROM snapshots WHERE source = ?1 AND complete = 1",
                    [&source],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(|e| StoreError::backend("read the snapshot", e))?;
            // Only the header is new when the stored records are still the ones the refresh
            // started from: same snapshot time, same count.
            let same = stored.is_some_and(|(data, n)| {
                n == Some(records.len() as i64)
                    && data
                        .and_then(|d| serde_json::from_str::<Snapshot>(&d).ok())
                        .is_some_and(|h| h.taken_at == stored_taken_at)
            });
            if same {
                tx.execute(
                    "UPDATE snapshots SET updated_at = ?2, refreshing_since = NULL, cursor = ?3,
                       data = ?4 WHERE source = ?1",
                    params![
                        source,
                        time(at),
                        header.cursor.as_ref().map(|c| c.0.clone()),
                        data
                    ],
                )
                .map_err(|e| StoreError::backend("store the snapshot", e))?;
                return tx
                    .commit()
                    .map_err(|e| StoreError::backend("store the snapshot", e));
            }
            drop(tx);
            header.records = records;
            write_snapshot(c, header, at)
        })
        .await
    }

    async fn abort_refresh(&self, source: &SourceId) -> Result<(), StoreError> {
        let source = source.as_str().to_owned();
        self.blocking(move |c| {
            c.execute(
                "UPDATE snapshots SET refreshing_since = NULL WHERE source = ?1",
                [source],
            )
            .map(|_| ())
            .map_err(|e| StoreError::backend("end the refresh", e))
        })
        .await
    }

    async fn snapshot(&self, source: &SourceId) -> Result<Option<Snapshot>, StoreError> {
        let source = source.as_str().to_owned();
        // Only the reads hold the connection; the chunks are decoded after, side by side, so a
        // plan's read of the users is not kept waiting behind the decoding.
        let stored = self
            .blocking(move |c| {
                let data: Option<Option<String>> = c
                    .query_row(
                        "SELECT data FROM snapshots WHERE source = ?1",
                        [&source],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(|e| StoreError::backend("read the snapshot", e))?;
                let Some(data) = data.flatten() else {
                    return Ok(None);
                };
                let mut chunks = c
                    .prepare_cached(
                        "SELECT records FROM snapshot_chunks WHERE source = ?1 ORDER BY seq",
                    )
                    .map_err(|e| StoreError::backend("read the snapshot", e))?;
                let blobs = chunks
                    .query_map([&source], |r| r.get::<_, Vec<u8>>(0))
                    .map_err(|e| StoreError::backend("read the snapshot", e))?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| StoreError::backend("read the snapshot", e))?;
                Ok(Some((data, blobs)))
            })
            .await?;
        let Some((data, blobs)) = stored else {
            return Ok(None);
        };
        tokio::task::spawn_blocking(move || {
            let mut snapshot: Snapshot = serde_json::from_str(&data)
                .map_err(|e| StoreError::backend("read the snapshot", e))?;
            // A snapshot written before chunks (schema 1) holds its records in `data`.
            snapshot
                .records
                .extend(ucx_sync_core::decode_chunks(&blobs)?);
            Ok(Some(snapshot))
        })
        .await
        .map_err(|e| StoreError::backend("store task", e))?
    }
}

#[async_trait]
impl RunStore for SqliteStore {
    async fn record_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        let run = run.clone();
        self.blocking(move |c| {
            let status = serde_json::to_value(run.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            let counts = serde_json::to_string(&run.counts)
                .map_err(|e| StoreError::backend("write a run", e))?;
            c.execute(
                "INSERT INTO runs (source, started, finished, status, counts, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(source, started) DO UPDATE SET finished = excluded.finished,
                   status = excluded.status, counts = excluded.counts, error = excluded.error",
                params![
                    run.source.as_str(),
                    time(run.started),
                    run.finished.map(time),
                    status,
                    counts,
                    run.error
                ],
            )
            .map(|_| ())
            .map_err(|e| StoreError::backend("record a run", e))
        })
        .await
    }

    async fn runs(&self, source: &SourceId, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        let source = source.clone();
        self.blocking(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT started, finished, status, counts, error FROM runs
                     WHERE source = ?1 ORDER BY started DESC LIMIT ?2",
                )
                .map_err(|e| StoreError::backend("read runs", e))?;
            let rows = stmt
                .query_map(params![source.as_str(), limit as i64], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<String>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<String>>(4)?,
                    ))
                })
                .map_err(|e| StoreError::backend("read runs", e))?;
            let mut out = Vec::new();
            for row in rows {
                let (started, finished, status, counts, error) =
                    row.map_err(|e| StoreError::backend("read runs", e))?;
                out.push(RunRecord {
                    source: source.clone(),
                    started: parse_time(Some(started)).unwrap_or_default(),
                    finished: parse_time(finished),
                    status: serde_json::from_value::<RunStatus>(serde_json::Value::String(status))
                        .map_err(|e| StoreError::backend("read a run's status", e))?,
                    counts: serde_json::from_str(&counts)
                        .map_err(|e| StoreError::backend("read a run", e))?,
                    error,
                });
            }
            Ok(out)
        })
        .await
    }
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn move_source(&self, from: &SourceId, to: &SourceId) -> Result<usize, StoreError> {
        let (from, to) = (from.as_str().to_owned(), to.as_str().to_owned());
        let (holder, lease) = (self.holder.clone(), self.lease);
        self.blocking(move |c| {
            if from == to {
                return Err(StoreError::same_source(&SourceId::new(from.as_str())));
            }
            // The source's apply lock, as an apply takes it: no apply of it runs meanwhile.
            Self::lock(c, &from, &holder, lease)?;
            let moved = Self::move_owned(c, &from, &to);
            Self::unlock(c, &from, &holder)?;
            moved
        })
        .await
    }
}

/// Stores a snapshot: a complete one replaces the cached records (in compressed chunks) and
/// header in one transaction; any ends the refresh.
fn write_snapshot(
    c: &mut Connection,
    snapshot: Snapshot,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let source = snapshot.source.as_str().to_owned();
    if !snapshot.complete {
        c.execute(
            "UPDATE snapshots SET refreshing_since = NULL WHERE source = ?1",
            [source],
        )
        .map_err(|e| StoreError::backend("end the refresh", e))?;
        return Ok(());
    }
    let mut header = snapshot;
    let records = std::mem::take(&mut header.records);
    let data =
        serde_json::to_string(&header).map_err(|e| StoreError::backend("write the snapshot", e))?;
    let tx = c
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|e| StoreError::backend("store the snapshot", e))?;
    tx.execute("DELETE FROM snapshot_chunks WHERE source = ?1", [&source])
        .map_err(|e| StoreError::backend("store the snapshot", e))?;
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO snapshot_chunks (source, seq, records) VALUES (?1, ?2, ?3)",
            )
            .map_err(|e| StoreError::backend("store the snapshot", e))?;
        for (seq, chunk) in records.chunks(SNAPSHOT_CHUNK).enumerate() {
            let json = serde_json::to_vec(chunk)
                .map_err(|e| StoreError::backend("write the snapshot", e))?;
            insert
                .execute(params![
                    source,
                    seq as i64,
                    lz4_flex::compress_prepend_size(&json)
                ])
                .map_err(|e| StoreError::backend("store the snapshot", e))?;
        }
    }
    tx.execute(
                "INSERT INTO snapshots (source, updated_at, refreshing_since, complete, records, cursor, data)
                 VALUES (?1, ?2, NULL, 1, ?3, ?4, ?5)
                 ON CONFLICT(source) DO UPDATE SET updated_at = excluded.updated_at,
                   refreshing_since = NULL, complete = 1, records = excluded.records,
                   cursor = excluded.cursor, data = excluded.data",
                params![
                    source,
                    time(at),
                    records.len() as i64,
                    header.cursor.as_ref().map(|c| c.0.clone()),
                    data
                ],
            )
            .map_err(|e| StoreError::backend("store the snapshot", e))?;
    tx.commit()
        .map_err(|e| StoreError::backend("store the snapshot", e))
}
