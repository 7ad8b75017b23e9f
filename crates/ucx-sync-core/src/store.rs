//! Where users, snapshots and run history live.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::adapter::{Cursor, Snapshot};
use crate::picture::{PictureChanges, PictureIndex, PictureMeta};
use crate::plan::{Counts, Plan};
use crate::record::{SourceId, SyncKey};
use crate::user::{User, UserId};
use bytes::Bytes;

/// A store failure.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The plan no longer fits the users (changed since it was made); nothing was applied.
    #[error("the plan is stale: {reason}; nothing was applied, plan again")]
    Stale {
        /// What no longer fits.
        reason: String,
    },
    /// Another apply of the same source is running (holds its lease).
    #[error(
        "another apply of source {source_id} is running ({holder}; its lease expires at {})",
        until.to_rfc3339()
    )]
    Busy {
        /// The source.
        source_id: SourceId,
        /// Who holds the lease.
        holder: String,
        /// When it expires, if not released before.
        until: DateTime<Utc>,
    },
    /// The store would not do what was asked, and changed nothing.
    #[error("{reason}; nothing was changed")]
    Refused {
        /// Why.
        reason: String,
    },
    /// The backing storage failed.
    #[error("store failure: {message}")]
    Backend {
        /// What failed.
        message: String,
        /// The cause.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl StoreError {
    /// A failure of the backing storage while doing `what`, with its cause.
    pub fn backend(what: &str, e: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Backend {
            message: format!("{what}: {e}"),
            source: Some(Box::new(e)),
        }
    }

    /// `move_source` refused: `from` and `to` are the same id.
    pub fn same_source(from: &SourceId) -> Self {
        StoreError::Refused {
            reason: format!("{from} is already the source's id"),
        }
    }

    /// `move_source` refused: `to` already owns `users` users.
    pub fn would_merge(from: &SourceId, to: &SourceId, users: u64) -> Self {
        StoreError::Refused {
            reason: format!(
                "{to} already owns {users} users: moving those of {from} there would merge two sources"
            ),
        }
    }
}

/// The state of a source's snapshot cache: the product's "Source Users Updated At" and whether a
/// refresh is under way.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SnapshotState {
    /// When the last complete refresh finished.
    pub updated_at: Option<DateTime<Utc>>,
    /// When the refresh now running started.
    pub refreshing_since: Option<DateTime<Utc>>,
    /// Whether the cached snapshot is complete.
    pub complete: bool,
    /// How many records it holds.
    pub records: usize,
    /// Where a delta refresh continues from.
    pub cursor: Option<Cursor>,
    /// When the cached snapshot was taken (the start of its refresh).
    #[serde(default)]
    pub taken_at: Option<DateTime<Utc>>,
    /// When its records were last read in full; later incremental refreshes keep it, so
    /// `taken_at != full_at` means the last refresh was incremental.
    #[serde(default)]
    pub full_at: Option<DateTime<Utc>>,
}

impl SnapshotState {
    /// Whether the cached snapshot came from an incremental refresh (a change feed) rather
    /// than a full read.
    pub fn is_incremental(&self) -> bool {
        self.taken_at.is_some() && self.full_at.is_some() && self.taken_at != self.full_at
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Still going.
    Running,
    /// Applied.
    Applied,
    /// Planned only (dry run or nothing to do).
    Planned,
    /// Stopped by a guard.
    Blocked,
    /// Failed.
    Failed,
}

/// One sync run: the product's "integration status and details".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Which source.
    pub source: SourceId,
    /// When it started.
    pub started: DateTime<Utc>,
    /// When it ended.
    pub finished: Option<DateTime<Utc>>,
    /// How it ended.
    pub status: RunStatus,
    /// The plan's counts.
    pub counts: Counts,
    /// Why it failed or was blocked.
    pub error: Option<String>,
}

/// The users role of a store: the users with their owner, key and stable id, an atomic apply,
/// and (optionally) their pictures. A service with a users database of its own implements
/// this and keeps snapshots and runs in a store of ours ([`Synchronizer::with_stores`]).
///
/// [`Synchronizer::with_stores`]: crate::Synchronizer::with_stores
#[async_trait]
pub trait UsersStore: Debug + Send + Sync {
    /// Every user.
    async fn users(&self) -> Result<Vec<User>, StoreError>;

    /// Applies the plan entirely or not at all.
    async fn apply(&self, plan: &Plan) -> Result<(), StoreError>;

    /// The records of the pictures stored for users of `source`. A store that keeps no
    /// pictures has none.
    async fn picture_index(&self, source: &SourceId) -> Result<PictureIndex, StoreError> {
        let _ = source;
        Ok(PictureIndex::new())
    }

    /// The users of `source` with their key and `picture` field, for a picture pass. The
    /// default reads every user; a store can answer it without reading whole users.
    async fn picture_references(
        &self,
        source: &SourceId,
    ) -> Result<Vec<(UserId, SyncKey, Option<String>)>, StoreError> {
        Ok(self
            .users()
            .await?
            .into_iter()
            .filter(|u| u.owner.as_ref() == Some(source))
            .map(|u| {
                let r = u.fields.get_str("picture").map(str::to_owned);
                (u.id, u.key, r)
            })
            .collect())
    }

    /// Stores and removes pictures, all or none. A user deleted since is skipped.
    async fn apply_pictures(&self, changes: &PictureChanges) -> Result<(), StoreError> {
        if changes.store.is_empty() && changes.remove.is_empty() {
            return Ok(());
        }
        Err(StoreError::Backend {
            message: "this users database keeps no pictures".into(),
            source: None,
        })
    }

    /// A user's picture.
    async fn picture(&self, user: UserId) -> Result<Option<(PictureMeta, Bytes)>, StoreError> {
        let _ = user;
        Ok(None)
    }
}

/// The snapshot role: each source's cached snapshot and whether a refresh is under way.
#[async_trait]
pub trait SnapshotStore: Debug + Send + Sync {
    /// The snapshot cache state of `source`.
    async fn snapshot_state(&self, source: &SourceId) -> Result<SnapshotState, StoreError>;

    /// Marks a refresh of `source` as started.
    async fn begin_refresh(&self, source: &SourceId, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// Ends a refresh: stores the snapshot (complete ones replace the cache) and clears
    /// `refreshing_since`.
    async fn finish_refresh(&self, snapshot: Snapshot, at: DateTime<Utc>)
    -> Result<(), StoreError>;

    /// Ends a failed refresh, keeping the previous snapshot.
    async fn abort_refresh(&self, source: &SourceId) -> Result<(), StoreError>;

    /// The cached snapshot of `source`.
    async fn snapshot(&self, source: &SourceId) -> Result<Option<Snapshot>, StoreError>;

    /// Ends a refresh whose records are exactly those of the stored snapshot taken at
    /// `stored_taken_at` (a change feed reported nothing): a store may then write only the new
    /// cursor and time, if the stored snapshot is still that one. The default stores it all.
    async fn finish_unchanged_refresh(
        &self,
        snapshot: Snapshot,
        stored_taken_at: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _ = stored_taken_at;
        self.finish_refresh(snapshot, at).await
    }
}

/// The run-log role: what each sync did and how it ended.
#[async_trait]
pub trait RunStore: Debug + Send + Sync {
    /// Records a run (insert, or update the run of the same source and start time).
    async fn record_run(&self, run: &RunRecord) -> Result<(), StoreError>;

    /// The latest runs of `source`, newest first.
    async fn runs(&self, source: &SourceId, limit: usize) -> Result<Vec<RunRecord>, StoreError>;
}

/// A store that holds all three roles in one database (SQLite, memory), and so can change
/// them together in one transaction.
#[async_trait]
pub trait UserStore: UsersStore + SnapshotStore + RunStore {
    /// Moves everything `from` owns to `to` in one transaction: its users, its snapshot cache
    /// and its run history, so a source whose id changed keeps its users instead of finding
    /// them owned by another source. A snapshot `to` already has (a refresh under the new id)
    /// is newer and kept. Refused, changing nothing, when `to` already owns users (that would
    /// merge two sources) or `from` is `to`. Returns the users moved.
    /// The default refuses: a store supports it by implementing it.
    async fn move_source(&self, from: &SourceId, to: &SourceId) -> Result<usize, StoreError> {
        let _ = (from, to);
        Err(StoreError::Refused {
            reason: "this store cannot move a source's users".into(),
        })
    }
}
