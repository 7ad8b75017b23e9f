//! The pipeline: refresh a source into its snapshot cache, then sync the cache into the users
//! database (filter → map → diff → guard → apply), recording every run.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use ucx_filter::Matcher;

use crate::adapter::{ListRequest, SourceAdapter, SourceAdapterExt};
use crate::diff::{DiffOptions, diff};
use crate::error::SourceError;
use crate::guard::{Guard, GuardError};
use crate::mapper::RecordMapper;
use crate::plan::Plan;
use crate::record::SourceId;
use crate::store::{RunRecord, RunStatus, StoreError, UserStore};

/// One configured source: where records come from and how they become users.
#[derive(Debug, Clone)]
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
}

/// What a sync did.
#[derive(Debug, Clone)]
pub struct SyncOutcome {
    /// The plan.
    pub plan: Plan,
    /// Whether it was applied (false for a dry run or an empty plan).
    pub applied: bool,
}

/// Runs refreshes and syncs against one store.
#[derive(Debug, Clone)]
pub struct Synchronizer {
    store: Arc<dyn UserStore>,
}

impl Synchronizer {
    /// A synchronizer over `store`.
    pub fn new(store: Arc<dyn UserStore>) -> Self {
        Self { store }
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn UserStore> {
        &self.store
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
        self.store.begin_refresh(&source, Utc::now()).await?;
        match setup
            .adapter
            .snapshot_observed(ListRequest::all(), progress)
            .await
        {
            Ok(snapshot) => {
                let n = snapshot.records.len();
                self.store.finish_refresh(snapshot, Utc::now()).await?;
                Ok(n)
            }
            Err(e) => {
                self.store.abort_refresh(&source).await?;
                Err(SyncError::Source {
                    source_id: source,
                    source: e,
                })
            }
        }
    }

    /// Plans the sync of `setup`'s source from its cached snapshot, without applying.
    pub async fn plan(&self, setup: &SourceSetup) -> Result<Plan, SyncError> {
        let source = setup.adapter.source_id().clone();
        let state = self.store.snapshot_state(&source).await?;
        if let Some(since) = state.refreshing_since {
            return Err(SyncError::RefreshInProgress {
                source_id: source,
                since,
                last_completed: state.updated_at,
            });
        }
        let snapshot =
            self.store
                .snapshot(&source)
                .await?
                .ok_or_else(|| SyncError::NoSnapshot {
                    source_id: source.clone(),
                })?;
        let users = self.store.users().await?;
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
        Ok(diff(
            &source,
            &users,
            desired,
            snapshot.complete,
            &setup.diff,
        ))
    }

    /// Plans, checks the guard and applies; records the run either way.
    pub async fn sync(&self, setup: &SourceSetup) -> Result<SyncOutcome, SyncError> {
        let source = setup.adapter.source_id().clone();
        let mut run = RunRecord {
            source: source.clone(),
            started: Utc::now(),
            finished: None,
            status: RunStatus::Running,
            counts: Default::default(),
            error: None,
        };
        self.store.record_run(&run).await?;
        let result = self.plan_and_apply(setup).await;
        run.finished = Some(Utc::now());
        match &result {
            Ok(outcome) => {
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
        self.store.record_run(&run).await?;
        result
    }

    async fn plan_and_apply(&self, setup: &SourceSetup) -> Result<SyncOutcome, SyncError> {
        let plan = self.plan(setup).await?;
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
        self.store.apply(&plan).await?;
        Ok(SyncOutcome {
            plan,
            applied: true,
        })
    }
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
