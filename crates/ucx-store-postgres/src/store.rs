//! [`PostgresStore`]: the three store roles on PostgreSQL, for several workers sharing one
//! database.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use sqlx_core::query::query;
use sqlx_core::row::Row;
use sqlx_postgres::{PgConnectOptions, PgPool, PgPoolOptions, Postgres};
use ucx_sync_core::{
    Fields, ImageFormat, ObjectKind, PictureChanges, PictureIndex, PictureMeta, Plan, RunRecord,
    RunStatus, RunStore, Snapshot, SnapshotState, SnapshotStore, SourceId, StoreError, SyncKey,
    User, UserId, UserStore, UsersStore,
};

/// How long an apply lease lasts unless renewed: a worker that died mid-apply loses the source
/// after this, and another worker takes it over. A live apply renews its lease every third of
/// it, so an apply may take longer than the lease; the lease is short so that a dead worker's
/// source is free again about when the job queue gives its job to another worker.
pub const DEFAULT_LOCK_LEASE: Duration = Duration::from_secs(60);

type Tx = sqlx_core::transaction::Transaction<'static, Postgres>;

fn stale(reason: String) -> StoreError {
    StoreError::Stale { reason }
}

/// An error of a statement writing users: a key already taken is a stale plan.
fn write_error(e: sqlx_core::Error) -> StoreError {
    let unique = e
        .as_database_error()
        .is_some_and(|d| d.is_unique_violation());
    if unique {
        key_taken(&e)
    } else {
        StoreError::backend("apply", e)
    }
}

/// The stale-plan error of a key already taken, naming the key from the server's detail
/// (`Key (key)=(ann@example.com) already exists.`).
fn key_taken(e: &sqlx_core::Error) -> StoreError {
    let key = e
        .as_database_error()
        .and_then(|d| d.try_downcast_ref::<sqlx_postgres::PgDatabaseError>())
        .and_then(|p| p.detail())
        .and_then(|d| d.split_once("=(").map(|(_, rest)| rest))
        .and_then(|rest| {
            rest.rsplit_once(") already exists")
                .map(|(k, _)| k.to_owned())
        })
        .unwrap_or_else(|| "of the plan".into());
    stale(format!("key {key} is already taken"))
}

/// The users database on PostgreSQL.
///
/// - Plans applied all-or-nothing in one transaction, with the SQLite store's stale-plan
///   checks (every user to update or delete still has its owner and key; a key to add or rename
///   to is free), adds, updates and deletes sent as arrays (`UNNEST`), a few statements per
///   plan whatever its size.
/// - One apply of a source at a time across every worker: a lease row with a holder and an
///   expiry ([`DEFAULT_LOCK_LEASE`], renewed while the apply runs, so a dead worker's lease
///   lapses within a minute), and an advisory lock the apply's transaction holds, so a worker
///   cut off after its lease lapsed still cannot commit beside the next; a busy source is
///   refused with [`StoreError::Busy`].
/// - Snapshots in LZ4-compressed chunks of 1,000 records, as in SQLite.
/// - Versioned migrations with checksums ([`SCHEMA_VERSION`](crate::SCHEMA_VERSION)), run on
///   connect under an advisory lock.
pub struct PostgresStore {
    pool: PgPool,
    holder: String,
    lease: Duration,
}

impl std::fmt::Debug for PostgresStore {
    /// Never the connection string: it may hold a password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("connections", &self.pool.size())
            .field("holder", &self.holder)
            .field("lease", &self.lease)
            .finish()
    }
}

impl PostgresStore {
    /// Connects to `options` (a pool of up to 8 connections) and migrates the schema.
    pub async fn connect(options: PgConnectOptions) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|e| StoreError::backend("connect to PostgreSQL", e))?;
        Self::from_pool(pool).await
    }

    /// A store on `pool`, after migrating its schema.
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        crate::migrations::migrator()
            .await
            .map_err(|e| StoreError::backend("read the migrations", e))?
            .run(&pool)
            .await
            .map_err(|e| StoreError::backend("migrate the schema", e))?;
        Ok(Self {
            pool,
            holder: format!(
                "{}:{}:{}",
                std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into()),
                std::process::id(),
                Utc::now().timestamp_micros()
            ),
            lease: DEFAULT_LOCK_LEASE,
        })
    }

    /// The same store with apply leases of `lease`.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// The connection pool.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Adds `users` as they are, ids included (a migration from another store, a test).
    pub async fn import_users(&self, users: Vec<User>) -> Result<(), StoreError> {
        let fail = |e| StoreError::backend("import users", e);
        let mut tx = self.pool.begin().await.map_err(fail)?;
        let mut cols = Columns::default();
        let mut ids = Vec::with_capacity(users.len());
        for u in &users {
            ids.push(u.id.0 as i64);
            cols.push(
                u.kind.filter_name(),
                u.owner.as_ref().map(SourceId::as_str),
                u.key.as_str(),
                u.stable_id.as_deref(),
                &u.fields,
            )?;
        }
        query(
            "INSERT INTO users (id, kind, owner, key, stable_id, fields)
             SELECT d.id, d.kind, d.owner, d.key, d.stable_id, d.fields::jsonb
             FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
               AS d(id, kind, owner, key, stable_id, fields)",
        )
        .bind(ids)
        .bind(cols.kind)
        .bind(cols.owner)
        .bind(cols.key)
        .bind(cols.stable_id)
        .bind(cols.fields)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        query("SELECT setval(pg_get_serial_sequence('users', 'id'), GREATEST((SELECT MAX(id) FROM users), 1))")
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    /// Takes the apply lease of `source`, as its own committed step: refused while another
    /// holder's lease runs, taken over once it has expired.
    async fn lock(&self, source: &str) -> Result<(), StoreError> {
        let fail = |e| StoreError::backend("take the apply lock", e);
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::MAX);
        let taken = query(
            "INSERT INTO apply_locks (source, holder, since, expires) VALUES ($1, $2, $3, $4)
             ON CONFLICT (source) DO UPDATE SET holder = EXCLUDED.holder,
               since = EXCLUDED.since, expires = EXCLUDED.expires
             WHERE apply_locks.expires <= $3",
        )
        .bind(source)
        .bind(&self.holder)
        .bind(now)
        .bind(until)
        .execute(&self.pool)
        .await
        .map_err(fail)?
        .rows_affected();
        if taken == 1 {
            return Ok(());
        }
        let row = query("SELECT holder, expires FROM apply_locks WHERE source = $1")
            .bind(source)
            .fetch_optional(&self.pool)
            .await
            .map_err(fail)?;
        let (holder, until) = match row {
            Some(r) => (
                r.try_get::<String, _>(0).map_err(fail)?,
                r.try_get::<DateTime<Utc>, _>(1).map_err(fail)?,
            ),
            None => (String::new(), now),
        };
        Err(StoreError::Busy {
            source_id: SourceId::new(source),
            holder,
            until,
        })
    }

    /// Keeps the lease of `source` while an apply runs: every third of the lease, its expiry is
    /// pushed a lease ahead. Never returns; dropped when the apply ends.
    async fn renew(&self, source: &str) -> std::convert::Infallible {
        let every = (self.lease / 3).max(Duration::from_millis(10));
        loop {
            tokio::time::sleep(every).await;
            let until = Utc::now()
                + chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::MAX);
            let renewed =
                query("UPDATE apply_locks SET expires = $3 WHERE source = $1 AND holder = $2")
                    .bind(source)
                    .bind(&self.holder)
                    .bind(until)
                    .execute(&self.pool)
                    .await;
            if let Err(e) = renewed {
                // The apply's own transaction holds the source's advisory lock, so even a lease
                // that lapses meanwhile lets no other apply of the source commit beside it.
                tracing::warn!(source, error = %e, "cannot renew the apply lease");
            }
        }
    }

    async fn unlock(&self, source: &str) -> Result<(), StoreError> {
        query("DELETE FROM apply_locks WHERE source = $1 AND holder = $2")
            .bind(source)
            .bind(&self.holder)
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| StoreError::backend("release the apply lock", e))
    }
}

/// The columns of users to write, as arrays for `UNNEST`.
#[derive(Default)]
struct Columns {
    kind: Vec<String>,
    owner: Vec<Option<String>>,
    key: Vec<String>,
    stable_id: Vec<Option<String>>,
    fields: Vec<String>,
}

impl Columns {
    fn push(
        &mut self,
        kind: &str,
        owner: Option<&str>,
        key: &str,
        stable_id: Option<&str>,
        fields: &Fields,
    ) -> Result<(), StoreError> {
        self.kind.push(kind.to_owned());
        self.owner.push(owner.map(str::to_owned));
        self.key.push(key.to_owned());
        self.stable_id.push(stable_id.map(str::to_owned));
        self.fields.push(
            serde_json::to_string(fields)
                .map_err(|e| StoreError::backend("write a user's fields", e))?,
        );
        Ok(())
    }
}

/// A user from its row (`id, kind, owner, key, stable_id, fields::text`).
fn user_of(r: &sqlx_postgres::PgRow) -> Result<User, StoreError> {
    let fail = |e| StoreError::backend("read users", e);
    let kind: String = r.try_get(1).map_err(fail)?;
    let fields: String = r.try_get(5).map_err(fail)?;
    Ok(User {
        id: UserId(r.try_get::<i64, _>(0).map_err(fail)? as u64),
        kind: kind
            .parse::<ObjectKind>()
            .map_err(|e| StoreError::backend("read a user's kind", e))?,
        owner: r
            .try_get::<Option<String>, _>(2)
            .map_err(fail)?
            .map(SourceId::new),
        key: SyncKey::new(r.try_get::<String, _>(3).map_err(fail)?),
        stable_id: r.try_get(4).map_err(fail)?,
        fields: fields_of(&fields)?,
    })
}

fn fields_of(json: &str) -> Result<Fields, StoreError> {
    serde_json::from_str(json).map_err(|e| StoreError::backend("read a user's fields", e))
}

/// The plan's steps inside `tx`, each checked against the users as they are.
async fn apply_in(tx: &mut Tx, plan: &Plan) -> Result<(), StoreError> {
    let source = plan.source.as_str();
    let db = |e| StoreError::backend("apply", e);

    let removals: Vec<(UserId, &SyncKey)> = plan.removals().collect();
    if !removals.is_empty() {
        let ids: Vec<i64> = removals.iter().map(|(id, _)| id.0 as i64).collect();
        let keys: Vec<String> = removals
            .iter()
            .map(|(_, k)| k.as_str().to_owned())
            .collect();
        let gone = query(
            "DELETE FROM users u USING UNNEST($1::bigint[], $2::text[]) AS d(id, key)
             WHERE u.id = d.id AND u.key = d.key AND u.owner = $3",
        )
        .bind(ids)
        .bind(keys)
        .bind(source)
        .execute(&mut **tx)
        .await
        .map_err(db)?
        .rows_affected();
        if gone != removals.len() as u64 {
            return Err(stale(format!(
                "{} of {} users to delete are gone or have changed",
                removals.len() as u64 - gone,
                removals.len()
            )));
        }
    }

    // The users to update or rename, locked for the transaction.
    let touched: Vec<i64> = plan
        .updates
        .iter()
        .map(|u| u.id.0 as i64)
        .chain(plan.renames.iter().map(|r| r.id.0 as i64))
        .collect();
    let mut current: std::collections::HashMap<
        i64,
        (Option<String>, String, String, Option<String>),
    > = std::collections::HashMap::with_capacity(touched.len());
    if !touched.is_empty() {
        let rows = query(
            "SELECT id, owner, key, fields::text, stable_id FROM users WHERE id = ANY($1) FOR UPDATE",
        )
        .bind(&touched)
        .fetch_all(&mut **tx)
        .await
        .map_err(db)?;
        for r in rows {
            current.insert(
                r.try_get(0).map_err(db)?,
                (
                    r.try_get(1).map_err(db)?,
                    r.try_get(2).map_err(db)?,
                    r.try_get(3).map_err(db)?,
                    r.try_get(4).map_err(db)?,
                ),
            );
        }
    }

    let mut ids = Vec::new();
    let mut cols = Columns::default();
    for u in &plan.updates {
        let (owner, key, fields, stable_id) = current
            .get(&(u.id.0 as i64))
            .ok_or_else(|| stale(format!("user {} to update is gone", u.key)))?;
        u.check_stored(&plan.source, owner.as_deref(), key)?;
        let fields =
            fields_of(fields)?.with_changes(u.changes.iter().map(|c| (c.field, c.new.as_deref())));
        let stable_id = u.stable_id_after(stable_id.as_deref());
        ids.push(u.id.0 as i64);
        cols.push("", Some(source), key, stable_id.as_deref(), &fields)?;
    }
    // Renamed users first give up their keys (for a placeholder no sync key can equal), so two
    // users may swap keys in one plan.
    let mut renaming = Vec::new();
    for r in &plan.renames {
        let (owner, key, fields, _) = current
            .get(&(r.id.0 as i64))
            .ok_or_else(|| stale(format!("user {} to rename is gone", r.from)))?;
        if owner.as_deref() != Some(source) || key != r.from.as_str() {
            return Err(stale(format!("user {} to rename has changed", r.from)));
        }
        let fields =
            fields_of(fields)?.with_changes(r.changes.iter().map(|c| (c.field, c.new.as_deref())));
        renaming.push(r.id.0 as i64);
        ids.push(r.id.0 as i64);
        cols.push(
            "",
            Some(source),
            r.key.as_str(),
            Some(r.stable_id.as_str()),
            &fields,
        )?;
    }
    if !renaming.is_empty() {
        query("UPDATE users SET key = chr(1) || 'renaming ' || id WHERE id = ANY($1)")
            .bind(renaming)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
    }
    if !ids.is_empty() {
        query(
            "UPDATE users u SET owner = d.owner, stable_id = d.stable_id, key = d.key,
               fields = d.fields::jsonb
             FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])
               AS d(id, owner, stable_id, key, fields)
             WHERE u.id = d.id",
        )
        .bind(ids)
        .bind(cols.owner)
        .bind(cols.stable_id)
        .bind(cols.key)
        .bind(cols.fields)
        .execute(&mut **tx)
        .await
        .map_err(write_error)?;
    }

    let adds: Vec<_> = plan.additions().collect();
    for batch in adds.chunks(10_000) {
        let mut cols = Columns::default();
        for a in batch {
            cols.push(
                a.kind.filter_name(),
                Some(source),
                a.key.as_str(),
                a.stable_id,
                &a.fields.without_empty(),
            )?;
        }
        query(
            "INSERT INTO users (kind, owner, key, stable_id, fields)
             SELECT d.kind, $1, d.key, d.stable_id, d.fields::jsonb
             FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[])
               AS d(kind, key, stable_id, fields)",
        )
        .bind(source)
        .bind(cols.kind)
        .bind(cols.key)
        .bind(cols.stable_id)
        .bind(cols.fields)
        .execute(&mut **tx)
        .await
        .map_err(write_error)?;
    }
    Ok(())
}

fn image_format(s: &str) -> Result<ImageFormat, StoreError> {
    ImageFormat::from_name(s).ok_or_else(|| StoreError::Backend {
        message: format!("a stored picture has the unknown format {s:?}"),
        source: None,
    })
}

#[async_trait]
impl UsersStore for PostgresStore {
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        use futures::TryStreamExt;
        /// Rows parsed together, off the async threads, while the next ones arrive.
        const BATCH: usize = 20_000;
        let fail = |e| StoreError::backend("read users", e);
        let mut rows =
            query("SELECT id, kind, owner, key, stable_id, fields::text FROM users ORDER BY id")
                .fetch(&self.pool);
        // A plan reads every user: the server sends them for seconds at a million, so each
        // batch's fields are parsed on a blocking thread as soon as it is in, instead of all
        // of them after the last row.
        let mut parsing = Vec::new();
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(row) = rows.try_next().await.map_err(fail)? {
            batch.push(row);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                parsing.push(tokio::task::spawn_blocking(move || {
                    full.iter().map(user_of).collect::<Result<Vec<_>, _>>()
                }));
            }
        }
        let mut users = Vec::with_capacity(parsing.len() * BATCH + batch.len());
        for parsed in parsing {
            users.extend(
                parsed
                    .await
                    .map_err(|e| StoreError::backend("store task", e))??,
            );
        }
        for row in &batch {
            users.push(user_of(row)?);
        }
        Ok(users)
    }

    async fn apply(&self, plan: &Plan) -> Result<(), StoreError> {
        let source = plan.source.as_str();
        self.lock(source).await?;
        let applied = async {
            let mut tx = self
                .pool
                .begin()
                .await
                .map_err(|e| StoreError::backend("begin apply", e))?;
            // The lease says who holds the source; this lock makes sure: held by the
            // transaction itself, it ends with it (committed, rolled back, or the connection
            // gone), so a worker cut off after its lease lapsed can never commit beside the
            // worker that took the lease over.
            // Keyed by schema too: advisory locks are per database, and two deployments (or
            // test runs) may share one database in schemas of their own.
            let mine: bool = query(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(current_schema() || $1, 0))",
            )
            .bind(format!(" ucx-sync apply {source}"))
            .fetch_one(&mut *tx)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(|e| StoreError::backend("take the apply lock", e))?;
            if !mine {
                return Err(StoreError::Busy {
                    source_id: plan.source.clone(),
                    holder: "an apply whose lease lapsed, still running".into(),
                    until: Utc::now(),
                });
            }
            apply_in(&mut tx, plan).await?;
            tx.commit()
                .await
                .map_err(|e| StoreError::backend("commit apply", e))
        };
        let applied = tokio::select! {
            applied = applied => applied,
            never = self.renew(source) => match never {},
        };
        let released = self.unlock(source).await;
        applied.and(released)
    }

    async fn picture_index(&self, source: &SourceId) -> Result<PictureIndex, StoreError> {
        let fail = |e| StoreError::backend("read pictures", e);
        let rows = query(
            "SELECT p.user_id, p.reference, p.format, p.etag, p.sha256, p.size
             FROM pictures p JOIN users u ON u.id = p.user_id WHERE u.owner = $1",
        )
        .bind(source.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(fail)?;
        let mut out = PictureIndex::new();
        for r in rows {
            let format: String = r.try_get(2).map_err(fail)?;
            out.insert(
                UserId(r.try_get::<i64, _>(0).map_err(fail)? as u64),
                PictureMeta {
                    reference: r.try_get(1).map_err(fail)?,
                    format: image_format(&format)?,
                    etag: r.try_get(3).map_err(fail)?,
                    sha256: r.try_get(4).map_err(fail)?,
                    size: r.try_get::<i64, _>(5).map_err(fail)? as usize,
                },
            );
        }
        Ok(out)
    }

    async fn picture_references(
        &self,
        source: &SourceId,
    ) -> Result<Vec<(UserId, SyncKey, Option<String>)>, StoreError> {
        let fail = |e| StoreError::backend("read picture references", e);
        // Only the one field: a pass over 100,000 users does not parse 100,000 field sets.
        let rows = query("SELECT id, key, fields->>'picture' FROM users WHERE owner = $1")
            .bind(source.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?;
        rows.iter()
            .map(|r| {
                Ok((
                    UserId(r.try_get::<i64, _>(0).map_err(fail)? as u64),
                    SyncKey::new(r.try_get::<String, _>(1).map_err(fail)?),
                    r.try_get(2).map_err(fail)?,
                ))
            })
            .collect()
    }

    async fn apply_pictures(&self, changes: &PictureChanges) -> Result<(), StoreError> {
        let fail = |e| StoreError::backend("store pictures", e);
        let mut tx = self.pool.begin().await.map_err(fail)?;
        let removed: Vec<i64> = changes.remove.iter().map(|id| id.0 as i64).collect();
        if !removed.is_empty() {
            query("DELETE FROM pictures WHERE user_id = ANY($1)")
                .bind(removed)
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
        }
        for (id, m, bytes) in &changes.store {
            // Only for users still there: one deleted since the pass began is skipped.
            query(
                "INSERT INTO pictures (user_id, reference, format, etag, sha256, size, bytes)
                 SELECT $1, $2, $3, $4, $5, $6, $7 WHERE EXISTS (SELECT 1 FROM users WHERE id = $1)
                 ON CONFLICT (user_id) DO UPDATE SET reference = EXCLUDED.reference,
                   format = EXCLUDED.format, etag = EXCLUDED.etag, sha256 = EXCLUDED.sha256,
                   size = EXCLUDED.size, bytes = EXCLUDED.bytes",
            )
            .bind(id.0 as i64)
            .bind(&m.reference)
            .bind(m.format.as_str())
            .bind(&m.etag)
            .bind(&m.sha256)
            .bind(m.size as i64)
            .bind(bytes.as_ref())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        }
        tx.commit().await.map_err(fail)
    }

    async fn picture(&self, user: UserId) -> Result<Option<(PictureMeta, Bytes)>, StoreError> {
        let fail = |e| StoreError::backend("read a picture", e);
        let row = query(
            "SELECT reference, format, etag, sha256, size, bytes FROM pictures WHERE user_id = $1",
        )
        .bind(user.0 as i64)
        .fetch_optional(&self.pool)
        .await
        .map_err(fail)?;
        row.map(|r| {
            let format: String = r.try_get(1).map_err(fail)?;
            Ok((
                PictureMeta {
                    reference: r.try_get(0).map_err(fail)?,
                    format: image_format(&format)?,
                    etag: r.try_get(2).map_err(fail)?,
                    sha256: r.try_get(3).map_err(fail)?,
                    size: r.try_get::<i64, _>(4).map_err(fail)? as usize,
                },
                Bytes::from(r.try_get::<Vec<u8>, _>(5).map_err(fail)?),
            ))
        })
        .transpose()
    }
}

/// A snapshot split for storing: its header (JSON, records taken out) and compressed chunks.
struct Encoded {
    source: String,
    header: String,
    chunks: Vec<Vec<u8>>,
    records: i64,
    cursor: Option<String>,
}

fn encode(snapshot: Snapshot) -> Result<Encoded, StoreError> {
    let mut header = snapshot;
    let records = std::mem::take(&mut header.records);
    let chunks = ucx_sync_core::encode_chunks(&records)?;
    Ok(Encoded {
        source: header.source.as_str().to_owned(),
        header: serde_json::to_string(&header)
            .map_err(|e| StoreError::backend("write the snapshot", e))?,
        chunks,
        records: records.len() as i64,
        cursor: header.cursor.as_ref().map(|c| c.0.clone()),
    })
}

/// Replaces the stored snapshot of `e.source` with `e`, inside `tx`.
async fn write_snapshot(tx: &mut Tx, e: Encoded, at: DateTime<Utc>) -> Result<(), StoreError> {
    let fail = |err| StoreError::backend("store the snapshot", err);
    query("DELETE FROM snapshot_chunks WHERE source = $1")
        .bind(&e.source)
        .execute(&mut **tx)
        .await
        .map_err(fail)?;
    let seqs: Vec<i32> = (0..e.chunks.len() as i32).collect();
    query(
        "INSERT INTO snapshot_chunks (source, seq, records)
         SELECT $1, d.seq, d.records FROM UNNEST($2::int[], $3::bytea[]) AS d(seq, records)",
    )
    .bind(&e.source)
    .bind(seqs)
    .bind(e.chunks)
    .execute(&mut **tx)
    .await
    .map_err(fail)?;
    query(
        "INSERT INTO snapshots (source, updated_at, refreshing_since, complete, records, cursor, header)
         VALUES ($1, $2, NULL, TRUE, $3, $4, $5)
         ON CONFLICT (source) DO UPDATE SET updated_at = EXCLUDED.updated_at,
           refreshing_since = NULL, complete = TRUE, records = EXCLUDED.records,
           cursor = EXCLUDED.cursor, header = EXCLUDED.header",
    )
    .bind(&e.source)
    .bind(at)
    .bind(e.records)
    .bind(e.cursor)
    .bind(e.header)
    .execute(&mut **tx)
    .await
    .map_err(fail)?;
    Ok(())
}

/// The `taken_at` and `full_at` of a stored header.
fn header_times(header: &str) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let v: serde_json::Value = serde_json::from_str(header).unwrap_or_default();
    let time = |k: &str| {
        v.get(k)
            .and_then(|t| t.as_str())
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    (time("taken_at"), time("full_at"))
}

#[async_trait]
impl SnapshotStore for PostgresStore {
    async fn snapshot_state(&self, source: &SourceId) -> Result<SnapshotState, StoreError> {
        let fail = |e| StoreError::backend("read the snapshot state", e);
        let row = query(
            "SELECT updated_at, refreshing_since, complete, records, cursor, header
             FROM snapshots WHERE source = $1",
        )
        .bind(source.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(fail)?;
        let Some(r) = row else {
            return Ok(SnapshotState::default());
        };
        let header: Option<String> = r.try_get(5).map_err(fail)?;
        let (taken_at, full_at) = header.as_deref().map(header_times).unwrap_or_default();
        Ok(SnapshotState {
            updated_at: r.try_get(0).map_err(fail)?,
            refreshing_since: r.try_get(1).map_err(fail)?,
            complete: r.try_get(2).map_err(fail)?,
            records: r.try_get::<i64, _>(3).map_err(fail)? as usize,
            cursor: r
                .try_get::<Option<String>, _>(4)
                .map_err(fail)?
                .map(ucx_sync_core::Cursor),
            taken_at,
            full_at,
        })
    }

    async fn begin_refresh(&self, source: &SourceId, at: DateTime<Utc>) -> Result<(), StoreError> {
        query(
            "INSERT INTO snapshots (source, refreshing_since) VALUES ($1, $2)
             ON CONFLICT (source) DO UPDATE SET refreshing_since = EXCLUDED.refreshing_since",
        )
        .bind(source.as_str())
        .bind(at)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(|e| StoreError::backend("mark the refresh", e))
    }

    async fn finish_refresh(
        &self,
        snapshot: Snapshot,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if !snapshot.complete {
            return self.abort_refresh(&snapshot.source).await;
        }
        // Encoding a million records is CPU work: off the async threads.
        let encoded = tokio::task::spawn_blocking(move || encode(snapshot))
            .await
            .map_err(|e| StoreError::backend("store task", e))??;
        let fail = |e| StoreError::backend("store the snapshot", e);
        let mut tx = self.pool.begin().await.map_err(fail)?;
        write_snapshot(&mut tx, encoded, at).await?;
        tx.commit().await.map_err(fail)
    }

    async fn abort_refresh(&self, source: &SourceId) -> Result<(), StoreError> {
        query("UPDATE snapshots SET refreshing_since = NULL WHERE source = $1")
            .bind(source.as_str())
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(|e| StoreError::backend("end the refresh", e))
    }

    async fn snapshot(&self, source: &SourceId) -> Result<Option<Snapshot>, StoreError> {
        let fail = |e| StoreError::backend("read the snapshot", e);
        let header: Option<Option<String>> =
            query("SELECT header FROM snapshots WHERE source = $1")
                .bind(source.as_str())
                .fetch_optional(&self.pool)
                .await
                .map_err(fail)?
                .map(|r| r.try_get(0))
                .transpose()
                .map_err(fail)?;
        let Some(header) = header.flatten() else {
            return Ok(None);
        };
        let blobs: Vec<Vec<u8>> =
            query("SELECT records FROM snapshot_chunks WHERE source = $1 ORDER BY seq")
                .bind(source.as_str())
                .fetch_all(&self.pool)
                .await
                .map_err(fail)?
                .iter()
                .map(|r| r.try_get(0))
                .collect::<Result<_, _>>()
                .map_err(fail)?;
        tokio::task::spawn_blocking(move || {
            let mut snapshot: Snapshot = serde_json::from_str(&header)
                .map_err(|e| StoreError::backend("read the snapshot", e))?;
            snapshot.records = ucx_sync_core::decode_chunks(&blobs)?;
            Ok(Some(snapshot))
        })
        .await
        .map_err(|e| StoreError::backend("store task", e))?
    }

    async fn finish_unchanged_refresh(
        &self,
        snapshot: Snapshot,
        stored_taken_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let encoded = tokio::task::spawn_blocking(move || encode(snapshot))
            .await
            .map_err(|e| StoreError::backend("store task", e))??;
        let fail = |e| StoreError::backend("store the snapshot", e);
        let mut tx = self.pool.begin().await.map_err(fail)?;
        let stored = query(
            "SELECT header, records FROM snapshots WHERE source = $1 AND complete FOR UPDATE",
        )
        .bind(&encoded.source)
        .fetch_optional(&mut *tx)
        .await
        .map_err(fail)?;
        // Only the header is new when the stored records are still the ones the refresh
        // started from: same snapshot time, same count.
        let same = match stored {
            Some(r) => {
                let header: Option<String> = r.try_get(0).map_err(fail)?;
                let n: i64 = r.try_get(1).map_err(fail)?;
                n == encoded.records
                    && header.as_deref().map(header_times).and_then(|(t, _)| t)
                        == Some(stored_taken_at)
            }
            None => false,
        };
        if same {
            query(
                "UPDATE snapshots SET updated_at = $2, refreshing_since = NULL, cursor = $3,
                   header = $4 WHERE source = $1",
            )
            .bind(&encoded.source)
            .bind(at)
            .bind(&encoded.cursor)
            .bind(&encoded.header)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        } else {
            write_snapshot(&mut tx, encoded, at).await?;
        }
        tx.commit().await.map_err(fail)
    }
}

fn status_name(status: RunStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[async_trait]
impl RunStore for PostgresStore {
    async fn record_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        let counts = serde_json::to_string(&run.counts)
            .map_err(|e| StoreError::backend("write a run", e))?;
        query(
            "INSERT INTO runs (source, started, finished, status, counts, error)
             VALUES ($1, $2, $3, $4, $5::jsonb, $6)
             ON CONFLICT (source, started) DO UPDATE SET finished = EXCLUDED.finished,
               status = EXCLUDED.status, counts = EXCLUDED.counts, error = EXCLUDED.error",
        )
        .bind(run.source.as_str())
        .bind(run.started)
        .bind(run.finished)
        .bind(status_name(run.status))
        .bind(counts)
        .bind(&run.error)
        .execute(&self.pool)
        .await
        .map(|_| ())
        .map_err(|e| StoreError::backend("write a run", e))
    }

    async fn runs(&self, source: &SourceId, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        let fail = |e| StoreError::backend("read runs", e);
        let rows = query(
            "SELECT started, finished, status, counts::text, error FROM runs
             WHERE source = $1 ORDER BY started DESC LIMIT $2",
        )
        .bind(source.as_str())
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(fail)?;
        rows.iter()
            .map(|r| {
                let status: String = r.try_get(2).map_err(fail)?;
                let counts: String = r.try_get(3).map_err(fail)?;
                Ok(RunRecord {
                    source: source.clone(),
                    started: r.try_get(0).map_err(fail)?,
                    finished: r.try_get(1).map_err(fail)?,
                    status: serde_json::from_value(serde_json::Value::String(status))
                        .map_err(|e| StoreError::backend("read a run's status", e))?,
                    counts: serde_json::from_str(&counts)
                        .map_err(|e| StoreError::backend("read a run's counts", e))?,
                    error: r.try_get(4).map_err(fail)?,
                })
            })
            .collect()
    }
}

#[async_trait]
impl UserStore for PostgresStore {
    async fn move_source(&self, from: &SourceId, to: &SourceId) -> Result<usize, StoreError> {
        if from == to {
            return Err(StoreError::same_source(from));
        }
        // The source's apply lease, as an apply takes it: no apply of it runs meanwhile.
        self.lock(from.as_str()).await?;
        let moved = async {
            let fail = |e| StoreError::backend("move the source", e);
            let (from, to) = (from.as_str(), to.as_str());
            let mut tx = self.pool.begin().await.map_err(fail)?;
            let theirs: i64 = query("SELECT COUNT(*) FROM users WHERE owner = $1")
                .bind(to)
                .fetch_one(&mut *tx)
                .await
                .and_then(|r| r.try_get(0))
                .map_err(fail)?;
            if theirs > 0 {
                return Err(StoreError::would_merge(
                    &SourceId::new(from),
                    &SourceId::new(to),
                    theirs as u64,
                ));
            }
            let moved = query("UPDATE users SET owner = $2 WHERE owner = $1")
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await
                .map_err(fail)?
                .rows_affected();
            let has_own: i64 = query("SELECT COUNT(*) FROM snapshots WHERE source = $1")
                .bind(to)
                .fetch_one(&mut *tx)
                .await
                .and_then(|r| r.try_get(0))
                .map_err(fail)?;
            // A snapshot the new id already has (a refresh under it) is the newer one: kept.
            if has_own > 0 {
                for statement in [
                    "DELETE FROM snapshots WHERE source = $1",
                    "DELETE FROM snapshot_chunks WHERE source = $1",
                ] {
                    query(statement)
                        .bind(from)
                        .execute(&mut *tx)
                        .await
                        .map_err(fail)?;
                }
            } else {
                query(
                    "UPDATE snapshots SET source = $2,
                       header = jsonb_set(header::jsonb, '{source}', to_jsonb($2::text))::text
                     WHERE source = $1",
                )
                .bind(from)
                .bind(to)
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
                query("UPDATE snapshot_chunks SET source = $2 WHERE source = $1")
                    .bind(from)
                    .bind(to)
                    .execute(&mut *tx)
                    .await
                    .map_err(fail)?;
            }
            query(
                "UPDATE runs SET source = $2 WHERE source = $1 AND NOT EXISTS
                   (SELECT 1 FROM runs r WHERE r.source = $2 AND r.started = runs.started)",
            )
            .bind(from)
            .bind(to)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
            tx.commit().await.map_err(fail)?;
            Ok(moved as usize)
        }
        .await;
        let released = self.unlock(from.as_str()).await;
        let moved = moved?;
        released.map(|()| moved)
    }
}
