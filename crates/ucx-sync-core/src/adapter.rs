//! The one trait every connector implements, and what it returns.

use std::fmt::Debug;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, SourceError};
use crate::record::{ObjectKind, SourceId, SourceRecord, SyncKey};

/// What a source can do, so callers can tell before they ask.
///
/// `#[non_exhaustive]`: built with [`Capabilities::new`] and [`Capabilities::with_delta`].
///
/// ```
/// use ucx_sync_core::{Capabilities, ObjectKind};
/// let mut caps = Capabilities::new([ObjectKind::User]).with_delta(true);
/// caps.max_page_size = Some(1000);
/// ```
///
/// ```compile_fail
/// let caps = ucx_sync_core::Capabilities { delta: true, ..Default::default() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Capabilities {
    /// The kinds of object `list` returns.
    pub kinds: Vec<ObjectKind>,
    /// Whether `changes` is implemented (Graph delta, AXL listChange).
    pub delta: bool,
    /// Whether part of a filter can be evaluated by the source itself.
    pub filter_push_down: bool,
    /// The largest page the source serves.
    pub max_page_size: Option<usize>,
    /// Whether `list` reuses values from the previous snapshot ([`ListRequest::previous`]),
    /// such as Webex recording ids fetched one request per person: the pipeline then passes
    /// the stored snapshot in, so a re-sync asks only for records it has not seen.
    pub reads_previous: bool,
}

impl Capabilities {
    /// Capabilities for a source serving `kinds`, without delta or push-down.
    pub fn new(kinds: impl Into<Vec<ObjectKind>>) -> Self {
        Self {
            kinds: kinds.into(),
            ..Self::default()
        }
    }

    /// Declares delta support.
    pub fn with_delta(mut self, delta: bool) -> Self {
        self.delta = delta;
        self
    }
}

/// What to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRequest {
    /// Only these kinds (empty: every kind the source serves).
    pub kinds: Vec<ObjectKind>,
    /// A filter the source may apply on its side; the core evaluates it locally too.
    pub filter: Option<ucx_filter::Filter>,
    /// Page size, if not the source's default.
    pub page_size: Option<usize>,
    /// The last snapshot stored, for sources that reuse expensive per-record values from it
    /// ([`Capabilities::reads_previous`]). A value found there is trusted as it is.
    pub previous: Option<std::sync::Arc<Snapshot>>,
}

impl ListRequest {
    /// Everything.
    pub fn all() -> Self {
        Self::default()
    }

    /// The same request, reusing values of `previous`.
    pub fn with_previous(mut self, previous: Option<std::sync::Arc<Snapshot>>) -> Self {
        self.previous = previous;
        self
    }
}

/// An opaque position in a source's change feed (a Graph delta link, an AXL queue id and change
/// id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub String);

/// What changed since a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeSet {
    /// Records added or changed (whole records).
    pub upserts: Vec<SourceRecord>,
    /// Keys of records removed from the source.
    pub removals: Vec<SyncKey>,
    /// Stable ids of records removed, for sources that report removals by id only (AXL
    /// `listChange` gives the uuid of a removed user, not its userid).
    pub removed_ids: Vec<String>,
    /// The change feed was lost (a restarted AXL queue, an expired Graph delta token) and the
    /// source read everything again: `upserts` is then the whole source, and records absent
    /// from it are gone.
    pub full: bool,
    /// Where to continue from next time.
    pub cursor: Option<Cursor>,
}

/// A source's records at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Which source.
    pub source: SourceId,
    /// When the read started.
    pub taken_at: DateTime<Utc>,
    /// Whether every page was read. Only a complete snapshot may cause deletes.
    pub complete: bool,
    /// The records.
    pub records: Vec<SourceRecord>,
    /// Where a delta refresh continues from, when the source has one.
    pub cursor: Option<Cursor>,
    /// When the last full read of the records began: the snapshot's own time after a full
    /// read, carried forward by incremental refreshes, so a full read is due on its schedule.
    #[serde(default)]
    pub full_at: Option<DateTime<Utc>>,
}

/// A directory the sync reads from. Sources are read-only: plans are applied to the users
/// database, never through this trait.
///
/// Implement the five methods; use [`SourceAdapterExt`] for the conveniences.
#[async_trait]
pub trait SourceAdapter: Debug + Send + Sync + 'static {
    /// Which source this is.
    fn source_id(&self) -> &SourceId;

    /// What it can do.
    fn capabilities(&self) -> Capabilities;

    /// Whether the source is reachable and the credentials are accepted (the STATUS light).
    async fn check(&self) -> Result<(), SourceError>;

    /// Pages lazily through the source. The stream ends after its first error.
    fn list(&self, request: ListRequest) -> BoxStream<'static, Result<SourceRecord, SourceError>>;

    /// Changes since `cursor`; `Unsupported` where the source has no change feed.
    async fn changes(&self, cursor: &Cursor) -> Result<ChangeSet, SourceError> {
        let _ = cursor;
        Err(SourceError::new(
            ErrorKind::Unsupported,
            format!("{}: changes", self.source_id()),
        ))
    }

    /// Where the change feed stands now, without reading any change: taken before a full read,
    /// so the next incremental refresh replays whatever changed during it. The default asks
    /// `changes` with an empty cursor and keeps its cursor unless it answered `full` (a source
    /// whose empty-cursor answer is a full read should override this with a cheaper bookmark).
    async fn change_bookmark(&self) -> Result<Option<Cursor>, SourceError> {
        if !self.capabilities().delta {
            return Ok(None);
        }
        let set = self.changes(&Cursor(String::new())).await?;
        Ok(if set.full { None } else { set.cursor })
    }

    /// What fetches the pictures the source's users' `picture` fields name; `None` (the
    /// default) when the source has none or they are switched off.
    fn pictures(&self) -> Option<std::sync::Arc<dyn crate::picture::PictureFetcher>> {
        None
    }
}

/// Conveniences over [`SourceAdapter`], implemented for every adapter. Do not implement it yourself.
#[async_trait]
pub trait SourceAdapterExt: SourceAdapter {
    /// Reads every record into a complete snapshot, or returns the first error: a partial read never
    /// becomes a snapshot, so it can never cause deletes.
    async fn snapshot(&self, request: ListRequest) -> Result<Snapshot, SourceError> {
        self.snapshot_observed(request, &|_| {}).await
    }

    /// [`snapshot`](Self::snapshot), calling `progress` with the number of records read so far
    /// after each one (a progress bar, a log line every thousand records).
    async fn snapshot_observed(
        &self,
        request: ListRequest,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<Snapshot, SourceError> {
        let taken_at = Utc::now();
        let mut records: Vec<SourceRecord> = Vec::new();
        let mut stream = self.list(request);
        while let Some(record) = stream.next().await {
            records.push(record?);
            progress(records.len());
        }
        Ok(Snapshot {
            source: self.source_id().clone(),
            taken_at,
            complete: true,
            records,
            cursor: None,
            full_at: Some(taken_at),
        })
    }
}

impl<T: SourceAdapter + ?Sized> SourceAdapterExt for T {}

/// An adapter under a source id of the configuration's choosing. A connector derives its id
/// from values whose spelling may change (a publisher host, a tenant as typed, an org id set
/// later); the users it owns are recorded under that id, so a stable id chosen once keeps them
/// owned when those values change. Everything but the id is the inner adapter's.
#[derive(Debug)]
pub struct WithSourceId {
    inner: std::sync::Arc<dyn SourceAdapter>,
    id: SourceId,
}

impl WithSourceId {
    /// `inner`, known as `id`.
    pub fn new(inner: std::sync::Arc<dyn SourceAdapter>, id: SourceId) -> Self {
        Self { inner, id }
    }
}

#[async_trait]
impl SourceAdapter for WithSourceId {
    fn source_id(&self) -> &SourceId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn check(&self) -> Result<(), SourceError> {
        self.inner.check().await
    }

    fn list(&self, request: ListRequest) -> BoxStream<'static, Result<SourceRecord, SourceError>> {
        self.inner.list(request)
    }

    async fn changes(&self, cursor: &Cursor) -> Result<ChangeSet, SourceError> {
        self.inner.changes(cursor).await
    }

    async fn change_bookmark(&self) -> Result<Option<Cursor>, SourceError> {
        self.inner.change_bookmark().await
    }

    fn pictures(&self) -> Option<std::sync::Arc<dyn crate::picture::PictureFetcher>> {
        self.inner.pictures()
    }
}
