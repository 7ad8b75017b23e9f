//! The Synchronizer pipeline with the in-memory adapter.

use std::sync::Arc;

use crate::common::*;
use ucx_filter::{Filter, Matcher};
use ucx_sync_core::*;
use ucx_testkit::MemoryAdapter;

fn setup(adapter: &MemoryAdapter) -> SourceSetup {
    SourceSetup::new(Arc::new(adapter.clone()), Arc::new(TestMapper))
}

fn records(n: usize) -> Vec<SourceRecord> {
    (0..n)
        .map(|i| {
            record(
                &format!("u{i}@x.com"),
                &[("first_name", &format!("F{i}")), ("department", "Sales")],
            )
        })
        .collect()
}

#[tokio::test]
async fn refresh_then_sync_then_nothing_to_do() {
    let adapter = MemoryAdapter::new("webex-users:acme", records(10));
    let store = Arc::new(MemoryStore::new());
    let sync = Synchronizer::new(store.clone());
    let setup = setup(&adapter);
    assert_eq!(sync.refresh(&setup).await.unwrap(), 10);
    let state = store.snapshot_state(&src()).await.unwrap();
    assert!(state.complete && state.updated_at.is_some() && state.refreshing_since.is_none());
    assert_eq!(state.records, 10);

    let outcome = sync.sync(&setup).await.unwrap();
    assert!(outcome.applied);
    assert_eq!(outcome.plan.counts.add, 10);
    assert_eq!(store.users().await.unwrap().len(), 10);

    let second = sync.sync(&setup).await.unwrap();
    assert!(!second.applied);
    assert_eq!(second.plan.counts.unchanged, 10);
    let runs = store.runs(&src(), 10).await.unwrap();
    assert_eq!(
        runs.iter().map(|r| r.status).collect::<Vec<_>>(),
        [RunStatus::Planned, RunStatus::Applied]
    );
}

#[tokio::test]
async fn a_failed_refresh_keeps_the_last_snapshot_and_deletes_nothing() {
    let adapter = MemoryAdapter::new("webex-users:acme", records(10));
    let store = Arc::new(MemoryStore::new());
    let sync = Synchronizer::new(store.clone());
    let setup = setup(&adapter);
    sync.refresh(&setup).await.unwrap();
    sync.sync(&setup).await.unwrap();

    // The source now fails after 3 records: a partial read must not become a snapshot.
    adapter.fail_after(Some((3, ErrorKind::Unavailable)));
    let err = sync.refresh(&setup).await.unwrap_err();
    match &err {
        SyncError::Source { source, .. } => {
            assert_eq!(source.kind(), ErrorKind::Unavailable);
            assert_eq!(source.tracking_id(), Some("memory-1"));
        }
        other => panic!("{other:?}"),
    }
    let state = store.snapshot_state(&src()).await.unwrap();
    assert!(state.refreshing_since.is_none());
    assert_eq!(state.records, 10);
    let outcome = sync.sync(&setup).await.unwrap();
    assert_eq!(outcome.plan.counts.delete, 0);
    assert_eq!(store.users().await.unwrap().len(), 10);
}

#[tokio::test]
async fn a_sync_during_a_refresh_gets_the_documented_warning() {
    let adapter = MemoryAdapter::new("webex-users:acme", records(2));
    let store = Arc::new(MemoryStore::new());
    let sync = Synchronizer::new(store.clone());
    let setup = setup(&adapter);
    sync.refresh(&setup).await.unwrap();
    let last = store
        .snapshot_state(&src())
        .await
        .unwrap()
        .updated_at
        .unwrap();
    store
        .begin_refresh(&src(), chrono::Utc::now())
        .await
        .unwrap();
    let err = sync.sync(&setup).await.unwrap_err();
    assert!(
        matches!(err, SyncError::RefreshInProgress { last_completed: Some(t), .. } if t == last)
    );
    let msg = err.to_string();
    assert!(msg.contains("is being refreshed"), "{msg}");
    assert!(msg.contains(
        "run the sync once Source Snapshot Updated reports the date/time of the last cache update"
    ));
    assert!(msg.contains(&last.to_rfc3339()));
    let runs = store.runs(&src(), 1).await.unwrap();
    assert_eq!(runs[0].status, RunStatus::Failed);
}

#[tokio::test]
async fn no_snapshot_yet() {
    let adapter = MemoryAdapter::new("webex-users:acme", records(2));
    let sync = Synchronizer::new(Arc::new(MemoryStore::new()));
    assert!(matches!(
        sync.sync(&setup(&adapter)).await,
        Err(SyncError::NoSnapshot { .. })
    ));
}

#[tokio::test]
async fn a_tripped_guard_applies_nothing_and_keeps_the_plan() {
    let adapter = MemoryAdapter::new("webex-users:acme", records(200));
    let store = Arc::new(MemoryStore::new());
    let sync = Synchronizer::new(store.clone());
    let mut setup = setup(&adapter);
    sync.refresh(&setup).await.unwrap();
    sync.sync(&setup).await.unwrap();

    adapter.set_records(records(100));
    sync.refresh(&setup).await.unwrap();
    let err = sync.sync(&setup).await.unwrap_err();
    let SyncError::Guard { plan, source } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(plan.counts.delete, 100);
    assert!(matches!(
        source,
        GuardError::TooManyDeletesPercent {
            deletes: 100,
            owned: 200,
            ..
        }
    ));
    assert_eq!(store.users().await.unwrap().len(), 200);
    assert_eq!(
        store.runs(&src(), 1).await.unwrap()[0].status,
        RunStatus::Blocked
    );

    setup.guard = setup.guard.allowing_deletes();
    let ok = sync.sync(&setup).await.unwrap();
    assert!(ok.applied);
    assert_eq!(store.users().await.unwrap().len(), 100);
}

#[tokio::test]
async fn dry_run_filter_and_mapping_errors() {
    let mut recs = records(4);
    recs.push(record(
        "temp@x.com",
        &[("department", "Temp"), ("first_name", "T")],
    ));
    recs.push(record("broken@x.com", &[("broken", "yes")]));
    let adapter = MemoryAdapter::new("webex-users:acme", recs);
    let store = Arc::new(MemoryStore::new());
    let sync = Synchronizer::new(store.clone());
    let mut setup = setup(&adapter);
    setup.filter = Some(Matcher::compile(&Filter::parse("(!(department=temp))").unwrap()).unwrap());
    setup.guard.dry_run = true;
    sync.refresh(&setup).await.unwrap();
    let outcome = sync.sync(&setup).await.unwrap();
    assert!(!outcome.applied);
    assert_eq!((outcome.plan.counts.add, outcome.plan.counts.error), (4, 1));
    assert!(store.users().await.unwrap().is_empty());
}

#[tokio::test]
async fn check_and_changes_through_the_trait() {
    let adapter = MemoryAdapter::new("webex-users:acme", records(1));
    let dynamic: Arc<dyn SourceAdapter> = Arc::new(adapter.clone());
    assert!(dynamic.check().await.is_ok());
    adapter.fail_check(Some(ErrorKind::Auth));
    assert_eq!(dynamic.check().await.unwrap_err().kind(), ErrorKind::Auth);
    adapter.add_changes(
        "c1",
        ChangeSet {
            removals: vec![SyncKey::new("u0@x.com")],
            ..ChangeSet::default()
        },
    );
    let cs = dynamic.changes(&Cursor("c1".into())).await.unwrap();
    assert_eq!(cs.removals, [SyncKey::new("u0@x.com")]);
    assert!(dynamic.capabilities().delta);
}

#[tokio::test]
async fn a_refresh_reports_its_progress() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let records: Vec<SourceRecord> = (0..7)
        .map(|i| SourceRecord::new(ObjectKind::User, format!("u{i}@x.com")))
        .collect();
    let adapter = Arc::new(MemoryAdapter::new("webex-users:acme", records));
    let setup = SourceSetup::new(adapter, Arc::new(TestMapper));
    let sync = Synchronizer::new(Arc::new(MemoryStore::new()));
    let (calls, last) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let n = sync
        .refresh_observed(&setup, &|n| {
            calls.fetch_add(1, Ordering::SeqCst);
            last.store(n, Ordering::SeqCst);
        })
        .await
        .unwrap();
    assert_eq!(n, 7);
    assert_eq!((calls.into_inner(), last.into_inner()), (7, 7));
}

#[tokio::test]
async fn refresh_and_sync_in_one_step() {
    let adapter = MemoryAdapter::new("webex-users:acme", records(200));
    let store = Arc::new(MemoryStore::new());
    let sync = Synchronizer::new(store.clone());
    let setup = setup(&adapter);
    let (n, first) = sync.refresh_and_sync(&setup, &|_| {}).await.unwrap();
    assert_eq!(n, 200);
    assert!(first.applied);
    assert_eq!(first.plan.counts.add, 200);
    let state = store.snapshot_state(&src()).await.unwrap();
    assert!(state.complete && state.refreshing_since.is_none());
    assert_eq!(state.records, 200);
    let (_, second) = sync.refresh_and_sync(&setup, &|_| {}).await.unwrap();
    assert!(!second.applied);
    assert_eq!(second.plan.counts.unchanged, 200);

    // A read that fails part-way: a failed run, the previous snapshot, no deletes.
    adapter.fail_after(Some((3, ErrorKind::Unavailable)));
    let err = sync.refresh_and_sync(&setup, &|_| {}).await.unwrap_err();
    assert!(matches!(err, SyncError::Source { .. }), "{err:?}");
    let state = store.snapshot_state(&src()).await.unwrap();
    assert!(state.refreshing_since.is_none());
    assert_eq!(state.records, 200);
    assert_eq!(store.users().await.unwrap().len(), 200);
    assert_eq!(
        store.runs(&src(), 1).await.unwrap()[0].status,
        RunStatus::Failed
    );

    // A source that shrinks to half trips the delete guard: nothing applied, the run blocked,
    // and the new snapshot kept for review.
    adapter.fail_after(None);
    adapter.set_records(records(100));
    let err = sync.refresh_and_sync(&setup, &|_| {}).await.unwrap_err();
    let SyncError::Guard { plan, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(plan.counts.delete, 100);
    assert_eq!(store.users().await.unwrap().len(), 200);
    assert_eq!(store.snapshot_state(&src()).await.unwrap().records, 100);
    assert_eq!(
        store.runs(&src(), 1).await.unwrap()[0].status,
        RunStatus::Blocked
    );
}

/// A users store where another source's apply lands between this source's plan and its apply
/// (two workers syncing two sources that list the same person at the same moment).
#[derive(Debug)]
struct Racing {
    inner: Arc<MemoryStore>,
    first: std::sync::Mutex<Option<Plan>>,
}

#[async_trait::async_trait]
impl UsersStore for Racing {
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        self.inner.users().await
    }

    async fn apply(&self, plan: &Plan) -> Result<(), StoreError> {
        let other = self.first.lock().unwrap().take();
        if let Some(other) = other {
            self.inner.apply(&other).await?;
        }
        self.inner.apply(plan).await
    }
}

/// The other source took the key after this plan was made: the scheduled sync plans again
/// from the stored snapshot and reports the key as a conflict, instead of failing the run.
#[tokio::test]
async fn a_key_taken_by_another_source_meanwhile_is_planned_again_as_a_conflict() {
    let store = Arc::new(MemoryStore::new());
    let entra = MemoryAdapter::new(
        other().as_str(),
        vec![record("ann@x.com", &[("first_name", "Ann")])],
    );
    let webex = MemoryAdapter::new(
        "webex-users:acme",
        records(2)
            .into_iter()
            .chain([record("ann@x.com", &[("first_name", "Ann")])])
            .collect(),
    );
    // Entra's plan, made before either applied: it adds Ann.
    let entra_sync = Synchronizer::new(store.clone());
    entra_sync.refresh(&setup(&entra)).await.unwrap();
    let entra_plan = entra_sync.plan(&setup(&entra)).await.unwrap();
    assert_eq!(entra_plan.counts.add, 1);
    let racing = Arc::new(Racing {
        inner: store.clone(),
        first: std::sync::Mutex::new(Some(entra_plan)),
    });
    let sync = Synchronizer::with_stores(racing, store.clone(), store.clone());
    let (records, outcome) = sync
        .refresh_and_sync(&setup(&webex), &|_| {})
        .await
        .unwrap();
    assert_eq!(records, 3);
    assert!(outcome.applied);
    assert_eq!(outcome.plan.counts.add, 2, "{:?}", outcome.plan.counts);
    assert_eq!(outcome.plan.counts.conflict, 1, "Ann is Entra's now");
    let users = store.users().await.unwrap();
    let ann = users
        .iter()
        .find(|u| u.key.as_str() == "ann@x.com")
        .unwrap();
    assert_eq!(ann.owner.as_ref(), Some(&other()));
    assert_eq!(users.len(), 3);
}
