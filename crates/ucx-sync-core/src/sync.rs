//! The pipeline: refresh a source into its snapshot cache, then sync the cache into the users
//! database (filter → map → diff → guard → apply), recording every run.

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Utc};
use ucx_filter::Matcher;

use crate::adapter::{ChangeSet, ListRequest, Snapshot, SourceAdapter, SourceAdapterExt};
use crate::diff::{DiffOptions, diff};
use crate::error::SourceError;
use crate::guard::{Guard, GuardError};
use crate::mapper::RecordMapper;
use crate::picture::{Fetched, PictureChanges, PictureMeta, PictureReport};
use crate::plan::{Plan, PlanBasis};
use crate::record::{SourceId, SourceRecord, SyncKey};
use crate::store::{
    RunRecord, RunStatus, RunStore, SnapshotStore, StoreError, UserStore, UsersStore,
};
use crate::user::User;

/// One configured source: where records come from and how they become users.
///
/// Built with [`SourceSetup::new`] and the `with_` methods; `#[non_exhaustive]`, so a new
/// setting is never a breaking change: a struct literal does not compile outside this crate.
///
/// ```compile_fail
/// use std::sync::Arc;
/// use ucx_sync_core::{RecordMapper, SourceAdapter, SourceSetup};
/// fn setup(adapter: Arc<dyn SourceAdapter>, mapper: Arc<dyn RecordMapper>) -> SourceSetup {
///     SourceSetup {
///         adapter,
///         filter: None,
///         mapper,
///         diff: Default::default(),
///         guard: Default::default(),
///         full_every: None,
///     }
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SourceSetup {
    /// The adapter.
    pub adapter: Arc<dyn SourceAdapter>,
    /// Which records to import (`None`: all).
    pub filter: Option<Matcher>,
    /// How records become users.
    pub mapper: Arc<dyn RecordMapper>,
    /// How to compare.
    pub diff: DiffOptions,
    /// What a plan must respect to be applied.
    pub guard: Guard,
    /// For a source with a change feed: how long incremental refreshes may follow a full read
    /// before the next full read (which catches anything a feed missed). `None`: every refresh
    /// is a full read.
    pub full_every: Option<std::time::Duration>,
}

impl SourceSetup {
    /// `adapter`'s records mapped by `mapper`: every record imported, the default comparison
    /// and guard, every refresh a full read. Adjust with the `with_` methods.
    pub fn new(adapter: Arc<dyn SourceAdapter>, mapper: Arc<dyn RecordMapper>) -> Self {
        Self {
            adapter,
            filter: None,
            mapper,
            diff: DiffOptions::default(),
            guard: Guard::default(),
            full_every: None,
        }
    }

    /// Imports only the records `filter` matches.
    pub fn with_filter(mut self, filter: Matcher) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Compares with `diff`.
    pub fn with_diff(mut self, diff: DiffOptions) -> Self {
        self.diff = diff;
        self
    }

    /// Applies only plans `guard` lets through.
    pub fn with_guard(mut self, guard: Guard) -> Self {
        self.guard = guard;
        self
    }

    /// Refreshes a source with a change feed through it, with a full read every `every`.
    pub fn with_full_every(mut self, every: std::time::Duration) -> Self {
        self.full_every = Some(every);
        self
    }
}

/// Why a sync did not apply.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The product's "Run now" warning: the cache is being refreshed.
    #[error(
        "the source cache of {source_id} is being refreshed (since {since}); run the sync once \
         Source Snapshot Updated reports the date/time of the last cache update (last completed: {last})",
        last = last_completed.map_or_else(|| "never".to_owned(), |t| t.to_rfc3339())
    )]
    RefreshInProgress {
        /// The source.
        source_id: SourceId,
        /// When the refresh started.
        since: DateTime<Utc>,
        /// When the last refresh completed.
        last_completed: Option<DateTime<Utc>>,
    },
    /// No snapshot has been taken yet.
    #[error("source {source_id} has no snapshot yet; refresh it first")]
    NoSnapshot {
        /// The source.
        source_id: SourceId,
    },
    /// The source failed.
    #[error("source {source_id} failed")]
    Source {
        /// The source.
        source_id: SourceId,
        /// The failure.
        #[source]
        source: SourceError,
    },
    /// A guard stopped the plan; nothing was applied. The plan is kept for review.
    #[error("the plan for {} was not applied", plan.source)]
    Guard {
        /// The plan.
        plan: Box<Plan>,
        /// Which guard.
        #[source]
        source: GuardError,
    },
    /// The store failed.
    #[error("the users database failed")]
    Store(#[from] StoreError),
    /// A saved plan no longer fits: the users database or the snapshot changed since it was
    /// made. Nothing was applied.
    #[error(
        "the saved plan is stale: {reason}; nothing was applied (make a new plan and review it)"
    )]
    StalePlan {
        /// What changed.
        reason: String,
    },
}

/// What a sync did.
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    /// The plan.
    pub plan: Plan,
    /// Whether it was applied (false for a dry run or an empty plan).
    pub applied: bool,
}

/// How long a refresh flag or a running run record holds: a refresh still marked running after
/// this is taken to be gone (killed, its machine restarted) rather than in progress. Six hours
/// is the product's refresh cycle; the slowest measured read (a million users) takes a minute.
pub const DEFAULT_STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(6 * 3600);

/// Runs refreshes and syncs against one store.
#[derive(Debug, Clone)]
pub struct Synchronizer {
    users: Arc<dyn UsersStore>,
    snapshots: Arc<dyn SnapshotStore>,
    runs: Arc<dyn RunStore>,
    stale_after: chrono::Duration,
}

impl Synchronizer {
    /// A synchronizer over `store`, which holds the users, the snapshots and the runs.
    pub fn new(store: Arc<dyn UserStore>) -> Self {
        Self::with_stores(store.clone(), store.clone(), store)
    }

    /// A synchronizer over a store per role: for a service whose users live in a database of
    /// its own (`users`), with the snapshots and runs kept in one of ours (SQLite, memory).
    /// Each role's writes are atomic in its own store; a plan is applied by `users` alone.
    pub fn with_stores(
        users: Arc<dyn UsersStore>,
        snapshots: Arc<dyn SnapshotStore>,
        runs: Arc<dyn RunStore>,
    ) -> Self {
        Self {
            users,
            snapshots,
            runs,
            stale_after: chrono::Duration::from_std(DEFAULT_STALE_AFTER).unwrap_or_default(),
        }
    }

    /// The same, with refresh flags expiring after `after` instead of [`DEFAULT_STALE_AFTER`].
    pub fn with_stale_after(mut self, after: std::time::Duration) -> Self {
        self.stale_after = chrono::Duration::from_std(after).unwrap_or(self.stale_after);
        self
    }

    /// Whether a refresh flag or running run from `since` is stale: older than the expiry.
    pub fn is_stale(&self, since: DateTime<Utc>) -> bool {
        Utc::now() - since > self.stale_after
    }

    /// The users store.
    pub fn users_store(&self) -> &Arc<dyn UsersStore> {
        &self.users
    }

    /// Reads the source into its snapshot cache, marking it refreshing meanwhile. A failed read
    /// keeps the previous snapshot.
    pub async fn refresh(&self, setup: &SourceSetup) -> Result<usize, SyncError> {
        self.refresh_observed(setup, &|_| {}).await
    }

    /// [`refresh`](Self::refresh), calling `progress` with the records read so far.
    pub async fn refresh_observed(
        &self,
        setup: &SourceSetup,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<usize, SyncError> {
        let source = setup.adapter.source_id().clone();
        let (request, previous) = self.list_request(setup).await?;
        self.snapshots.begin_refresh(&source, Utc::now()).await?;
        let started = Instant::now();
        match self.read(setup, request, previous, progress).await {
            Ok(read) => {
                let n = read.snapshot.records.len();
                let read_time = started.elapsed();
                self.store_read(read).await?;
                let read = read_time;
                tracing::info!(
                    source = %source,
                    records = n,
                    read_s = read.as_secs_f64(),
                    stored_s = (started.elapsed() - read).as_secs_f64(),
                    "refreshed"
                );
                Ok(n)
            }
            Err(e) => {
                self.snapshots.abort_refresh(&source).await?;
                Err(SyncError::Source {
                    source_id: source,
                    source: e,
                })
            }
        }
    }

    /// Brings the stored pictures of `setup`'s users in line with their `picture` fields:
    /// fetches those whose reference is new or changed (and, where the source asks for it,
    /// revalidates the rest with their ETag), removes those of users without one, and stores
    /// the result in one step. Run after an apply. A picture that cannot be stored (too large,
    /// not an image, a failed fetch) leaves the one before it and is reported in
    /// [`PictureReport::failed`]; it never fails the pass. A store failure does.
    pub async fn sync_pictures(&self, setup: &SourceSetup) -> Result<PictureReport, SyncError> {
        use futures::StreamExt;
        let Some(fetcher) = setup.adapter.pictures() else {
            return Ok(PictureReport::default());
        };
        let source = setup.adapter.source_id().clone();
        let index = self.users.picture_index(&source).await?;
        let users = self.users.picture_references(&source).await?;
        let mut report = PictureReport::default();
        let mut changes = PictureChanges::default();
        let mut todo = Vec::new();
        // Each fetch carries its user's place in `users`, not a borrowed id and key: a future
        // that holds a reference handed to the closure is not provably Send where a job queue
        // needs it to be.
        for (i, (id, _, reference)) in users.iter().enumerate() {
            let stored = index.get(id);
            match (reference.as_deref().filter(|r| !r.is_empty()), stored) {
                (None, Some(_)) => changes.remove.push(*id),
                (None, None) => {}
                (Some(r), Some(m)) if m.reference == r => {
                    if fetcher.revalidates() {
                        todo.push((i, r.to_owned(), m.etag.clone()));
                    }
                }
                (Some(r), _) => todo.push((i, r.to_owned(), None)),
            }
        }
        let fetcher = &fetcher;
        let results: Vec<_> =
            futures::stream::iter(todo.into_iter().map(|(i, r, etag)| async move {
                let got = fetcher.fetch(&r, etag.as_deref()).await;
                (i, r, got)
            }))
            .buffer_unordered(fetcher.concurrency().max(1))
            .collect()
            .await;
        for (i, reference, got) in results {
            let (id, key, _) = &users[i];
            let id = *id;
            match got {
                Ok(Fetched::Image(p)) => {
                    changes
                        .store
                        .push((id, PictureMeta::of(&reference, &p), p.bytes));
                }
                Ok(Fetched::NotModified) => report.unchanged += 1,
                Ok(Fetched::Absent) => {
                    if index.contains_key(&id) {
                        changes.remove.push(id);
                    }
                }
                Err(e) => report.failed.push((key.to_string(), e.to_string())),
            }
        }
        report.stored = changes.store.len();
        report.removed = changes.remove.len();
        report.failed.sort();
        self.users.apply_pictures(&changes).await?;
        tracing::info!(
            source = %source,
            stored = report.stored,
            unchanged = report.unchanged,
            removed = report.removed,
            not_stored = report.failed.len(),
            "pictures"
        );
        Ok(report)
    }

    /// What to ask the source for: everything, with the stored snapshot when the source reuses
    /// values from it; and the stored snapshot again when an incremental refresh may follow it.
    async fn list_request(
        &self,
        setup: &SourceSetup,
    ) -> Result<(ListRequest, Option<Arc<Snapshot>>), SyncError> {
        let caps = setup.adapter.capabilities();
        let incremental = caps.delta && setup.full_every.is_some();
        if !caps.reads_previous && !incremental {
            return Ok((ListRequest::all(), None));
        }
        let previous = self
            .snapshots
            .snapshot(setup.adapter.source_id())
            .await?
            .map(Arc::new);
        let request = if caps.reads_previous {
            ListRequest::all().with_previous(previous.clone())
        } else {
            ListRequest::all()
        };
        Ok((request, previous.filter(|_| incremental)))
    }

    /// Reads the source: through its change feed when `previous` is a complete snapshot with a
    /// cursor and no full read is due (`SourceSetup::full_every`), else in full. A full read of
    /// a source with a feed takes a bookmark first (`change_bookmark`), so changes made during
    /// the read are replayed by the next incremental refresh rather than lost. A feed the source cannot
    /// continue is the source's to report as `full` (an expired Graph delta token, a lost AXL
    /// queue); one it does not support falls back to a full read, logged.
    async fn read(
        &self,
        setup: &SourceSetup,
        request: ListRequest,
        previous: Option<Arc<Snapshot>>,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<Read, SourceError> {
        let adapter = &setup.adapter;
        let Some(every) = setup.full_every.filter(|_| adapter.capabilities().delta) else {
            let snapshot = adapter.snapshot_observed(request, progress).await?;
            return Ok(Read::full(snapshot));
        };
        let now = Utc::now();
        let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
        if let Some(prev) = previous.filter(|p| p.complete)
            && let Some(cursor) = prev.cursor.clone()
        {
            let due = prev.full_at.is_none_or(|t| now - t >= every);
            if !due {
                match adapter.changes(&cursor).await {
                    Ok(set) => {
                        let unchanged = (!set.full
                            && set.upserts.is_empty()
                            && set.removals.is_empty()
                            && set.removed_ids.is_empty())
                        .then_some(prev.taken_at);
                        let snapshot = apply_changes(prev, set, now);
                        progress(snapshot.records.len());
                        return Ok(Read {
                            snapshot,
                            unchanged_since: unchanged,
                        });
                    }
                    Err(e) if e.kind() == crate::error::ErrorKind::Unsupported => {
                        tracing::warn!(source = %adapter.source_id(), error = %e, "the change feed cannot be used; reading in full");
                    }
                    Err(e) => return Err(e),
                }
            } else {
                tracing::info!(source = %adapter.source_id(), "a full read is due");
            }
        }
        // A full read, with a bookmark taken first.
        let bookmark = match adapter.change_bookmark().await {
            Ok(cursor) => cursor,
            Err(e) => {
                tracing::warn!(source = %adapter.source_id(), error = %e, "no change-feed bookmark; the next refresh reads in full too");
                None
            }
        };
        let mut snapshot = adapter.snapshot_observed(request, progress).await?;
        snapshot.cursor = snapshot.cursor.or(bookmark);
        snapshot.full_at = Some(snapshot.taken_at);
        Ok(Read::full(snapshot))
    }

    /// Stores what a refresh read: the whole snapshot, or, when a change feed reported nothing,
    /// only its new cursor and time where the store can (the records stored are those already).
    async fn store_read(&self, read: Read) -> Result<(), SyncError> {
        let at = Utc::now();
        match read.unchanged_since {
            Some(since) => {
                self.snapshots
                    .finish_unchanged_refresh(read.snapshot, since, at)
                    .await?
            }
            None => self.snapshots.finish_refresh(read.snapshot, at).await?,
        }
        Ok(())
    }

    /// Plans the sync of `setup`'s source from its cached snapshot, without applying.
    pub async fn plan(&self, setup: &SourceSetup) -> Result<Plan, SyncError> {
        let source = setup.adapter.source_id().clone();
        let state = self.snapshots.snapshot_state(&source).await?;
        let mut stale_flag = None;
        if let Some(since) = state.refreshing_since {
            if !self.is_stale(since) {
                return Err(SyncError::RefreshInProgress {
                    source_id: source,
                    since,
                    last_completed: state.updated_at,
                });
            }
            tracing::warn!(source = %source, since = %since.to_rfc3339(), "a refresh flag is stale (the refresh that set it is gone); planning from the last complete snapshot");
            stale_flag = Some(since);
        }
        let started = Instant::now();
        let snapshot =
            self.snapshots
                .snapshot(&source)
                .await?
                .ok_or_else(|| SyncError::NoSnapshot {
                    source_id: source.clone(),
                })?;
        let snapshot_read = started.elapsed();
        let users = self.users.users().await?;
        tracing::debug!(
            source = %source,
            snapshot_s = snapshot_read.as_secs_f64(),
            users_s = (started.elapsed() - snapshot_read).as_secs_f64(),
            users = users.len(),
            "plan: inputs read"
        );
        let mut plan = plan_from(setup, &snapshot, &users);
        if let Some(since) = stale_flag {
            plan.warnings.push(format!(
                "a refresh started at {} never finished; the plan uses the last complete snapshot",
                since.to_rfc3339()
            ));
        }
        Ok(plan)
    }

    /// [`plan`](Self::plan), with the [`PlanBasis`] it was made from, for a plan saved to be
    /// reviewed and applied later with [`apply_reviewed`](Self::apply_reviewed).
    pub async fn plan_for_review(&self, setup: &SourceSetup) -> Result<Plan, SyncError> {
        let mut plan = self.plan(setup).await?;
        plan.basis = Some(self.basis(&plan.source).await?);
        Ok(plan)
    }

    /// Applies a reviewed plan exactly as it was saved: refused when the users database or the
    /// snapshot changed since it was made, or when it was made for another source; checked by the
    /// guard like any plan; recorded as a run.
    pub async fn apply_reviewed(
        &self,
        setup: &SourceSetup,
        plan: Plan,
    ) -> Result<SyncOutcome, SyncError> {
        let work = async {
            let source = setup.adapter.source_id();
            if &plan.source != source {
                return Err(SyncError::StalePlan {
                    reason: format!("it was made for source {}, not {source}", plan.source),
                });
            }
            let Some(saved) = plan.basis.clone() else {
                return Err(SyncError::StalePlan {
                    reason: "it does not say what it was made from (save it with plan --out)"
                        .into(),
                });
            };
            let now = self.basis(source).await?;
            if now.snapshot_taken_at != saved.snapshot_taken_at
                || now.snapshot_records != saved.snapshot_records
            {
                return Err(SyncError::StalePlan {
                    reason: format!(
                        "the source was refreshed since (snapshot of {}, the plan's of {})",
                        now.snapshot_taken_at.to_rfc3339(),
                        saved.snapshot_taken_at.to_rfc3339()
                    ),
                });
            }
            if now.users != saved.users {
                return Err(SyncError::StalePlan {
                    reason: "the users database changed since".into(),
                });
            }
            Ok(((), self.check_and_apply(setup, plan).await?))
        };
        self.recorded(setup, work)
            .await
            .map(|((), outcome)| outcome)
    }

    /// What a plan of `source` is made from now.
    async fn basis(&self, source: &SourceId) -> Result<PlanBasis, SyncError> {
        let snapshot =
            self.snapshots
                .snapshot(source)
                .await?
                .ok_or_else(|| SyncError::NoSnapshot {
                    source_id: source.clone(),
                })?;
        let users = self.users.users().await?;
        Ok(PlanBasis {
            users: users_digest(&users),
            snapshot_taken_at: snapshot.taken_at,
            snapshot_records: snapshot.records.len(),
        })
    }

    /// Plans, checks the guard and applies; records the run either way.
    pub async fn sync(&self, setup: &SourceSetup) -> Result<SyncOutcome, SyncError> {
        let work = async { Ok(((), self.plan_and_apply(setup).await?)) };
        self.recorded(setup, work)
            .await
            .map(|((), outcome)| outcome)
    }

    /// [`refresh`](Self::refresh) then [`sync`](Self::sync) in one step, for scheduled runs:
    /// the users database is read while the source is, and the plan is made from the snapshot
    /// just read instead of reading it back from the cache. Returns the records read with the
    /// outcome. A failed read keeps the previous snapshot, records a failed run and applies
    /// nothing.
    pub async fn refresh_and_sync(
        &self,
        setup: &SourceSetup,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<(usize, SyncOutcome), SyncError> {
        self.recorded(setup, async {
            let source = setup.adapter.source_id().clone();
            let (request, previous) = self.list_request(setup).await?;
            self.snapshots.begin_refresh(&source, Utc::now()).await?;
            let started = Instant::now();
            let (snapshot, users) = tokio::join!(
                self.read(setup, request, previous, progress),
                self.users.users()
            );
            let snapshot = match (snapshot, users) {
                (Ok(snapshot), Ok(users)) => Ok((snapshot, users)),
                (Err(e), _) => Err(SyncError::Source {
                    source_id: source.clone(),
                    source: e,
                }),
                (_, Err(e)) => Err(SyncError::Store(e)),
            };
            let (snapshot, users) = match snapshot {
                Ok(both) => both,
                Err(e) => {
                    self.snapshots.abort_refresh(&source).await?;
                    return Err(e);
                }
            };
            let read = started.elapsed();
            let plan = plan_from(setup, &snapshot.snapshot, &users);
            drop(users);
            let planned = started.elapsed();
            let records = snapshot.snapshot.records.len();
            self.store_read(snapshot).await?;
            tracing::info!(
                source = %source,
                records,
                read_s = read.as_secs_f64(),
                planned_s = (planned - read).as_secs_f64(),
                stored_s = (started.elapsed() - planned).as_secs_f64(),
                "refreshed and planned"
            );
            Ok((records, self.apply_or_replan(setup, plan).await?))
        })
        .await
    }

    /// Runs `work` as a recorded run of `setup`'s source: a `Running` record first, then how it
    /// ended. `work` may return a value of its own beside the outcome.
    async fn recorded<T>(
        &self,
        setup: &SourceSetup,
        work: impl std::future::Future<Output = Result<(T, SyncOutcome), SyncError>>,
    ) -> Result<(T, SyncOutcome), SyncError> {
        let source = setup.adapter.source_id().clone();
        let mut run = RunRecord {
            source: source.clone(),
            started: Utc::now(),
            finished: None,
            status: RunStatus::Running,
            counts: Default::default(),
            error: None,
        };
        self.runs.record_run(&run).await?;
        let result = work.await;
        run.finished = Some(Utc::now());
        match &result {
            Ok((_, outcome)) => {
                run.counts = outcome.plan.counts;
                run.status = if outcome.applied {
                    RunStatus::Applied
                } else {
                    RunStatus::Planned
                };
            }
            Err(SyncError::Guard { plan, source }) => {
                run.counts = plan.counts;
                run.status = RunStatus::Blocked;
                run.error = Some(source.to_string());
            }
            Err(e) => {
                run.status = RunStatus::Failed;
                run.error = Some(error_chain(e));
            }
        }
        self.runs.record_run(&run).await?;
        result
    }

    async fn plan_and_apply(&self, setup: &SourceSetup) -> Result<SyncOutcome, SyncError> {
        let started = Instant::now();
        let plan = self.plan(setup).await?;
        tracing::info!(
            source = %plan.source,
            planned_s = started.elapsed().as_secs_f64(),
            "planned"
        );
        self.apply_or_replan(setup, plan).await
    }

    /// [`check_and_apply`](Self::check_and_apply) for scheduled syncs, planning once more when
    /// the users changed under the plan: another source's apply (another worker, another
    /// process) took a key this plan adds or renames to, between the plan and its apply. The
    /// second plan, from the stored snapshot and the users as they are now, reports that key as
    /// a conflict and applies the rest, instead of failing the run until the source's next
    /// slot. A reviewed plan is never replaced (`apply_reviewed` does not come here).
    async fn apply_or_replan(
        &self,
        setup: &SourceSetup,
        plan: Plan,
    ) -> Result<SyncOutcome, SyncError> {
        match self.check_and_apply(setup, plan).await {
            Err(SyncError::Store(StoreError::Stale { reason })) => {
                tracing::info!(
                    source = %setup.adapter.source_id(),
                    reason,
                    "the users changed under the plan; planning again"
                );
                let plan = self.plan(setup).await?;
                self.check_and_apply(setup, plan).await
            }
            other => other,
        }
    }

    /// The guard, then the apply unless the plan is empty or a dry run.
    async fn check_and_apply(
        &self,
        setup: &SourceSetup,
        plan: Plan,
    ) -> Result<SyncOutcome, SyncError> {
        if let Err(source) = setup.guard.check(&plan) {
            return Err(SyncError::Guard {
                plan: Box::new(plan),
                source,
            });
        }
        if setup.guard.dry_run || plan.is_noop() {
            return Ok(SyncOutcome {
                plan,
                applied: false,
            });
        }
        let applying = Instant::now();
        self.users.apply(&plan).await?;
        tracing::info!(
            source = %plan.source,
            applied_s = applying.elapsed().as_secs_f64(),
            "applied"
        );
        Ok(SyncOutcome {
            plan,
            applied: true,
        })
    }
}

/// Filter → map → diff of `snapshot` against `users`.
fn plan_from(setup: &SourceSetup, snapshot: &Snapshot, users: &[User]) -> Plan {
    let desired = snapshot
        .records
        .iter()
        .filter(|r| {
            setup
                .filter
                .as_ref()
                .is_none_or(|m| m.matches(&r.attributes))
        })
        .map(|r| setup.mapper.map(r));
    diff(
        &snapshot.source,
        users,
        desired,
        snapshot.complete,
        &setup.diff,
    )
}

/// A SHA-256 digest of every user (id, kind, owner, key, stable id, fields), in id order.
fn users_digest(users: &[User]) -> String {
    use sha2::{Digest, Sha256};
    let mut order: Vec<&User> = users.iter().collect();
    order.sort_by_key(|u| u.id);
    let mut h = Sha256::new();
    // Every part is length-prefixed, so no two different users hash the same bytes.
    let mut part = |bytes: &[u8]| {
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    };
    for u in order {
        part(&u.id.0.to_le_bytes());
        part(u.kind.filter_name().as_bytes());
        part(u.owner.as_ref().map_or("", |o| o.as_str()).as_bytes());
        part(u.key.as_str().as_bytes());
        part(u.stable_id.as_deref().unwrap_or("\0").as_bytes());
        for (name, value) in u.fields.iter() {
            part(name.as_str().as_bytes());
            part(value.as_bytes());
        }
        part(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

/// What a refresh read: the snapshot, and the time of the stored one when a change feed
/// reported no change at all (so its records are the stored ones).
struct Read {
    snapshot: Snapshot,
    unchanged_since: Option<DateTime<Utc>>,
}

impl Read {
    fn full(snapshot: Snapshot) -> Self {
        Self {
            snapshot,
            unchanged_since: None,
        }
    }
}

/// `previous` brought up to date by `set`: every record a removal names (by key or by stable
/// id) or an upsert replaces (same key, or same stable id under a new key: a rename) is taken
/// out, and the upserts are added. A `full` set is the whole source.
fn apply_changes(previous: Arc<Snapshot>, set: ChangeSet, now: DateTime<Utc>) -> Snapshot {
    use std::collections::HashSet;
    let full_at = if set.full {
        Some(now)
    } else {
        previous.full_at
    };
    let cursor = set.cursor.or_else(|| previous.cursor.clone());
    let source = previous.source.clone();
    let records = if set.full {
        set.upserts
    } else {
        let keys: HashSet<&SyncKey> = set
            .removals
            .iter()
            .chain(set.upserts.iter().map(|r| &r.key))
            .collect();
        let ids: HashSet<&str> = set
            .removed_ids
            .iter()
            .map(String::as_str)
            .chain(set.upserts.iter().filter_map(|r| r.stable_id.as_deref()))
            .collect();
        let kept = |r: &SourceRecord| {
            !keys.contains(&r.key) && !r.stable_id.as_deref().is_some_and(|s| ids.contains(s))
        };
        // The stored snapshot is usually held only here: take its records rather than copy
        // a hundred thousand of them.
        let mut records: Vec<SourceRecord> = match Arc::try_unwrap(previous) {
            Ok(owned) => owned.records,
            Err(shared) => shared.records.clone(),
        };
        records.retain(kept);
        records.extend(set.upserts);
        records
    };
    Snapshot {
        source,
        taken_at: now,
        complete: true,
        records,
        cursor,
        full_at,
    }
}
