//! The errors of the queue, and the failure a job reports.

/// What went wrong with the job queue.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkerError {
    /// A statement of ours failed.
    #[error("cannot {action}: {source}")]
    Database {
        /// What was being done.
        action: &'static str,
        /// The database's error.
        #[source]
        source: sqlx_core::Error,
    },
    /// The queue's library failed.
    #[error("cannot {action}: {source}")]
    Queue {
        /// What was being done.
        action: &'static str,
        /// The queue's error.
        #[source]
        source: apalis_postgres::Error,
    },
    /// A job could not be written.
    #[error("cannot encode a job: {0}")]
    Encode(String),
    /// The worker stopped on an error (the database went away, the worker was removed).
    #[error("the worker stopped: {0}")]
    Worker(String),
}

impl WorkerError {
    pub(crate) fn database(action: &'static str, source: sqlx_core::Error) -> Self {
        Self::Database { action, source }
    }

    pub(crate) fn queue(action: &'static str, source: apalis_postgres::Error) -> Self {
        Self::Queue { action, source }
    }
}

/// A job that did not succeed (a source that failed, a guard that stopped the apply): the
/// message is kept with the job in the queue, and the source is tried again in its next slot.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct JobFailed(pub String);
