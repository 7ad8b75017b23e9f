//! MemoryStore: atomic apply, idempotence, run history.

use crate::common::*;
use ucx_sync_core::*;

#[tokio::test]
async fn apply_then_replan_gives_no_changes() {
    let s = src();
    let mut renamed = user(3, Some(&s), "old@x.com", &[("first_name", "R")]);
    renamed.stable_id = Some("ci-3".into());
    let store = MemoryStore::with_users(vec![
        user(1, Some(&s), "upd@x.com", &[("first_name", "Old")]),
        user(2, Some(&s), "del@x.com", &[]),
        renamed,
        user(4, None, "manual@x.com", &[("first_name", "M")]),
    ]);
    let mut r = want("new-name@x.com", &[("first_name", "R2")], &[]);
    r.stable_id = Some("ci-3".into());
    let wanted = vec![
        want(
            "upd@x.com",
            &[("first_name", "New"), ("title", "")],
            &[("department", "D")],
        ),
        want(
            "add@x.com",
            &[("first_name", "A")],
            &[("department", "Sales")],
        ),
        want("manual@x.com", &[("first_name", "M")], &[]),
        r,
    ];
    let users = store.users().await.unwrap();
    let p = diff(
        &s,
        &users,
        wanted.clone().into_iter().map(Ok),
        true,
        &DiffOptions::default(),
    );
    assert_eq!(
        (
            p.counts.add,
            p.counts.update,
            p.counts.rename,
            p.counts.delete
        ),
        (1, 2, 1, 1)
    );
    store.apply(&p).await.unwrap();

    let after = store.users().await.unwrap();
    assert_eq!(after.len(), 4);
    let by_key = |k: &str| after.iter().find(|u| u.key.as_str() == k).unwrap().clone();
    assert_eq!(
        by_key("upd@x.com").fields.get_str("first_name"),
        Some("New")
    );
    assert_eq!(
        by_key("add@x.com").fields.get_str("department"),
        Some("Sales")
    );
    assert_eq!(by_key("add@x.com").owner, Some(s.clone()));
    assert_eq!(by_key("manual@x.com").owner, Some(s.clone()));
    let renamed = by_key("new-name@x.com");
    assert_eq!(
        (renamed.id, renamed.fields.get_str("first_name")),
        (UserId(3), Some("R2"))
    );
    assert!(after.iter().all(|u| u.key.as_str() != "del@x.com"));

    let again = diff(
        &s,
        &after,
        wanted.into_iter().map(Ok),
        true,
        &DiffOptions::default(),
    );
    assert!(again.is_noop(), "{again:#?}");
    assert_eq!(again.counts.unchanged, 4);
}

#[tokio::test]
async fn a_stale_plan_changes_nothing() {
    let s = src();
    let store = MemoryStore::with_users(vec![
        user(1, Some(&s), "a@x.com", &[]),
        user(2, Some(&s), "b@x.com", &[]),
    ]);
    let users = store.users().await.unwrap();
    // Delete a@, add c@.
    let p = diff(
        &s,
        &users,
        [Ok(want("b@x.com", &[], &[])), Ok(want("c@x.com", &[], &[]))],
        true,
        &DiffOptions::default(),
    );
    // Meanwhile someone else took c@.
    let mut taken = p.clone();
    taken.adds.clear();
    taken.deletes.clear();
    taken.adds.push(Add {
        key: SyncKey::new("c@x.com"),
        kind: ObjectKind::User,
        stable_id: None,
        fields: Fields::default(),
    });
    store.apply(&taken).await.unwrap();
    let before = store.users().await.unwrap();
    let err = store.apply(&p).await.unwrap_err();
    assert!(matches!(err, StoreError::Stale { .. }), "{err}");
    assert!(err.to_string().contains("c@x.com is already taken"));
    assert_eq!(
        store.users().await.unwrap(),
        before,
        "nothing of the stale plan was applied"
    );
}

#[tokio::test]
async fn runs_are_recorded_newest_first() {
    let store = MemoryStore::new();
    let s = src();
    let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
    for i in 0..3 {
        let run = RunRecord {
            source: s.clone(),
            started: t0 + chrono::Duration::hours(i),
            finished: None,
            status: RunStatus::Running,
            counts: Counts::default(),
            error: None,
        };
        store.record_run(&run).await.unwrap();
        store
            .record_run(&RunRecord {
                status: RunStatus::Applied,
                finished: Some(run.started),
                ..run
            })
            .await
            .unwrap();
    }
    let runs = store.runs(&s, 2).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].started, t0 + chrono::Duration::hours(2));
    assert!(runs.iter().all(|r| r.status == RunStatus::Applied));
    assert!(store.runs(&other(), 10).await.unwrap().is_empty());
}
