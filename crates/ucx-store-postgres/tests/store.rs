//! PostgresStore against a real PostgreSQL: the store contract every store keeps (atomic apply,
//! stale plans, snapshots, runs, moving a source), the apply lease across stores, and
//! migrations with checksums. `.ci/run` starts a throwaway cluster on loopback and sets
//! `UCX_TEST_POSTGRES_URL`; without one these tests say so and pass, unless
//! `UCX_REQUIRE_POSTGRES` is set (as `.ci/run` does once its cluster is up).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ucx_store_postgres::{PgConnectOptions, PgPoolOptions, PostgresStore};
use ucx_sync_core::*;
use ucx_testkit::store::{self, StoreFactory, plan, source as src, user, want};

use ucx_testkit::postgres::server_url as server;

/// A fresh schema of its own on the server, and the options that use it.
async fn fresh_schema(url: &str) -> PgConnectOptions {
    fresh_named_schema(url).await.0
}

/// [`fresh_schema`], with the schema's name.
async fn fresh_named_schema(url: &str) -> (PgConnectOptions, String) {
    let schema = ucx_testkit::postgres::unique_name("t");
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    // unique_name is letters, digits and underscores only.
    sqlx_core::query::query(sqlx_core::sql_str::AssertSqlSafe(format!(
        "CREATE SCHEMA {schema}"
    )))
    .execute(&admin)
    .await
    .unwrap();
    admin.close().await;
    let options = PgConnectOptions::from_str(url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    (options, schema)
}

async fn store_in(options: PgConnectOptions) -> PostgresStore {
    PostgresStore::connect(options).await.unwrap()
}

struct Pg(String);

#[async_trait]
impl StoreFactory for Pg {
    async fn store(&self, users: Vec<User>) -> Arc<dyn UserStore> {
        let s = store_in(fresh_schema(&self.0).await).await;
        s.import_users(users).await.unwrap();
        Arc::new(s)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_keeps_the_store_contract() {
    let Some(url) = server() else { return };
    store::run_all(&Pg(url)).await.unwrap();
}

/// Two stores (two workers) on one database: while one holds a source's apply lease the other
/// is refused with the holder named; a lease left by a worker that died is taken over once it
/// expires; and the plan then applies.
#[tokio::test(flavor = "multi_thread")]
async fn one_apply_of_a_source_at_a_time_across_workers() {
    let Some(url) = server() else { return };
    let options = fresh_schema(&url).await;
    let a = store_in(options.clone())
        .await
        .with_lease(Duration::from_secs(2));
    let b = store_in(options).await;
    let s = src();
    // Worker A takes the lease and "dies" holding it (no release).
    sqlx_core::query::query(
        "INSERT INTO apply_locks (source, holder, since, expires) VALUES ($1, 'worker-a:dead', now(), now() + interval '2 seconds')",
    )
    .bind(s.as_str())
    .execute(a.pool())
    .await
    .unwrap();
    let p = plan(
        &[],
        vec![want("ann@x.com", &[("display_name", "Ann")], &[])],
    );
    match b.apply(&p).await {
        Err(StoreError::Busy { holder, .. }) => assert_eq!(holder, "worker-a:dead"),
        other => panic!("a held source was applied: {other:?}"),
    }
    assert!(
        b.users().await.unwrap().is_empty(),
        "nothing applied while refused"
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    b.apply(&p).await.unwrap();
    assert_eq!(
        a.users().await.unwrap().len(),
        1,
        "the other worker sees it"
    );
    let leases: i64 = sqlx_core::query::query("SELECT COUNT(*) FROM apply_locks")
        .fetch_one(a.pool())
        .await
        .map(|r| sqlx_core::row::Row::get(&r, 0))
        .unwrap();
    assert_eq!(leases, 0, "the lease is released after the apply");
}

/// Two workers starting together migrate once; a database whose applied migration was edited
/// since (its checksum differs) is refused.
/// Users are read in batches parsed while the next rows arrive: more than two batches come
/// back whole, in id order, each as it was stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_read_in_batches_come_back_whole_and_in_order() {
    let Some(url) = server() else { return };
    let s = src();
    let n = 45_001;
    let users: Vec<User> = (1..=n)
        .map(|i| {
            user(
                i,
                Some(&s),
                &format!("u{i}@x.com"),
                &[("display_name", &format!("U{i}"))],
            )
        })
        .collect();
    let store = store_in(fresh_schema(&url).await).await;
    store.import_users(users.clone()).await.unwrap();
    let read = store.users().await.unwrap();
    assert_eq!(read.len(), users.len());
    assert!(read.windows(2).all(|w| w[0].id < w[1].id), "in id order");
    assert_eq!(read, users, "each as stored");
}

/// A worker cut off from the database mid-apply: its lease lapsed, but its transaction is still
/// open on the server. Another worker takes the lease over, yet may not commit beside it: the
/// transaction's own lock refuses the apply until that transaction is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lapsed_lease_still_open_on_the_server_refuses_a_second_apply() {
    let Some(url) = server() else { return };
    let options = fresh_schema(&url).await;
    let a = store_in(options.clone()).await;
    let b = store_in(options).await;
    let s = src();
    let mut open = a.pool().begin().await.unwrap();
    sqlx_core::query::query(
        "SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || $1, 0))",
    )
    .bind(format!(" ucx-sync apply {}", s.as_str()))
    .execute(&mut *open)
    .await
    .unwrap();
    let p = plan(
        &[],
        vec![want("ann@x.com", &[("display_name", "Ann")], &[])],
    );
    match b.apply(&p).await {
        Err(StoreError::Busy { .. }) => {}
        other => panic!("applied beside an open apply: {other:?}"),
    }
    assert!(b.users().await.unwrap().is_empty());
    open.rollback().await.unwrap();
    b.apply(&p).await.unwrap();
    assert_eq!(b.users().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_run_once_and_an_edited_one_is_refused() {
    let Some(url) = server() else { return };
    let options = fresh_schema(&url).await;
    let (a, b) = tokio::join!(
        PostgresStore::connect(options.clone()),
        PostgresStore::connect(options.clone())
    );
    let (a, _b) = (a.unwrap(), b.unwrap());
    let applied: i64 = sqlx_core::query::query("SELECT COUNT(*) FROM _sqlx_migrations")
        .fetch_one(a.pool())
        .await
        .map(|r| sqlx_core::row::Row::get(&r, 0))
        .unwrap();
    assert_eq!(applied, ucx_store_postgres::SCHEMA_VERSION);
    sqlx_core::query::query("UPDATE _sqlx_migrations SET checksum = '\\x00'::bytea")
        .execute(a.pool())
        .await
        .unwrap();
    let err = PostgresStore::connect(options).await.unwrap_err();
    assert!(err.to_string().contains("migrate"), "{err}");
}

/// A plan of many adds, updates and deletes goes through in one transaction; one stale step
/// leaves everything as it was.
#[tokio::test(flavor = "multi_thread")]
async fn a_large_plan_applies_whole_or_not_at_all() {
    let Some(url) = server() else { return };
    let s = src();
    let users: Vec<User> = (1..=3000)
        .map(|i| {
            user(
                i,
                Some(&s),
                &format!("u{i}@x.com"),
                &[("display_name", "Old")],
            )
        })
        .collect();
    let store = store_in(fresh_schema(&url).await).await;
    store.import_users(users.clone()).await.unwrap();
    // Keep 1..=2000 (renamed display), drop 2001..=3000, add 5000 new.
    let mut wanted: Vec<Desired> = (1..=2000)
        .map(|i| want(&format!("u{i}@x.com"), &[("display_name", "New")], &[]))
        .collect();
    wanted.extend((1..=5000).map(|i| want(&format!("n{i}@x.com"), &[("display_name", "N")], &[])));
    let mut p = plan(&users, wanted);
    assert_eq!(
        (p.counts.add, p.counts.update, p.counts.delete),
        (5000, 2000, 1000)
    );
    // Someone deleted one of the users to update meanwhile: the plan is stale.
    sqlx_core::query::query("DELETE FROM users WHERE key = 'u7@x.com'")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(matches!(
        store.apply(&p).await,
        Err(StoreError::Stale { .. })
    ));
    assert_eq!(
        store.users().await.unwrap().len(),
        2999,
        "nothing of the plan applied"
    );
    p = plan(&store.users().await.unwrap(), {
        let mut w: Vec<Desired> = (1..=2000)
            .filter(|i| *i != 7)
            .map(|i| want(&format!("u{i}@x.com"), &[("display_name", "New")], &[]))
            .collect();
        w.extend((1..=5000).map(|i| want(&format!("n{i}@x.com"), &[("display_name", "N")], &[])));
        w
    });
    store.apply(&p).await.unwrap();
    let after = store.users().await.unwrap();
    assert_eq!(after.len(), 1999 + 5000);
    assert!(
        after
            .iter()
            .filter(|u| u.key.as_str().starts_with('u'))
            .all(|u| u.fields.get_str("display_name") == Some("New"))
    );
}

/// The options of the schema `UCX_CHILD_PG_SCHEMA` on the test server.
fn child_options() -> Option<PgConnectOptions> {
    let schema = std::env::var("UCX_CHILD_PG_SCHEMA").ok()?;
    let url = std::env::var("UCX_TEST_POSTGRES_URL").ok()?;
    Some(
        PgConnectOptions::from_str(&url)
            .unwrap()
            .options([("search_path", schema.as_str())]),
    )
}

/// Run as a worker process by `a_worker_killed_mid_apply_leaves_before_or_after`: applies
/// plans that flip the users between two states, forever, until killed.
#[test]
#[ignore = "a worker process that a_worker_killed_mid_apply_leaves_before_or_after starts and kills"]
fn worker_flips_forever() {
    let options = child_options().expect("started by the parent test");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        // Killed mid-apply, this worker leaves its lease behind; a short one lets the next
        // worker take it over at once.
        let store = store_in(options).await.with_lease(Duration::from_millis(1));
        loop {
            let users = store.users().await.unwrap();
            store.apply(&store::flip_plan(&users)).await.unwrap();
        }
    });
}

/// A worker killed at any moment of an apply leaves the users before or after the plan,
/// never between, and the next worker takes the source over and goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_apply_leaves_before_or_after() {
    let Some(url) = server() else { return };
    let (options, schema) = fresh_named_schema(&url).await;
    let store = store_in(options).await;
    store.import_users(store::flip_start()).await.unwrap();
    let mut seen = [0usize; 2];
    for round in 0..8u64 {
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "worker_flips_forever",
                "--ignored",
                "--test-threads=1",
            ])
            .env("UCX_CHILD_PG_SCHEMA", &schema)
            .env("UCX_TEST_POSTGRES_URL", &url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Different moments of the cycle each round.
        tokio::time::sleep(Duration::from_millis(400 + round * 97 % 400)).await;
        child.kill().unwrap();
        child.wait().unwrap();
        let users = store.users().await.unwrap();
        match store::flip_state(&users) {
            Ok(state) => seen[state] += 1,
            Err(e) => panic!("round {round}: {e}"),
        }
    }
    eprintln!("kills that found the users before/after a flip: {seen:?}");
    assert!(seen[1] > 0, "no worker got as far as an apply: {seen:?}");
}
