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
#[non_exhaustive]
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
    /// Users whose key now belongs to another person (both stable ids known and different): the
    /// old user is deleted and the new one added, so the newcomer inherits nothing.
    #[serde(default)]
    pub replaces: Vec<Replace>,
    /// Users the source no longer has.
    pub deletes: Vec<Delete>,
    /// Changes that cannot be made; reported, never applied.
    pub conflicts: Vec<Conflict>,
    /// Field values a configured uniqueness rule kept from a user (the user itself is still
    /// added or updated, without that value).
    #[serde(default)]
    pub held_back: Vec<HeldBack>,
    /// Records the mapping rules could not turn into a user.
    pub errors: Vec<crate::mapper::MappingError>,
    /// Notes for the administrator (skipped deletes, truncated values, ...).
    pub warnings: Vec<String>,
    /// How many users the source owned before the plan (the base of the delete percentage).
    pub owned_before: usize,
    /// How many records the plan was made from (after the filter, mapping errors included): a
    /// plan from no record at all for a source that owns users is refused by the guard.
    #[serde(default)]
    pub listed: usize,
    /// What the plan was made from, so a saved plan is applied only to the same state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basis: Option<PlanBasis>,
}

/// The state a plan was made from: the users database and the snapshot, by digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanBasis {
    /// A digest of every user in the database.
    pub users: String,
    /// When the snapshot was taken.
    pub snapshot_taken_at: chrono::DateTime<chrono::Utc>,
    /// How many records it held.
    pub snapshot_records: usize,
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
    /// Users replaced by a new person with the same key.
    #[serde(default)]
    pub replace: usize,
    /// Users to delete.
    pub delete: usize,
    /// Conflicts.
    pub conflict: usize,
    /// Users already as wanted.
    pub unchanged: usize,
    /// Records that could not be mapped.
    pub error: usize,
    /// Field values held back by a uniqueness rule.
    #[serde(default)]
    pub held_back: usize,
}

impl Counts {
    /// What the plan leaves undone: records not applied (conflicts, mapping errors) and field
    /// values held back. Non-zero makes `apply` and `run` exit 4.
    pub fn not_applied(&self) -> usize {
        self.conflict + self.error + self.held_back
    }

    /// The users lost by the plan: deletes and replaced users, which the delete guard counts.
    pub fn losses(&self) -> usize {
        self.delete + self.replace
    }
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

impl Update {
    /// Checks a stored user against this update, for a store applying it: the user still has
    /// the key, and is still owned by `source` (or, when adopting, by nobody). A stale-plan
    /// error otherwise.
    pub fn check_stored(
        &self,
        source: &SourceId,
        owner: Option<&str>,
        key: &str,
    ) -> Result<(), crate::store::StoreError> {
        let owner_ok = if self.adopt {
            owner.is_none()
        } else {
            owner == Some(source.as_str())
        };
        if owner_ok && key == self.key.as_str() {
            Ok(())
        } else {
            Err(crate::store::StoreError::Stale {
                reason: format!("user {} to update has changed owner or key", self.key),
            })
        }
    }

    /// The stable id to store after this update, given the one `stored`: an adopted user takes
    /// the source's id for it (or none), not what it held before; a user stored without one
    /// gets the current person's.
    pub fn stable_id_after(&self, stored: Option<&str>) -> Option<String> {
        if self.adopt {
            self.stable_id.clone()
        } else {
            self.stable_id.clone().or_else(|| stored.map(str::to_owned))
        }
    }
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

/// A user whose key a different person now has: the old user is deleted and a new one added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replace {
    /// The key both share.
    pub key: SyncKey,
    /// The kind of the new user.
    pub kind: ObjectKind,
    /// The old user's database id (deleted).
    pub id: UserId,
    /// The old user's stable id.
    pub old_stable_id: String,
    /// The new person's stable id.
    pub stable_id: String,
    /// The new user's fields, as for an add.
    pub fields: Fields,
}

/// A user a plan creates (an add, or the new user of a replace), as stores insert it.
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    /// Its key.
    pub key: &'a SyncKey,
    /// Its kind.
    pub kind: ObjectKind,
    /// The source's immutable id.
    pub stable_id: Option<&'a str>,
    /// Its fields.
    pub fields: &'a Fields,
}

/// A field value kept from a user by a uniqueness rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldBack {
    /// The user's key.
    pub key: SyncKey,
    /// The field left unwritten.
    pub field: FieldName,
    /// The value it would have had.
    pub value: String,
    /// The user that holds (or keeps) that value in the same scope.
    pub holder: SyncKey,
}

impl fmt::Display for HeldBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} '{}' not written: {} holds it and the field is configured unique",
            self.field, self.value, self.holder
        )
    }
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
    /// The key now belongs to another person (a different stable id), but the old user cannot
    /// be replaced: the snapshot is incomplete, or the source still lists the old stable id.
    KeyReused {
        /// The stable id the user has.
        old_stable_id: String,
        /// The stable id the source now lists under the key.
        stable_id: String,
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
            ConflictReason::KeyReused {
                old_stable_id,
                stable_id,
            } => write!(
                f,
                "the key moved from source id {old_stable_id} to {stable_id}, but the user is not \
                 replaced: the snapshot is incomplete or the source still lists {old_stable_id}"
            ),
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
            replaces: Vec::new(),
            deletes: Vec::new(),
            conflicts: Vec::new(),
            held_back: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            owned_before: 0,
            listed: 0,
            basis: None,
        }
    }

    /// Whether applying the plan would change nothing.
    pub fn is_noop(&self) -> bool {
        self.adds.is_empty()
            && self.updates.is_empty()
            && self.renames.is_empty()
            && self.replaces.is_empty()
            && self.deletes.is_empty()
    }

    /// Every user the plan removes, as (id, key): the deletes, then the old users of the
    /// replaces. Stores apply these first.
    pub fn removals(&self) -> impl Iterator<Item = (UserId, &SyncKey)> {
        self.deletes
            .iter()
            .map(|d| (d.id, &d.key))
            .chain(self.replaces.iter().map(|r| (r.id, &r.key)))
    }

    /// Every user the plan creates: the adds, then the new users of the replaces.
    pub fn additions(&self) -> impl Iterator<Item = NewUser<'_>> {
        self.adds
            .iter()
            .map(|a| NewUser {
                key: &a.key,
                kind: a.kind,
                stable_id: a.stable_id.as_deref(),
                fields: &a.fields,
            })
            .chain(self.replaces.iter().map(|r| NewUser {
                key: &r.key,
                kind: r.kind,
                stable_id: Some(&r.stable_id),
                fields: &r.fields,
            }))
    }

    /// Fields of an add as a sorted map (for display).
    pub fn add_fields(add: &Add) -> BTreeMap<String, String> {
        add.fields.to_map()
    }
}
