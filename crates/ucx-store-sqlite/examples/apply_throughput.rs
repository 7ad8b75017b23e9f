//! Applies a plan of N adds (default 100,000 users of 20 fields) to a fresh SQLite file, then
//! an unchanged re-plan and a plan updating every user, and prints the times.
//!
//! ```text
//! cargo run --release -p ucx-store-sqlite --example apply_throughput -- [N]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use ucx_store_sqlite::SqliteStore;
use ucx_sync_core::{
    Desired, DiffOptions, ObjectKind, RuleLabels, SourceId, SyncKey, UsersStore, diff,
};

fn wanted(n: usize, version: &str) -> Vec<Desired> {
    (0..n)
        .map(|i| Desired {
            kind: ObjectKind::User,
            key: SyncKey::new(format!("user{i}@example.com")),
            stable_id: Some(format!("{i:08x}-0000-4000-8000-000000000000")),
            always: (0..20)
                .map(|f| {
                    (
                        format!("field_{f}"),
                        format!("value {f} of user {i} {version}"),
                    )
                })
                .collect::<Vec<_>>()
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            on_create: Default::default(),
            rules: RuleLabels::default(),
            warnings: vec![],
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("ucx-apply-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = SqliteStore::open(dir.join("ucx-sync.db")).unwrap();
    let source = SourceId::new("webex-users:bench");
    let opts = DiffOptions::default();

    let plan = diff(
        &source,
        &[],
        wanted(n, "v1").into_iter().map(Ok),
        true,
        &opts,
    );
    assert_eq!(plan.counts.add, n);
    let t = Instant::now();
    store.apply(&plan).await.unwrap();
    let adds = t.elapsed();

    let t = Instant::now();
    let users = store.users().await.unwrap();
    let load = t.elapsed();
    let same = diff(
        &source,
        &users,
        wanted(n, "v1").into_iter().map(Ok),
        true,
        &opts,
    );
    assert!(same.is_noop());

    let plan = diff(
        &source,
        &users,
        wanted(n, "v2").into_iter().map(Ok),
        true,
        &opts,
    );
    assert_eq!(plan.counts.update, n);
    let t = Instant::now();
    store.apply(&plan).await.unwrap();
    let updates = t.elapsed();
    println!(
        "sqlite: apply {n} adds {adds:.2?} ({:.0}/s); load {n} users {load:.2?}; apply {n} updates of 20 fields {updates:.2?} ({:.0}/s)",
        n as f64 / adds.as_secs_f64(),
        n as f64 / updates.as_secs_f64(),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
