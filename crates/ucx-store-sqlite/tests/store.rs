//! SqliteStore: the users database's contract (atomic apply, stale plans, snapshots, runs),
//! persistence, the apply lock, migrations, and a process killed mid-apply, many times.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use ucx_store_sqlite::{SCHEMA_VERSION, SqliteStore};
use ucx_sync_core::*;
use ucx_testkit::MemoryAdapter;
use ucx_testkit::store::{self, StoreFactory, plan, source as src, user, want};

struct Sqlite;

#[async_trait]
impl StoreFactory for Sqlite {
    async fn store(&self, users: Vec<User>) -> Arc<dyn UserStore> {
        let s = SqliteStore::open_in_memory().unwrap();
        s.import_users(users).await.unwrap();
        Arc::new(s)
    }
}

#[tokio::test]
async fn sqlite_keeps_the_store_contract() {
    store::run_all(&Sqlite).await.unwrap();
}

/// On a multi-threaded runtime a plan is applied in place (`block_in_place`), not copied to a
/// blocking task: the same contract must hold.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_keeps_the_store_contract_on_a_multi_threaded_runtime() {
    store::run_all(&Sqlite).await.unwrap();
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ucx-store-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("ucx-sync.db")
}

#[tokio::test]
async fn applied_plans_and_snapshots_survive_reopening() {
    let s = src();
    let path = temp_db("reopen");
    let store = SqliteStore::open(&path).unwrap();
    store
        .import_users(vec![user(
            1,
            Some(&s),
            "upd@x.com",
            &[("first_name", "Old")],
        )])
        .await
        .unwrap();
    let wanted = vec![
        want("upd@x.com", &[("first_name", "New")], &[]),
        want(
            "add@x.com",
            &[("first_name", "A")],
            &[("department", "Sales")],
        ),
    ];
    store
        .apply(&plan(&store.users().await.unwrap(), wanted.clone()))
        .await
        .unwrap();
    let snap = Snapshot {
        source: s.clone(),
        taken_at: Utc::now(),
        complete: true,
        records: vec![SourceRecord::new(ObjectKind::User, "add@x.com")],
        cursor: None,
        full_at: None,
    };
    store
        .finish_refresh(snap.clone(), Utc::now())
        .await
        .unwrap();
    drop(store);

    let store = SqliteStore::open(&path).unwrap();
    let after = store.users().await.unwrap();
    assert_eq!(after.len(), 2);
    assert!(plan(&after, wanted).is_noop());
    assert_eq!(store.snapshot(&s).await.unwrap(), Some(snap));
    store.integrity_check().await.unwrap();
}

#[tokio::test]
async fn the_pipeline_runs_on_sqlite() {
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let adapter = Arc::new(MemoryAdapter::new(
        "webex-users:acme",
        (0..50)
            .map(|i| {
                SourceRecord::new(ObjectKind::User, format!("u{i}@x.com"))
                    .with_attributes([("first_name", [format!("U{i}")])].into_iter().collect())
            })
            .collect(),
    ));
    #[derive(Debug)]
    struct M;
    impl RecordMapper for M {
        fn map(&self, r: &SourceRecord) -> Result<Desired, MappingError> {
            Ok(Desired {
                kind: r.kind,
                key: r.key.clone(),
                stable_id: None,
                always: [(
                    "first_name",
                    r.attributes.first("first_name").unwrap_or_default(),
                )]
                .into_iter()
                .collect(),
                on_create: Fields::default(),
                rules: RuleLabels::default(),
                warnings: vec![],
            })
        }
    }
    let setup = SourceSetup::new(adapter, Arc::new(M));
    let sync = Synchronizer::new(store.clone());
    assert_eq!(sync.refresh(&setup).await.unwrap(), 50);
    let out = sync.sync(&setup).await.unwrap();
    assert!(out.applied);
    assert_eq!(out.plan.counts.add, 50);
    let again = sync.sync(&setup).await.unwrap();
    assert_eq!(again.plan.counts.unchanged, 50);
    assert_eq!(store.runs(&src(), 5).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_concurrent_apply_of_the_same_source_is_refused() {
    let path = temp_db("busy");
    let a = SqliteStore::open(&path).unwrap();
    let now = chrono::Utc::now();
    // Another process holds the lease.
    set_lock(
        &path,
        "host-b/7/00ff",
        now,
        now + chrono::Duration::minutes(5),
    );
    let p = plan(&[], vec![want("a@x.com", &[], &[])]);
    let err = a.apply(&p).await.unwrap_err();
    assert!(matches!(err, StoreError::Busy { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.contains("another apply of source webex-users:acme is running (host-b/7/00ff"),
        "{text}"
    );
    assert!(a.users().await.unwrap().is_empty());

    // A lock left by a killed holder that had this very pid (a restarted container's PID 1),
    // in the pid form older builds wrote: its pid says nothing; its lease has expired.
    let old = now - chrono::Duration::minutes(6);
    set_lock(&path, &format!("pid {}", std::process::id()), old, old);
    a.apply(&p).await.unwrap();
    assert_eq!(a.users().await.unwrap().len(), 1);

    // The same pid with a live lease is still refused: liveness is the lease, not the pid.
    set_lock(
        &path,
        &format!("pid {}", std::process::id()),
        now,
        now + chrono::Duration::minutes(5),
    );
    let p = plan(
        &a.users().await.unwrap(),
        vec![want("a@x.com", &[], &[]), want("b@x.com", &[], &[])],
    );
    assert!(matches!(a.apply(&p).await, Err(StoreError::Busy { .. })));
    // A lease shorter than the lock's age is taken over.
    let short = a.clone().with_lock_lease(Duration::from_secs(60));
    set_lock_since(&path, now - chrono::Duration::minutes(2));
    short.apply(&p).await.unwrap();
    assert_eq!(short.users().await.unwrap().len(), 2);
}

/// Writes a lock row for `webex-users:acme` held by `holder`, as another process's apply
/// leaves it.
fn set_lock(
    path: &std::path::Path,
    holder: &str,
    since: chrono::DateTime<chrono::Utc>,
    expires: chrono::DateTime<chrono::Utc>,
) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute(
        "INSERT INTO apply_locks (source, holder, since, expires) VALUES ('webex-users:acme', ?1, ?2, ?3)
         ON CONFLICT(source) DO UPDATE SET holder = excluded.holder, since = excluded.since,
         expires = excluded.expires",
        [holder, &since.to_rfc3339(), &expires.to_rfc3339()],
    )
    .unwrap();
}

/// A lock row of schema 2 (no expiry) taken at `since`.
fn set_lock_since(path: &std::path::Path, since: chrono::DateTime<chrono::Utc>) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute(
        "UPDATE apply_locks SET since = ?1, expires = NULL WHERE source = 'webex-users:acme'",
        [since.to_rfc3339()],
    )
    .unwrap();
}

/// Run as a child process by `a_kill_mid_apply_leaves_before_or_after`: applies plans that
/// flip the database between two states, forever, until killed.
#[test]
fn child_flips_forever() {
    let Ok(db) = std::env::var("UCX_CHILD_FLIP") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Killed mid-apply, this child leaves its lease behind; a short one lets the next child
        // take it over at once.
        let store = SqliteStore::open(db)
            .unwrap()
            .with_lock_lease(Duration::from_millis(1));
        loop {
            let users = store.users().await.unwrap();
            store.apply(&store::flip_plan(&users)).await.unwrap();
        }
    });
}

#[tokio::test]
async fn a_kill_mid_apply_leaves_before_or_after() {
    let path = temp_db("crash");
    {
        let store = SqliteStore::open(&path).unwrap();
        let users = store::flip_start();
        store.import_users(users).await.unwrap();
    }
    let mut seen = [0usize; 2];
    for round in 0..12u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "child_flips_forever",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("UCX_CHILD_FLIP", &path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Different moments of the cycle each round.
        std::thread::sleep(Duration::from_millis(150 + round * 37 % 200));
        child.kill().unwrap();
        child.wait().unwrap();
        let store = SqliteStore::open(&path).unwrap();
        store.integrity_check().await.unwrap();
        let users = store.users().await.unwrap();
        match store::flip_state(&users) {
            Ok(state) => seen[state] += 1,
            Err(e) => panic!("round {round}: {e}"),
        }
        // The killed child's lease expires at once, so the next child's apply takes it over.
    }
    eprintln!("kills that found the database before/after a flip: {seen:?}");
    assert_eq!(seen.iter().sum::<usize>(), 12);
}

#[tokio::test]
async fn the_schema_is_versioned() {
    let path = temp_db("schema");
    SqliteStore::open(&path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    // Opening again runs no migration twice.
    SqliteStore::open(&path).unwrap();
    // A database from a newer build is refused, naming both versions.
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(err.to_string().contains("newer than this build"), "{err}");
}

fn big_snapshot(s: &SourceId, n: usize) -> Snapshot {
    Snapshot {
        source: s.clone(),
        taken_at: Utc::now(),
        complete: true,
        records: (0..n)
            .map(|i| {
                SourceRecord::new(ObjectKind::User, format!("user{i}@example.com"))
                    .with_stable_id(format!("id-{i}"))
                    .with_attributes(
                        [
                            ("email", vec![format!("user{i}@example.com")]),
                            ("Department", vec!["R&D \"Labs\"\n\u{e9}".to_owned()]),
                            ("phoneNumber", vec![format!("+1 555 {i:07}"), String::new()]),
                            ("empty", vec![]),
                        ]
                        .into_iter()
                        .collect(),
                    )
            })
            .collect(),
        cursor: Some(Cursor("delta-token".into())),
        full_at: None,
    }
}

fn chunk_rows(path: &std::path::Path, s: &SourceId) -> i64 {
    rusqlite::Connection::open(path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM snapshot_chunks WHERE source = ?1",
            [s.as_str()],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test]
async fn large_snapshots_are_stored_in_chunks_and_read_back_whole() {
    let s = src();
    let path = temp_db("chunks");
    let store = SqliteStore::open(&path).unwrap();
    let big = big_snapshot(&s, 2_501);
    store.finish_refresh(big.clone(), Utc::now()).await.unwrap();
    assert_eq!(chunk_rows(&path, &s), 3);
    assert_eq!(store.snapshot(&s).await.unwrap(), Some(big));
    let state = store.snapshot_state(&s).await.unwrap();
    assert_eq!(state.records, 2_501);
    assert_eq!(state.cursor, Some(Cursor("delta-token".into())));

    // A smaller snapshot replaces every chunk of the bigger one.
    let small = big_snapshot(&s, 10);
    store
        .finish_refresh(small.clone(), Utc::now())
        .await
        .unwrap();
    assert_eq!(chunk_rows(&path, &s), 1);
    assert_eq!(store.snapshot(&s).await.unwrap(), Some(small));
    store.integrity_check().await.unwrap();
}

#[tokio::test]
async fn a_snapshot_written_before_chunks_is_still_read() {
    let s = src();
    let path = temp_db("v1-snapshot");
    SqliteStore::open(&path).unwrap();
    // Turn the file back into a version-1 database holding a snapshot in one JSON value.
    let old = big_snapshot(&s, 3);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TABLE pictures; DROP TABLE snapshot_chunks; ALTER TABLE apply_locks DROP COLUMN expires; PRAGMA user_version = 1;",
        )
            .unwrap();
        conn.execute(
            "INSERT INTO snapshots (source, updated_at, complete, records, data) VALUES (?1, '2026-01-01T00:00:00Z', 1, 3, ?2)",
            rusqlite::params![s.as_str(), serde_json::to_string(&old).unwrap()],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.snapshot(&s).await.unwrap(), Some(old));
}

#[tokio::test]
async fn pictures_are_kept_beside_their_users_and_go_with_them() {
    let s = src();
    let path = temp_db("pictures");
    let store = SqliteStore::open(&path).unwrap();
    store
        .apply(&plan(
            &[],
            vec![want("ann", &[("picture", "https://example.com/a~1")], &[])],
        ))
        .await
        .unwrap();
    let ann = store.users().await.unwrap().remove(0);
    let png = bytes::Bytes::from_static(b"\x89PNG\r\n\x1a\n0000");
    let picture = Picture::checked(png.clone(), Some("\"v1\"".into()), 1024).unwrap();
    let meta = PictureMeta::of("https://example.com/a~1", &picture);
    store
        .apply_pictures(&PictureChanges {
            store: vec![(ann.id, meta.clone(), png.clone())],
            remove: vec![],
        })
        .await
        .unwrap();
    // It survives reopening, and the index names it by user.
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.picture(ann.id).await.unwrap(),
        Some((meta.clone(), png))
    );
    assert_eq!(
        store.picture_index(&s).await.unwrap().get(&ann.id),
        Some(&meta)
    );
    // Deleting the user deletes the picture.
    let users = store.users().await.unwrap();
    store.apply(&plan(&users, vec![])).await.unwrap();
    assert_eq!(store.picture(ann.id).await.unwrap(), None);
    assert!(store.picture_index(&s).await.unwrap().is_empty());
}
