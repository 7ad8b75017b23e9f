//! An in-memory [`SourceAdapter`]: records in a vector, pages and failures on demand.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use ucx_sync_core::{
    Capabilities, ChangeSet, Cursor, ErrorKind, ListRequest, ObjectKind, SourceAdapter,
    SourceError, SourceId, SourceRecord,
};

/// A source whose records live in memory. It can be told to fail after a number of records (a
/// page that never arrives), to fail its check, and to serve a change feed.
#[derive(Debug, Clone)]
pub struct MemoryAdapter {
    id: SourceId,
    state: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    records: Vec<SourceRecord>,
    fail_after: Option<(usize, ErrorKind)>,
    check: Option<ErrorKind>,
    changes: Vec<(String, ChangeSet)>,
}

impl MemoryAdapter {
    /// A source called `id` holding `records`.
    pub fn new(id: impl AsRef<str>, records: Vec<SourceRecord>) -> Self {
        Self {
            id: SourceId::new(id),
            state: Arc::new(Mutex::new(State {
                records,
                ..State::default()
            })),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        match self.state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// Replaces the records.
    pub fn set_records(&self, records: Vec<SourceRecord>) {
        self.state().records = records;
    }

    /// Makes `list` yield `n` records and then an error of `kind` (`None`: no failure).
    pub fn fail_after(&self, failure: Option<(usize, ErrorKind)>) {
        self.state().fail_after = failure;
    }

    /// Makes `check` fail with `kind` (`None`: succeed).
    pub fn fail_check(&self, kind: Option<ErrorKind>) {
        self.state().check = kind;
    }

    /// Serves `changes` for `cursor`.
    pub fn add_changes(&self, cursor: impl Into<String>, changes: ChangeSet) {
        self.state().changes.push((cursor.into(), changes));
    }
}

#[async_trait]
impl SourceAdapter for MemoryAdapter {
    fn source_id(&self) -> &SourceId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::new(ObjectKind::ALL.to_vec()).with_delta(true)
    }

    async fn check(&self) -> Result<(), SourceError> {
        match self.state().check {
            Some(kind) => Err(SourceError::new(kind, "check").with_message("refused by the test")),
            None => Ok(()),
        }
    }

    fn list(&self, request: ListRequest) -> BoxStream<'static, Result<SourceRecord, SourceError>> {
        let state = self.state();
        let records: Vec<SourceRecord> = state
            .records
            .iter()
            .filter(|r| request.kinds.is_empty() || request.kinds.contains(&r.kind))
            .cloned()
            .collect();
        let items: Vec<Result<SourceRecord, SourceError>> = match state.fail_after {
            Some((n, kind)) => records
                .into_iter()
                .take(n)
                .map(Ok)
                .chain(std::iter::once(Err(SourceError::new(kind, "list")
                    .with_message("the page after record {n} failed")
                    .with_tracking_id("memory-1"))))
                .collect(),
            None => records.into_iter().map(Ok).collect(),
        };
        stream::iter(items).boxed()
    }

    async fn changes(&self, cursor: &Cursor) -> Result<ChangeSet, SourceError> {
        self.state()
            .changes
            .iter()
            .find(|(c, _)| *c == cursor.0)
            .map(|(_, cs)| cs.clone())
            .ok_or_else(|| {
                SourceError::new(ErrorKind::NotFound, "changes").with_message("unknown cursor")
            })
    }
}
