//! `ucx-sync` on a PostgreSQL store with several workers: `run` as one of the workers sharing
//! the sources through the job queue (`ucx-worker`), and what `status` and `/status` tell of
//! them (when each source next runs, which workers are alive).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ucx_sync_core::{SourceSetup, Synchronizer, UserStore};

use crate::Failure;
use crate::sync_cmd::{Loaded, input, interval, run_pass, runtime, serve};

/// This process's name among the workers: host, process id and start time.
fn worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    )
}

/// Every source of the configuration on its interval (`--every`, else its `schedule`).
fn schedule(loaded: &Loaded, every: Option<Duration>) -> Vec<ucx_worker::Scheduled> {
    loaded
        .config
        .sources
        .iter()
        .map(|s| ucx_worker::Scheduled::new(s.name.clone(), interval(loaded, every, &s.name)))
        .collect()
}

/// Whether `setup`'s source already has a finished run that started in the slot starting at
/// `slot` (Unix seconds): its job is then a second delivery (its worker's acknowledgement was
/// lost, or a live worker was taken for dead), and the source is not synced again. A run that
/// never finished (its worker died) does not count.
async fn slot_done(store: &dyn UserStore, setup: &SourceSetup, slot: i64) -> bool {
    match store.runs(setup.adapter.source_id(), 1).await {
        Ok(runs) => runs
            .first()
            .is_some_and(|r| r.finished.is_some() && r.started.timestamp() >= slot),
        // Not known: sync; the apply lease keeps a second run from applying beside the first.
        Err(_) => false,
    }
}

/// `run` on a PostgreSQL store: this process is one of the workers sharing the sources through
/// the job queue (`ucx-worker`). Each source is synced once per slot of its interval by
/// whichever worker takes it; Ctrl-C stops taking sources and returns once the syncs under
/// way have finished.
pub(crate) async fn run_worker(
    loaded: &Loaded,
    every: Option<Duration>,
    store: Arc<dyn UserStore>,
    pool: ucx_store_postgres::PgPool,
    listen: Option<&str>,
) -> Result<(), Failure> {
    let queue_options = loaded.config.workers.options().map_err(input)?;
    let sync = Arc::new(Synchronizer::new(store.clone()));
    let setups = Arc::new(loaded.setups(None)?);
    let metrics = Arc::new(crate::service::Metrics::new());
    let schedule = schedule(loaded, every);
    let view = Arc::new(WorkerView {
        pool: pool.clone(),
        options: queue_options.clone(),
        schedule: schedule.clone(),
    });
    let _endpoints = serve(listen, &metrics, store.clone(), &setups, Some(view)).await?;
    let queue = ucx_worker::Queue::connect(pool, queue_options)
        .await
        .map_err(runtime)?;
    let name = worker_name();
    println!(
        "worker {name}: {} source{} on queue {} (Ctrl-C stops after the syncs under way)",
        schedule.len(),
        if schedule.len() == 1 { "" } else { "s" },
        queue.options().name
    );
    let handler = move |job: ucx_worker::SourceJob| {
        let (sync, setups, metrics, store) =
            (sync.clone(), setups.clone(), metrics.clone(), store.clone());
        async move {
            let Some(entry) = setups.iter().find(|(n, _)| *n == job.source) else {
                // A job from a worker with another configuration (a rolling update).
                tracing::warn!(source = %job.source, "no such source in this worker's configuration; skipped");
                return Ok(());
            };
            if slot_done(store.as_ref(), &entry.1, job.slot).await {
                tracing::info!(source = %job.source, slot = job.slot, "this slot already ran; skipped");
                return Ok(());
            }
            match run_pass(&sync, std::iter::once(entry), Some(&metrics)).await {
                // Records left unapplied are counted and shown; the run itself succeeded.
                Ok(()) | Err(Failure::Partial(_)) => Ok(()),
                Err(f) => Err(ucx_worker::JobFailed(f.message().to_owned())),
            }
        }
    };
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
        println!("stopping: no new source is taken; the syncs under way finish");
    };
    queue
        .run(&name, schedule, handler, stop)
        .await
        .map_err(runtime)
}

/// What `status` and `/status` tell of the workers on a PostgreSQL store: when each source
/// next runs (its slot, unless the slot's run has not happened yet) and which workers are
/// alive. Reads only.
#[derive(Debug)]
pub(crate) struct WorkerView {
    pool: ucx_store_postgres::PgPool,
    options: ucx_worker::QueueOptions,
    schedule: Vec<ucx_worker::Scheduled>,
}

impl WorkerView {
    /// The view of `loaded`'s workers on the store's `pool`; `None` on SQLite (no pool).
    pub(crate) fn new(
        loaded: &Loaded,
        pool: Option<ucx_store_postgres::PgPool>,
    ) -> Result<Option<Self>, Failure> {
        let Some(pool) = pool else {
            return Ok(None);
        };
        Ok(Some(Self {
            pool,
            options: loaded.config.workers.options().map_err(input)?,
            schedule: schedule(loaded, None),
        }))
    }

    /// When the workers next sync `name`, given its last run's start: `(when, due now)`.
    pub(crate) fn next_run(
        &self,
        name: &str,
        last_started: Option<DateTime<Utc>>,
    ) -> Option<(DateTime<Utc>, bool)> {
        let s = self.schedule.iter().find(|s| s.name == name)?;
        let now = Utc::now();
        let next = s.next_run(now, last_started);
        Some((next, next <= now))
    }

    /// The workers alive now.
    pub(crate) async fn live(&self) -> Result<Vec<ucx_worker::LiveWorker>, Failure> {
        ucx_worker::live_workers(&self.pool, &self.options)
            .await
            .map_err(runtime)
    }

    /// The queue's name.
    pub(crate) fn queue(&self) -> &str {
        &self.options.name
    }
}
