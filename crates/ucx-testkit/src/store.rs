//! The contract every [`UserStore`] keeps, as checks any store's tests run: an applied plan
//! leaves nothing to re-plan, a stale plan changes nothing, snapshots and runs round-trip.
//!
//! A store implements [`StoreFactory`] (a store holding given users) and calls [`run_all`].

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use ucx_sync_core::{
    Add, Counts, Cursor, Desired, DiffOptions, Fields, ObjectKind, Plan, RuleLabels, RunRecord,
    RunStatus, Snapshot, SnapshotState, SourceId, SourceRecord, StoreError, SyncKey, User, UserId,
    UserStore, diff,
};

/// Makes the store under test.
#[async_trait]
pub trait StoreFactory: Send + Sync {
    /// A fresh store holding `users` as they are (ids included).
    async fn store(&self, users: Vec<User>) -> Arc<dyn UserStore>;
}

/// The source the checks plan for.
pub fn source() -> SourceId {
    SourceId::new("webex-users:acme")
}

/// A user with `fields`.
pub fn user(id: u64, owner: Option<&SourceId>, key: &str, fields: &[(&str, &str)]) -> User {
    User {
        id: UserId(id),
        kind: ObjectKind::User,
        owner: owner.cloned(),
        key: SyncKey::new(key),
        stable_id: None,
        fields: fields.iter().copied().collect(),
    }
}

/// A wanted user: fields written every time and only when adding.
pub fn want(key: &str, always: &[(&str, &str)], on_create: &[(&str, &str)]) -> Desired {
    Desired {
        kind: ObjectKind::User,
        key: SyncKey::new(key),
        stable_id: None,
        always: always.iter().copied().collect(),
        on_create: on_create.iter().copied().collect(),
        rules: RuleLabels::new([("first_name", "every time: firstName")]),
        warnings: vec![],
    }
}

/// The plan of [`source`] from `users` to `wanted` (a complete snapshot).
pub fn plan(users: &[User], wanted: Vec<Desired>) -> Plan {
    diff(
        &source(),
        users,
        wanted.into_iter().map(Ok),
        true,
        &DiffOptions::default(),
    )
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

/// Adds, updates, a rename, a delete and an adoption applied together; planning again gives
/// nothing to do.
pub async fn apply_then_replan_gives_no_changes(f: &dyn StoreFactory) -> Result<(), String> {
    let s = source();
    let mut renamed = user(3, Some(&s), "old@x.com", &[("first_name", "R")]);
    renamed.stable_id = Some("ci-3".into());
    let store = f
        .store(vec![
            user(1, Some(&s), "upd@x.com", &[("first_name", "Old")]),
            user(2, Some(&s), "del@x.com", &[]),
            renamed,
            user(4, None, "manual@x.com", &[("first_name", "M")]),
        ])
        .await;
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
    let users = store.users().await.map_err(|e| e.to_string())?;
    let p = plan(&users, wanted.clone());
    let c = p.counts;
    check(
        (c.add, c.update, c.rename, c.delete) == (1, 2, 1, 1),
        || format!("unexpected plan {c:?}"),
    )?;
    store.apply(&p).await.map_err(|e| format!("apply: {e}"))?;
    let after = store.users().await.map_err(|e| e.to_string())?;
    let get = |k: &str| after.iter().find(|u| u.key.as_str() == k);
    check(after.len() == 4, || {
        format!("{} users after apply, expected 4", after.len())
    })?;
    check(
        get("upd@x.com").and_then(|u| u.fields.get_str("first_name")) == Some("New"),
        || "the update was not applied".into(),
    )?;
    check(
        get("add@x.com").is_some_and(|u| {
            u.fields.get_str("department") == Some("Sales") && u.owner.as_ref() == Some(&s)
        }),
        || "the add was not applied with its create-only field and owner".into(),
    )?;
    check(
        get("manual@x.com").is_some_and(|u| u.owner.as_ref() == Some(&s)),
        || "the manual user was not adopted".into(),
    )?;
    check(
        get("new-name@x.com").is_some_and(|u| {
            u.id == UserId(3)
                && u.fields.get_str("first_name") == Some("R2")
                && u.stable_id.as_deref() == Some("ci-3")
        }),
        || "the rename did not keep the user".into(),
    )?;
    check(get("del@x.com").is_none(), || {
        "the delete was not applied".into()
    })?;
    let again = plan(&after, wanted);
    check(again.is_noop(), || {
        format!("re-planning found work: {:?}", again.counts)
    })
}

/// A plan whose add collides with a key taken meanwhile is refused as stale, and nothing of it
/// (not even its delete) is applied.
pub async fn a_stale_plan_changes_nothing(f: &dyn StoreFactory) -> Result<(), String> {
    let s = source();
    let store = f
        .store(vec![
            user(1, Some(&s), "a@x.com", &[]),
            user(2, Some(&s), "b@x.com", &[]),
        ])
        .await;
    let users = store.users().await.map_err(|e| e.to_string())?;
    let p = plan(
        &users,
        vec![want("b@x.com", &[], &[]), want("c@x.com", &[], &[])],
    );
    let mut taken = p.clone();
    taken.deletes.clear();
    taken.adds = vec![Add {
        key: SyncKey::new("c@x.com"),
        kind: ObjectKind::User,
        stable_id: None,
        fields: Fields::default(),
    }];
    store.apply(&taken).await.map_err(|e| e.to_string())?;
    let before = store.users().await.map_err(|e| e.to_string())?;
    match store.apply(&p).await {
        Err(StoreError::Stale { reason }) => {
            check(reason.contains("c@x.com is already taken"), || {
                format!("stale reason does not name the key: {reason}")
            })?
        }
        other => return Err(format!("expected a stale plan, got {other:?}")),
    }
    let after = store.users().await.map_err(|e| e.to_string())?;
    check(after == before, || {
        "part of a stale plan was applied".into()
    })
}

/// A refresh's state, a complete snapshot and its cursor round-trip; a failed refresh keeps the
/// previous snapshot; runs are updated in place and listed newest first.
pub async fn snapshots_and_runs_round_trip(f: &dyn StoreFactory) -> Result<(), String> {
    let store = f.store(vec![]).await;
    let s = source();
    let e = |e: StoreError| e.to_string();
    check(
        store.snapshot_state(&s).await.map_err(e)? == SnapshotState::default(),
        || "a new source has a snapshot state".into(),
    )?;
    let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_else(Utc::now);
    store.begin_refresh(&s, t0).await.map_err(e)?;
    check(
        store.snapshot_state(&s).await.map_err(e)?.refreshing_since == Some(t0),
        || "the refresh start was not kept".into(),
    )?;
    let snap = Snapshot {
        source: s.clone(),
        taken_at: t0,
        complete: true,
        records: vec![
            SourceRecord::new(ObjectKind::User, "a@x.com")
                .with_attributes([("email", ["a@x.com"])].into_iter().collect()),
        ],
        cursor: Some(Cursor("queue:7".into())),
        full_at: None,
    };
    store.finish_refresh(snap.clone(), t0).await.map_err(e)?;
    let state = store.snapshot_state(&s).await.map_err(e)?;
    check(
        state.refreshing_since.is_none()
            && state.complete
            && state.records == 1
            && state.updated_at == Some(t0)
            && state.cursor == Some(Cursor("queue:7".into())),
        || format!("wrong state after the refresh: {state:?}"),
    )?;
    check(
        store.snapshot(&s).await.map_err(e)? == Some(snap.clone()),
        || "the snapshot did not round-trip".into(),
    )?;
    store.begin_refresh(&s, Utc::now()).await.map_err(e)?;
    store.abort_refresh(&s).await.map_err(e)?;
    check(store.snapshot(&s).await.map_err(e)? == Some(snap), || {
        "a failed refresh lost the snapshot".into()
    })?;
    for i in 0..3 {
        let run = RunRecord {
            source: s.clone(),
            started: t0 + chrono::Duration::hours(i),
            finished: None,
            status: RunStatus::Running,
            counts: Counts::default(),
            error: None,
        };
        store.record_run(&run).await.map_err(e)?;
        store
            .record_run(&RunRecord {
                status: RunStatus::Applied,
                finished: Some(run.started),
                ..run
            })
            .await
            .map_err(e)?;
    }
    let runs = store.runs(&s, 2).await.map_err(e)?;
    check(
        runs.len() == 2
            && runs[0].started == t0 + chrono::Duration::hours(2)
            && runs.iter().all(|r| r.status == RunStatus::Applied),
        || format!("runs not updated in place or not newest first: {runs:?}"),
    )?;
    check(
        store
            .runs(&SourceId::new("entra:other"), 10)
            .await
            .map_err(e)?
            .is_empty(),
        || "another source's runs were listed".into(),
    )
}

/// An unchanged incremental refresh keeps the stored records under the new cursor and time;
/// one that started from a snapshot since replaced stores the snapshot it was given.
pub async fn an_unchanged_refresh_keeps_the_records_and_moves_the_cursor(
    f: &dyn StoreFactory,
) -> Result<(), String> {
    let store = f.store(vec![]).await;
    let s = source();
    let e = |e: StoreError| e.to_string();
    let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_else(Utc::now);
    let t1 = t0 + chrono::Duration::minutes(5);
    let record = |key: &str| {
        SourceRecord::new(ObjectKind::User, key)
            .with_attributes([("email", [key])].into_iter().collect())
    };
    let snap = Snapshot {
        source: s.clone(),
        taken_at: t0,
        complete: true,
        records: vec![record("a@x.com"), record("b@x.com")],
        cursor: Some(Cursor("queue:7".into())),
        full_at: Some(t0),
    };
    store.finish_refresh(snap.clone(), t0).await.map_err(e)?;
    let next = Snapshot {
        taken_at: t1,
        cursor: Some(Cursor("queue:9".into())),
        ..snap.clone()
    };
    store.begin_refresh(&s, t1).await.map_err(e)?;
    store
        .finish_unchanged_refresh(next.clone(), t0, t1)
        .await
        .map_err(e)?;
    let state = store.snapshot_state(&s).await.map_err(e)?;
    check(
        state.refreshing_since.is_none()
            && state.updated_at == Some(t1)
            && state.cursor == Some(Cursor("queue:9".into())),
        || format!("wrong state after an unchanged refresh: {state:?}"),
    )?;
    check(
        store.snapshot(&s).await.map_err(e)? == Some(next.clone()),
        || "an unchanged refresh did not keep the records under the new cursor".into(),
    )?;
    // Started from the snapshot of t0, but the one of t1 is stored now: all of it is written.
    let other = Snapshot {
        taken_at: t1 + chrono::Duration::minutes(5),
        records: vec![record("c@x.com")],
        cursor: Some(Cursor("queue:11".into())),
        ..snap
    };
    store
        .finish_unchanged_refresh(other.clone(), t0, t1)
        .await
        .map_err(e)?;
    check(store.snapshot(&s).await.map_err(e)? == Some(other), || {
        "a refresh from a replaced snapshot kept the wrong records".into()
    })
}

/// Moving a source to a new id moves its users, snapshot and runs together; moving it onto
/// an id that already owns users is refused and changes nothing.
pub async fn a_source_moves_to_a_new_id_whole(f: &dyn StoreFactory) -> Result<(), String> {
    let old = source();
    let new = SourceId::new("webex-users:stable");
    let other = SourceId::new("entra:other");
    let store = f
        .store(vec![
            user(1, Some(&old), "a@x.com", &[]),
            user(2, Some(&old), "b@x.com", &[]),
            user(3, Some(&other), "c@x.com", &[]),
            user(4, None, "d@x.com", &[]),
        ])
        .await;
    let e = |e: StoreError| e.to_string();
    let t0 = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_else(Utc::now);
    let snap = Snapshot {
        source: old.clone(),
        taken_at: t0,
        complete: true,
        records: vec![SourceRecord::new(ObjectKind::User, "a@x.com")],
        cursor: None,
        full_at: Some(t0),
    };
    store.finish_refresh(snap.clone(), t0).await.map_err(e)?;
    store
        .record_run(&RunRecord {
            source: old.clone(),
            started: t0,
            finished: Some(t0),
            status: RunStatus::Applied,
            counts: Counts::default(),
            error: None,
        })
        .await
        .map_err(e)?;
    let owners = |users: &[User]| -> Vec<Option<String>> {
        users
            .iter()
            .map(|u| u.owner.as_ref().map(|o| o.to_string()))
            .collect()
    };
    let before = owners(&store.users().await.map_err(e)?);
    match store.move_source(&old, &other).await {
        Err(StoreError::Refused { .. }) => {}
        got => {
            return Err(format!(
                "a move onto a source with users was not refused: {got:?}"
            ));
        }
    }
    check(owners(&store.users().await.map_err(e)?) == before, || {
        "a refused move changed owners".into()
    })?;
    // The new id was refreshed already: its snapshot is the newer one and stays.
    let newer = Snapshot {
        source: new.clone(),
        taken_at: t0 + chrono::Duration::hours(1),
        ..snap.clone()
    };
    store.finish_refresh(newer.clone(), t0).await.map_err(e)?;
    let moved = store.move_source(&old, &new).await.map_err(e)?;
    check(moved == 2, || format!("{moved} users moved, not 2"))?;
    let after = owners(&store.users().await.map_err(e)?);
    let want = |s: &str| Some(s.to_owned());
    check(
        after
            == vec![
                want(new.as_str()),
                want(new.as_str()),
                want("entra:other"),
                None,
            ],
        || format!("owners after the move: {after:?}"),
    )?;
    check(
        store.snapshot(&old).await.map_err(e)?.is_none()
            && store.snapshot(&new).await.map_err(e)? == Some(newer),
        || "the new id's own snapshot was not kept, or the old one stayed".into(),
    )?;
    // With no snapshot of its own, the new id takes the old one's.
    let third = SourceId::new("webex-users:third");
    store.move_source(&new, &third).await.map_err(e)?;
    check(
        store.snapshot(&third).await.map_err(e)?.map(|s| s.source) == Some(third.clone()),
        || "the snapshot did not move with the users".into(),
    )?;
    store.move_source(&third, &new).await.map_err(e)?;
    check(
        store.runs(&new, 5).await.map_err(e)?.len() == 1
            && store.runs(&old, 5).await.map_err(e)?.is_empty(),
        || "the runs did not move with the users".into(),
    )
}

/// Users per state of the kill-mid-apply tests: state A is `FLIP_BASE` users with
/// `state=a`, state B is `FLIP_BASE` users with `state=b` plus `FLIP_BASE` more.
pub const FLIP_BASE: usize = 2_000;

/// The users of state A, for a store to start from.
pub fn flip_start() -> Vec<User> {
    (0..FLIP_BASE)
        .map(|i| {
            user(
                i as u64 + 1,
                Some(&source()),
                &format!("u{i}@x.com"),
                &[("state", "a"), ("pad", &"x".repeat(200))],
            )
        })
        .collect()
}

/// The plan that takes `users` from one state to the other (A to B, B to A): thousands of
/// adds or deletes and updates, so that a process killed at a random moment is often in the
/// middle of applying it.
pub fn flip_plan(users: &[User]) -> Plan {
    let flipped = users.len() > FLIP_BASE;
    let n = if flipped { FLIP_BASE } else { 2 * FLIP_BASE };
    let state = if flipped { "a" } else { "b" };
    let pad = "x".repeat(200);
    let wanted: Vec<Desired> = (0..n)
        .map(|i| {
            want(
                &format!("u{i}@x.com"),
                &[("state", state), ("pad", &pad)],
                &[],
            )
        })
        .collect();
    plan(users, wanted)
}

/// Which state `users` are in (0 for A, 1 for B), or what is wrong: a partial apply.
pub fn flip_state(users: &[User]) -> Result<usize, String> {
    let states: std::collections::BTreeSet<&str> = users
        .iter()
        .map(|u| u.fields.get_str("state").unwrap_or("?"))
        .collect();
    match (
        users.len(),
        states.into_iter().collect::<Vec<_>>().as_slice(),
    ) {
        (n, ["a"]) if n == FLIP_BASE => Ok(0),
        (n, ["b"]) if n == 2 * FLIP_BASE => Ok(1),
        (n, s) => Err(format!("{n} users in states {s:?}: a partial apply")),
    }
}

/// Runs every check and reports all failures together.
pub async fn run_all(f: &dyn StoreFactory) -> Result<(), String> {
    let results = [
        apply_then_replan_gives_no_changes(f).await,
        a_stale_plan_changes_nothing(f).await,
        snapshots_and_runs_round_trip(f).await,
        an_unchanged_refresh_keeps_the_records_and_moves_the_cursor(f).await,
        a_source_moves_to_a_new_id_whole(f).await,
    ];
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}
