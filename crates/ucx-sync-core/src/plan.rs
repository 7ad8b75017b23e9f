//! The plan: every change a sync would make, deterministic and explainable.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::fields::{FieldName, Fields};
use crate::record::{ObjectKind, SourceId, SyncKey};
use crate::user::UserId;

/// What a sync would do for one source. Every list is sorted by key, so the same inputs always
/// give the same plan; serialised with serde it is the `plan --json` output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Which source.
    pub source: SourceId,
    /// How many of each outcome.
    pub counts: Counts,
    /// Users to add.
    pub adds: Vec<Add>,
    /// Users whose every-time fields change (or that are adopted).
    pub updates: Vec<Update>,
    /// Users whose key changed in the source (same stable id), updated in place.
    pub renames: Vec<Rename>,
    /// Users the source no longer has.
    pub deletes: Vec<Delete>,
    /// Changes that cannot be made; reported, never applied.
    pub conflicts: Vec<Conflict>,
    /// Records the mapping rules could not turn into a user.
    pub errors: Vec<crate::mapper::MappingError>,
    /// Notes for the administrator (skipped deletes, truncated values, ...).
    pub warnings: Vec<String>,
    /// How many users the source owned before the plan (the base of the delete percentage).
    pub owned_before: usize,
}

/// How many of each outcome a plan holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Users to add.
    pub add: usize,
    /// Users to update.
    pub update: usize,
    /// Users renamed in place.
    pub rename: usize,
    /// Users to delete.
    pub delete: usize,
    /// Conflicts.
    pub conflict: usize,
    /// Users already as wanted.
    pub unchanged: usize,
    /// Records that could not be mapped.
    pub error: usize,
}

/// A user to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Add {
    /// Its key.
    pub key: SyncKey,
    /// Its kind.
    pub kind: ObjectKind,
    /// The source's immutable id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_id: Option<String>,
    /// Create-only ∪ every-time fields (every-time wins); no empty values.
    pub fields: Fields,
}

/// One field's change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field.
    pub field: FieldName,
    /// Its value now (`None`: not set).
    pub old: Option<String>,
    /// Its value after the change (`None`: cleared).
    pub new: Option<String>,
    /// The rule that produced the new value.
    pub rule: String,
}

/// A user whose fields change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Update {
    /// The user's key.
    pub key: SyncKey,
    /// The user's database id.
    pub id: UserId,
    /// Whether the user was entered by hand and is now taken over by the source.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopt: bool,
    /// When adopting: the stable id the user takes (`None` clears the one it had).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stable_id: Option<String>,
    /// The field changes, sorted by field name.
    pub changes: Vec<FieldChange>,
}

/// A user whose key changed in the source: updated in place, keeping its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rename {
    /// The new key.
    pub key: SyncKey,
    /// The old key.
    pub from: SyncKey,
    /// The user's database id.
    pub id: UserId,
    /// The stable id that tied them together.
    pub stable_id: String,
    /// Field changes made at the same time.
    pub changes: Vec<FieldChange>,
}

/// A user to delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delete {
    /// The user's key.
    pub key: SyncKey,
    /// The user's database id.
    pub id: UserId,
}

/// A change that cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The key of the record concerned.
    pub key: SyncKey,
    /// Why.
    pub reason: ConflictReason,
}

/// Why a change cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ConflictReason {
    /// A user with this key belongs to another source.
    OwnedByOtherSource {
        /// The owner.
        owner: SourceId,
    },
    /// The source has several records with this key.
    DuplicateKey {
        /// How many.
        count: usize,
    },
    /// The record's stable id belongs to a user the source still lists under another key (or
    /// several records claim it), so the record is not a rename of that user.
    StableIdInUse {
        /// The stable id.
        stable_id: String,
        /// The key of the user holding it.
        holder: SyncKey,
    },
    /// A field that must be unique already holds this value for another user.
    UniqueFieldTaken {
        /// The field.
        field: FieldName,
        /// The value.
        value: String,
        /// Who holds it.
        holder: SyncKey,
    },
}

impl fmt::Display for ConflictReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConflictReason::OwnedByOtherSource { owner } => {
                write!(f, "a user with this key belongs to source {owner}")
            }
            ConflictReason::DuplicateKey { count } => {
                write!(
                    f,
                    "the source has {count} records with this key; none is imported"
                )
            }
            ConflictReason::StableIdInUse { stable_id, holder } => write!(
                f,
                "the source id {stable_id} belongs to {holder}, which the source still lists"
            ),
            ConflictReason::UniqueFieldTaken {
                field,
                value,
                holder,
            } => {
                write!(f, "{field} '{value}' is already used by {holder}")
            }
        }
    }
}

impl Plan {
    /// An empty plan for `source`.
    pub fn empty(source: SourceId) -> Self {
        Self {
            source,
            counts: Counts::default(),
            adds: Vec::new(),
            updates: Vec::new(),
            renames: Vec::new(),
            deletes: Vec::new(),
            conflicts: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            owned_before: 0,
        }
    }

    /// Whether applying the plan would change nothing.
    pub fn is_noop(&self) -> bool {
        self.adds.is_empty()
            && self.updates.is_empty()
            && self.renames.is_empty()
            && self.deletes.is_empty()
    }

    /// Fields of an add as a sorted map (for display).
    pub fn add_fields(add: &Add) -> BTreeMap<String, String> {
        add.fields.to_map()
    }
}
