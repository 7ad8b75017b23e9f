//! Turning a source record into the wanted user (implemented by `ucx-mapping`).

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::fields::{FieldName, Fields};
use crate::record::{ObjectKind, SourceRecord, SyncKey};

/// The user a source record should become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Desired {
    /// The kind of object.
    pub kind: ObjectKind,
    /// The sync key.
    pub key: SyncKey,
    /// The source's immutable id, if any.
    pub stable_id: Option<String>,
    /// Fields written every time ("Import every time from source"); an empty value clears.
    pub always: Fields,
    /// Fields written only when the user is added ("Only when adding").
    pub on_create: Fields,
    /// Which rule produced each field, for the plan's explanations.
    pub rules: RuleLabels,
    /// Notes about this record (a value truncated to the field's length, ...).
    pub warnings: Vec<String>,
}

/// The label of the rule behind each field (`"every time: esn | phoneNumber"`), shared by every
/// record a mapper produces.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleLabels(Arc<BTreeMap<FieldName, Arc<str>>>);

impl RuleLabels {
    /// Labels from `(field, label)` pairs.
    pub fn new<K: Into<FieldName>, L: AsRef<str>>(
        labels: impl IntoIterator<Item = (K, L)>,
    ) -> Self {
        Self(Arc::new(
            labels
                .into_iter()
                .map(|(k, l)| (k.into(), Arc::from(l.as_ref())))
                .collect(),
        ))
    }

    /// The label of `field`, or `"source"` when none was given.
    pub fn get(&self, field: FieldName) -> &str {
        self.0.get(&field).map_or("source", |l| l)
    }
}

/// A record that could not be mapped; it is reported in the plan and the run goes on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{key}: {message}")]
pub struct MappingError {
    /// The record's key.
    pub key: SyncKey,
    /// The record's stable id: a renamed user whose mapping fails is found by it and kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_id: Option<String>,
    /// What went wrong.
    pub message: String,
}

/// Maps source records to wanted users.
pub trait RecordMapper: Debug + Send + Sync {
    /// The wanted user for `record`.
    fn map(&self, record: &SourceRecord) -> Result<Desired, MappingError>;
}
