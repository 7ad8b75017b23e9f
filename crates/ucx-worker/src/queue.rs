//! The sources' jobs on apalis-postgres: enqueueing each source's slot once across workers,
//! running them one worker at a time with heartbeats, and pruning old jobs.

use std::future::Future;
use std::time::Duration;

use apalis::prelude::{BackendExt, Strategy, TaskBuilder, WorkerBuilder, WorkerBuilderExt};
use apalis_postgres::{Config, PostgresStorage};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use serde::{Deserialize, Serialize};
use sqlx_postgres::PgPool;

use crate::error::{JobFailed, WorkerError};
use crate::schedule::Scheduled;

/// One run of one source: the job a worker takes from the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceJob {
    /// The source's name in the configuration.
    pub source: String,
    /// The start of the slot this run is for (Unix seconds).
    pub slot: i64,
}

/// The fewest missed heartbeats that take a worker for dead (see [`QueueOptions`]'s
/// `missed_heartbeats`).
pub const MIN_MISSED_HEARTBEATS: usize = 3;

/// How workers share the queue.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct QueueOptions {
    /// The queue's name: workers of one configuration share it; a second deployment on the
    /// same database uses another.
    pub name: String,
    /// How often a worker tells the database it is alive.
    pub heartbeat: Duration,
    /// Heartbeats a worker may miss before its jobs are given to another worker: a worker
    /// that died loses its sources after `heartbeat × missed_heartbeats`. At least
    /// [`MIN_MISSED_HEARTBEATS`].
    pub missed_heartbeats: usize,
    /// Sources one worker runs at once. A worker takes a job only when it has room for it, so
    /// due sources spread over the workers instead of queueing behind the first.
    pub concurrency: usize,
    /// How often an idle worker looks for due jobs.
    pub poll: Duration,
    /// How long finished jobs are kept (at least two of the longest interval, so a worker
    /// starting late in a slot still finds that slot's job and does not run it again).
    pub keep_finished: Duration,
}

impl QueueOptions {
    /// The defaults: queue `ucx-sync`, a heartbeat every 30 s, dead after 4 missed (2 min),
    /// two sources at a time, polling every 5 s, finished jobs kept a week.
    pub fn new() -> Self {
        Self {
            name: "ucx-sync".into(),
            heartbeat: Duration::from_secs(30),
            missed_heartbeats: 4,
            concurrency: 2,
            poll: Duration::from_secs(5),
            keep_finished: Duration::from_secs(7 * 86_400),
        }
    }

    /// The same options on queue `name`.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How long a worker's silence takes to give its jobs to another worker.
    pub fn dead_after(&self) -> Duration {
        self.heartbeat * u32::try_from(self.missed_heartbeats).unwrap_or(u32::MAX)
    }

    /// The options as the queue uses them: apalis keeps a worker's liveness in whole seconds
    /// (a new worker's first sign of life is stored truncated to the second, silences are
    /// compared in seconds), so a heartbeat under a second, or fewer than three missed, can
    /// take a live worker for dead and run its source a second time: with 1 s × 2, a worker
    /// registered 1.1 s earlier already looked 2 s silent to the next one starting.
    fn checked(mut self) -> Self {
        self.heartbeat = self.heartbeat.max(Duration::from_secs(1));
        self.missed_heartbeats = self.missed_heartbeats.max(MIN_MISSED_HEARTBEATS);
        self.concurrency = self.concurrency.max(1);
        self
    }
}

impl Default for QueueOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// The job queue of the sources, in the `apalis` schema of the users database.
///
/// Every worker runs [`Queue::run`] with the same schedule; each due source is then synced by
/// exactly one of them (see the crate documentation for how).
#[derive(Debug, Clone)]
pub struct Queue {
    pool: PgPool,
    options: QueueOptions,
}

impl Queue {
    /// The queue on `pool`, after creating or migrating apalis' tables (an advisory lock keeps
    /// workers starting together from migrating twice).
    pub async fn connect(pool: PgPool, options: QueueOptions) -> Result<Self, WorkerError> {
        PostgresStorage::setup(&pool)
            .await
            .map_err(|e| WorkerError::queue("create the job queue's tables", e))?;
        Ok(Self {
            pool,
            options: options.checked(),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &QueueOptions {
        &self.options
    }

    /// Enqueues the job of the slot `now` falls in for each source, unless it already is
    /// (enqueued by this or another worker, run or not): returns the jobs this call added.
    pub async fn enqueue_due(
        &self,
        schedule: &[Scheduled],
        now: DateTime<Utc>,
    ) -> Result<Vec<SourceJob>, WorkerError> {
        let mut added = Vec::new();
        for s in schedule {
            let start = s.slot_start(now);
            let job = SourceJob {
                source: s.name.clone(),
                slot: start.timestamp(),
            };
            if self.push(&job, &s.job_key(start)).await? {
                added.push(job);
            }
        }
        Ok(added)
    }

    /// Pushes `job` under `key`; false when a job of that key exists already.
    async fn push(&self, job: &SourceJob, key: &str) -> Result<bool, WorkerError> {
        let args = serde_json::to_vec(job).map_err(|e| WorkerError::Encode(e.to_string()))?;
        // One attempt: a failed sync is reported and tried again in its next slot, as the
        // single-process scheduler does; a job whose worker died is given to another worker
        // whatever its attempts.
        let task = TaskBuilder::new(args)
            .run_at_timestamp(u64::try_from(job.slot).unwrap_or(0))
            .idempotency_key(key)
            .max_attempts(1)
            .build();
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(|e| WorkerError::database("enqueue a source", e))?;
        match apalis_postgres::queries::push_tasks(&mut *conn, &self.options.name, vec![task]).await
        {
            Ok(()) => Ok(true),
            Err(apalis_postgres::Error::Database(e))
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                Ok(false)
            }
            Err(e) => Err(WorkerError::queue("enqueue a source", e)),
        }
    }

    /// Deletes this queue's jobs that finished before `before`; returns how many.
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<u64, WorkerError> {
        sqlx_core::query::query(
            "DELETE FROM apalis.jobs WHERE job_type = $1 AND done_at < $2
               AND status IN ('Done', 'Failed', 'Killed')",
        )
        .bind(&self.options.name)
        .bind(before)
        .execute(&self.pool)
        .await
        .map(|r| r.rows_affected())
        .map_err(|e| WorkerError::database("prune finished jobs", e))
    }

    /// Runs a worker named `name` (unique among the live workers: a host name and process id)
    /// until `stop` resolves: keeps every source of `schedule` enqueued slot by slot, and
    /// calls `handler` for each job it takes, on a task of its own. A lost database
    /// connection ends the worker; the jobs under way still finish on their tasks, and the
    /// worker is started again under a fresh name after a pause, so an outage costs the jobs
    /// due during it, not the process. A job whose acknowledgement was lost that way comes
    /// back after the missed heartbeats: `handler` should tell a slot that already ran (ucx-sync
    /// looks for a finished run started in it). On `stop` the worker takes no new job and
    /// returns once the jobs it runs have finished.
    pub fn run<H, F>(
        &self,
        name: &str,
        schedule: Vec<Scheduled>,
        handler: H,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = Result<(), WorkerError>> + Send + 'static
    where
        H: Fn(SourceJob) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Result<(), JobFailed>> + Send + 'static,
    {
        let this = self.clone();
        let name = name.to_owned();
        let stop = stop.boxed().shared();
        async move {
            // The due slots first, so the worker's first fetch finds them: a worker that
            // fetched before anything was enqueued would wait a poll interval while the
            // others took every source. Then the enqueuer goes on beside the worker and ends
            // with it.
            let mut enqueued = vec![None; schedule.len()];
            this.enqueue_pass(&schedule, &mut enqueued, Utc::now())
                .await;
            let enqueuer = tokio::spawn(this.clone().enqueue_loop(schedule, enqueued));
            let _enqueuer = AbortOnDrop(enqueuer);
            for attempt in 0u32.. {
                let worker_name = if attempt == 0 {
                    name.clone()
                } else {
                    format!("{name}-{attempt}")
                };
                match this
                    .run_worker(worker_name.clone(), handler.clone(), stop.clone())
                    .await
                {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        let pause = Duration::from_secs(u64::from(attempt.min(5) + 1) * 5);
                        tracing::warn!(
                            worker = %worker_name,
                            error = %e,
                            "the worker lost the job queue; starting again in {}s",
                            pause.as_secs()
                        );
                        tokio::select! {
                            _ = tokio::time::sleep(pause) => {}
                            _ = stop.clone() => return Ok(()),
                        }
                    }
                }
            }
            Ok(())
        }
    }

    /// One apalis worker on this queue: one job fetched at a time, and only when there is
    /// room for it.
    async fn run_worker<H, F>(
        &self,
        name: String,
        handler: H,
        stop: futures::future::Shared<futures::future::BoxFuture<'static, ()>>,
    ) -> Result<(), WorkerError>
    where
        H: Fn(SourceJob) -> F + Clone + Send + Sync + 'static,
        F: Future<Output = Result<(), JobFailed>> + Send + 'static,
    {
        let o = &self.options;
        let config = Config::default()
            .queue(&o.name)
            .batch_size(1)
            .heartbeat_interval(o.heartbeat)
            .missed_heartbeats(o.missed_heartbeats);
        let backend = PostgresStorage::<SourceJob>::new(&self.pool)
            .with_config(config)
            .poll_with_strategy(Strategy::new().interval(o.poll));
        // Each job runs on a task of its own, awaited here: a worker whose queue connection
        // fails is dropped by apalis with the jobs it runs, but a sync already under way (half
        // of a large source read) finishes all the same. Its job, no longer acknowledged, comes
        // back after the missed heartbeats; the handler sees that its slot already ran.
        let worker = WorkerBuilder::new(name)
            .backend(backend)
            .concurrency(o.concurrency)
            .build(move |job: SourceJob| {
                let run = tokio::spawn(handler(job));
                async move {
                    run.await.unwrap_or_else(|e| {
                        Err(JobFailed(format!(
                            "the job's task ended without an answer: {e}"
                        )))
                    })
                }
            });
        worker
            .run_until(stop.map(Ok::<(), apalis::prelude::WorkerError>))
            .await
            .map_err(|e| WorkerError::Worker(e.to_string()))
    }

    /// Enqueues each source's slot whose job this worker has not enqueued yet (`enqueued`
    /// holds the slot each was last enqueued for). Errors are logged and tried again at the
    /// next pass: the enqueuer of any live worker is enough.
    async fn enqueue_pass(
        &self,
        schedule: &[Scheduled],
        enqueued: &mut [Option<DateTime<Utc>>],
        now: DateTime<Utc>,
    ) {
        for (s, last) in schedule.iter().zip(enqueued.iter_mut()) {
            let start = s.slot_start(now);
            if *last == Some(start) {
                continue;
            }
            match self.enqueue_due(std::slice::from_ref(s), now).await {
                Ok(added) => {
                    *last = Some(start);
                    for job in added {
                        tracing::info!(source = %job.source, slot = job.slot, "enqueued");
                    }
                }
                Err(e) => tracing::warn!(source = %s.name, error = %e, "cannot enqueue"),
            }
        }
    }

    /// After the first pass: enqueues each source's slot when it begins, and prunes old jobs
    /// hourly.
    async fn enqueue_loop(
        self,
        schedule: Vec<Scheduled>,
        mut enqueued: Vec<Option<DateTime<Utc>>>,
    ) {
        let mut pruned_at: Option<tokio::time::Instant> = None;
        let longest = schedule.iter().map(|s| s.every).max().unwrap_or_default();
        let keep = self.options.keep_finished.max(longest * 2);
        loop {
            let now = Utc::now();
            if pruned_at.is_none_or(|t| t.elapsed() > Duration::from_secs(3600)) {
                let before =
                    now - chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX);
                match self.prune(before).await {
                    Ok(n) if n > 0 => tracing::info!(jobs = n, "pruned finished jobs"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot prune finished jobs"),
                }
                pruned_at = Some(tokio::time::Instant::now());
            }
            // The next slot boundary, but at least once a second and at most a minute apart,
            // so a clock step or a failed enqueue is caught up soon.
            let next = schedule
                .iter()
                .map(|s| (s.next_slot(now) - now).to_std().unwrap_or_default())
                .min()
                .unwrap_or(Duration::from_secs(60))
                .clamp(Duration::from_secs(1), Duration::from_secs(60));
            tokio::time::sleep(next).await;
            self.enqueue_pass(&schedule, &mut enqueued, Utc::now())
                .await;
        }
    }
}

/// A worker that sent a heartbeat within its queue's dead-after time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveWorker {
    /// Its name (host, process id, start time).
    pub name: String,
    /// Its last heartbeat.
    pub last_seen: DateTime<Utc>,
}

/// The workers of the queue `options` names that are alive (a heartbeat within
/// [`QueueOptions::dead_after`]), by name; none before any worker made the queue's tables. Reads
/// only: for `status`, which must not create tables.
pub async fn live_workers(
    pool: &PgPool,
    options: &QueueOptions,
) -> Result<Vec<LiveWorker>, WorkerError> {
    let fail = |e| WorkerError::database("list the workers", e);
    let exists: bool =
        sqlx_core::query_scalar::query_scalar("SELECT to_regclass('apalis.workers') IS NOT NULL")
            .fetch_one(pool)
            .await
            .map_err(fail)?;
    if !exists {
        return Ok(Vec::new());
    }
    let dead_after =
        i64::try_from(options.clone().checked().dead_after().as_secs()).unwrap_or(i64::MAX);
    let rows: Vec<(String, DateTime<Utc>)> = sqlx_core::query_as::query_as(
        "SELECT id, last_seen FROM apalis.workers
          WHERE worker_type = $1 AND last_seen > now() - make_interval(secs => $2)
          ORDER BY id",
    )
    .bind(&options.name)
    .bind(dead_after as f64)
    .fetch_all(pool)
    .await
    .map_err(fail)?;
    Ok(rows
        .into_iter()
        .map(|(name, last_seen)| LiveWorker { name, last_seen })
        .collect())
}

/// Aborts a spawned task when dropped: the enqueuer of a worker that stopped (or whose future
/// was dropped) must not go on enqueueing.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
