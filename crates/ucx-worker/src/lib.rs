//! ucx-sync workers: several `ucx-sync run` processes, on one machine or many, sharing the
//! sources of one PostgreSQL users database. Each due source is synced by one worker at a
//! time; a worker that dies loses its sources to the others after a few missed heartbeats;
//! due sources spread over the workers instead of all going to the first.
//!
//! The queue is not ours: it is [apalis](https://docs.rs/apalis) on its PostgreSQL storage
//! (`apalis-postgres`, in the database's `apalis` schema), which gives the heartbeats, the
//! hand-over of a dead worker's jobs, `SKIP LOCKED` fetching and the job history. This crate
//! adds only what is particular to sources:
//!
//! - **Schedule** ([`Scheduled`]): a source synced every `every` has one job per slot of
//!   that interval, named `source@slot-start`. Slots come from the clock, so every worker
//!   computes the same ones, and the queue's unique index on the name keeps one job per slot
//!   however many workers enqueue it, and whether or not it already ran.
//! - **Spreading**: a worker fetches one job at a time, and only when it has room for it
//!   ([`QueueOptions::concurrency`]), so it never holds due jobs that an idle worker could run.
//! - **Jobs outlive a lost connection**: each runs on a task of its own, so a worker that
//!   loses the database finishes the syncs under way instead of dropping them half-read.
//! - **One apply at a time** stays the store's promise (its per-source apply lease), so a
//!   slot's job delivered twice (its acknowledgement lost, or a worker taken for dead that was
//!   not) still never applies twice at once; the handler tells a slot that already ran.
//!
//! ```no_run
//! use std::time::Duration;
//! use ucx_worker::{JobFailed, Queue, QueueOptions, Scheduled, SourceJob};
//!
//! # async fn run(pool: sqlx_postgres::PgPool) -> Result<(), ucx_worker::WorkerError> {
//! let queue = Queue::connect(pool, QueueOptions::new()).await?;
//! let schedule = vec![
//!     Scheduled::new("webex", Duration::from_secs(6 * 3600)),
//!     Scheduled::new("cucm-hq", Duration::from_secs(3600)),
//! ];
//! let handler = |job: SourceJob| async move {
//!     println!("syncing {} for the slot of {}", job.source, job.slot);
//!     Ok::<(), JobFailed>(())
//! };
//! let stop = async {
//!     let _ = tokio::signal::ctrl_c().await;
//! };
//! queue.run("host-a:4242", schedule, handler, stop).await
//! # }
//! ```

mod error;
mod queue;
mod schedule;

pub use error::{JobFailed, WorkerError};
pub use queue::{LiveWorker, MIN_MISSED_HEARTBEATS, Queue, QueueOptions, SourceJob, live_workers};
pub use schedule::Scheduled;
