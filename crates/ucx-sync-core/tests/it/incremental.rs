//! Incremental refreshes through a source's change feed: the plan equals a full read's, full
//! reads come on their schedule, and a feed that cannot be used falls back to a full read.

use std::sync::Arc;
use std::time::Duration;

use crate::common::*;
use ucx_sync_core::*;
use ucx_testkit::MemoryAdapter;

fn setup(adapter: &MemoryAdapter, full_every: Option<Duration>) -> SourceSetup {
    {
        let mut v = SourceSetup::new(Arc::new(adapter.clone()), Arc::new(TestMapper));
        v.guard = Guard::default().allowing_deletes().allowing_clears();
        v.full_every = full_every;
        v
    }
}

fn person(i: u64, generation: u64) -> SourceRecord {
    let mut r = record(
        &format!("u{i}@x.com"),
        &[
            ("first_name", &format!("F{i}-{generation}")),
            ("email", &format!("u{i}@x.com")),
        ],
    );
    r.stable_id = Some(format!("id-{i}"));
    r
}

/// A source of `n` people whose change feed bookmarks at `c1`.
fn tenant(n: u64) -> MemoryAdapter {
    let adapter = MemoryAdapter::new("webex-users:acme", (0..n).map(|i| person(i, 0)).collect());
    adapter.add_changes("", changes(vec![], "c1"));
    adapter
}

/// Upserts, then the next cursor.
fn changes(upserts: Vec<SourceRecord>, next: &str) -> ChangeSet {
    ChangeSet {
        upserts,
        cursor: Some(Cursor(next.into())),
        ..ChangeSet::default()
    }
}

/// A small deterministic generator (no dependency, the same run every time).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn summary(plan: &Plan) -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    let keys = |v: Vec<&SyncKey>| v.into_iter().map(|k| k.to_string()).collect::<Vec<_>>();
    (
        keys(plan.adds.iter().map(|a| &a.key).collect()),
        keys(plan.updates.iter().map(|u| &u.key).collect()),
        keys(plan.renames.iter().map(|r| &r.key).collect()),
        keys(plan.deletes.iter().map(|d| &d.key).collect()),
    )
}

#[tokio::test]
async fn an_incremental_refresh_plans_exactly_what_a_full_read_would() {
    for seed in 1..=40u64 {
        let mut rng = Lcg(seed);
        let n = 20 + rng.next(30);
        let before: Vec<SourceRecord> = (0..n).map(|i| person(i, 0)).collect();
        let adapter = MemoryAdapter::new("webex-users:acme", before.clone());
        adapter.add_changes(
            "",
            ChangeSet {
                cursor: Some(Cursor("c1".into())),
                ..ChangeSet::default()
            },
        );
        let store = Arc::new(MemoryStore::new());
        let sync = Synchronizer::new(store.clone());
        let s = setup(&adapter, Some(Duration::from_secs(86_400)));
        sync.refresh_and_sync(&s, &|_| {}).await.unwrap();

        // Random changes: updates, removals, additions, renames (same stable id, new key).
        let mut after: Vec<SourceRecord> = Vec::new();
        let mut set = ChangeSet {
            cursor: Some(Cursor("c2".into())),
            ..ChangeSet::default()
        };
        for r in &before {
            let i: u64 = r.stable_id.as_deref().unwrap()[3..].parse().unwrap();
            match rng.next(6) {
                0 => {
                    let changed = person(i, 1);
                    set.upserts.push(changed.clone());
                    after.push(changed);
                }
                1 => set.removals.push(r.key.clone()),
                2 => set.removed_ids.push(format!("id-{i}")),
                3 => {
                    let mut renamed = person(i, 0);
                    renamed.key = SyncKey::new(format!("renamed{i}@x.com"));
                    set.upserts.push(renamed.clone());
                    after.push(renamed);
                }
                _ => after.push(r.clone()),
            }
        }
        for j in 0..rng.next(5) {
            let added = person(1000 + j, 0);
            set.upserts.push(added.clone());
            after.push(added);
        }
        adapter.add_changes("c1", set);
        adapter.set_records(after.clone());

        let incremental = sync.refresh_and_sync(&s, &|_| {}).await.unwrap().1.plan;
        // The same change on a twin database, read in full.
        let twin = Arc::new(MemoryStore::new());
        let full_sync = Synchronizer::new(twin.clone());
        let full_source = MemoryAdapter::new("webex-users:acme", before.clone());
        let f = setup(&full_source, None);
        full_sync.refresh_and_sync(&f, &|_| {}).await.unwrap();
        full_source.set_records(after);
        let full = full_sync
            .refresh_and_sync(&f, &|_| {})
            .await
            .unwrap()
            .1
            .plan;
        assert_eq!(summary(&incremental), summary(&full), "seed {seed}");
        assert_eq!(incremental.counts, full.counts, "seed {seed}");
        assert_eq!(
            store.users().await.unwrap().len(),
            twin.users().await.unwrap().len()
        );
    }
}

#[tokio::test]
async fn the_cursor_moves_on_and_a_full_read_comes_on_its_schedule() {
    let adapter = tenant(5);
    adapter.add_changes(
        "c1",
        ChangeSet {
            upserts: vec![person(0, 1)],
            cursor: Some(Cursor("c2".into())),
            ..ChangeSet::default()
        },
    );
    let store = Arc::new(MemoryStore::new());
    let sync = Synchronizer::new(store.clone());
    let s = setup(&adapter, Some(Duration::from_secs(86_400)));
    sync.refresh(&s).await.unwrap();
    let first = store.snapshot(&src()).await.unwrap().unwrap();
    assert_eq!(
        first.cursor,
        Some(Cursor("c1".into())),
        "bookmark taken before the full read"
    );
    let full_at = first.full_at.unwrap();
    sync.refresh(&s).await.unwrap();
    let second = store.snapshot(&src()).await.unwrap().unwrap();
    assert_eq!(second.cursor, Some(Cursor("c2".into())));
    assert_eq!(
        second.full_at,
        Some(full_at),
        "an incremental refresh keeps the last full read's time"
    );
    let alice = second
        .records
        .iter()
        .find(|r| r.key.as_str() == "u0@x.com")
        .unwrap();
    assert_eq!(alice.attributes.first("first_name"), Some("F0-1"));

    // Due at once: the change feed is not used; the list is read in full and a new bookmark
    // taken (the adapter answers "" again).
    adapter.set_records(vec![person(9, 0)]);
    let due = setup(&adapter, Some(Duration::ZERO));
    sync.refresh(&due).await.unwrap();
    let third = store.snapshot(&src()).await.unwrap().unwrap();
    assert_eq!(third.records.len(), 1, "a full read");
    assert_eq!(third.cursor, Some(Cursor("c1".into())));
    assert!(third.full_at.unwrap() > full_at);
}

#[tokio::test]
async fn a_feed_the_source_cannot_follow_falls_back_to_a_full_read() {
    // No answer for the stored cursor: MemoryAdapter says NotFound, a real failure: the refresh
    // fails and keeps the previous snapshot.
    let adapter = tenant(3);
    let store = Arc::new(MemoryStore::new());
    let sync = Synchronizer::new(store.clone());
    let s = setup(&adapter, Some(Duration::from_secs(86_400)));
    sync.refresh(&s).await.unwrap();
    assert!(sync.refresh(&s).await.is_err());
    assert_eq!(
        store.snapshot(&src()).await.unwrap().unwrap().records.len(),
        3
    );

    // A feed lost on the source's side (an expired delta token, a restarted AXL queue) comes
    // back `full`: the snapshot is exactly what it says, and the next full read is counted
    // from now.
    adapter.add_changes(
        "c1",
        ChangeSet {
            upserts: vec![person(7, 0)],
            full: true,
            cursor: Some(Cursor("c9".into())),
            ..ChangeSet::default()
        },
    );
    sync.refresh(&s).await.unwrap();
    let snap = store.snapshot(&src()).await.unwrap().unwrap();
    assert_eq!(snap.records.len(), 1);
    assert_eq!(snap.cursor, Some(Cursor("c9".into())));
}

#[tokio::test]
async fn removals_from_a_feed_go_through_the_same_guards() {
    let adapter = tenant(20);
    adapter.add_changes(
        "c1",
        ChangeSet {
            removed_ids: (0..18).map(|i| format!("id-{i}")).collect(),
            cursor: Some(Cursor("c2".into())),
            ..ChangeSet::default()
        },
    );
    let store = Arc::new(MemoryStore::new());
    let sync = Synchronizer::new(store.clone());
    let mut s = setup(&adapter, Some(Duration::from_secs(86_400)));
    s.guard = Guard::default();
    sync.refresh_and_sync(&s, &|_| {}).await.unwrap();
    let err = sync.refresh_and_sync(&s, &|_| {}).await.unwrap_err();
    assert!(matches!(err, SyncError::Guard { .. }), "{err}");
    assert_eq!(store.users().await.unwrap().len(), 20, "nothing deleted");
}
