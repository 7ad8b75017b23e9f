//! Wanted users against existing users → a [`Plan`] (DESIGN.md §4).
//!
//! | case | action |
//! | --- | --- |
//! | key unknown, stable id unknown | add with create-only ∪ every-time fields |
//! | key matches a user of this source, or an unowned user | update the every-time fields that differ; an unowned user is adopted |
//! | key unknown, stable id matches a user of this source | rename in place (or delete + add with [`RenameMode::Recreate`]) |
//! | owned by this source, absent from a complete snapshot | delete |
//! | key owned by another source; duplicate key in the source; a unique field taken | conflict |
//!
//! The wanted users are streamed: only the existing users, three hash indexes over them (holding
//! indices, not copies of keys) and the plan are in memory at once.

use std::borrow::Borrow;
use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use hashbrown::DefaultHashBuilder;
use hashbrown::HashTable;

use crate::fields::{FieldName, Fields};
use crate::mapper::{Desired, MappingError};
use crate::plan::{
    Add, Conflict, ConflictReason, Counts, Delete, FieldChange, Plan, Rename, Update,
};
use crate::record::{SourceId, SyncKey};
use crate::user::User;

/// What to do when a record's key changed but its stable id is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenameMode {
    /// Update the key in place, keeping the user's data (the default).
    #[default]
    InPlace,
    /// Delete the old user and add a new one, as the product documents do.
    Recreate,
}

/// How to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffOptions {
    /// Renames in place or by delete + add.
    pub rename: RenameMode,
    /// Fields whose values must be unique across all users.
    pub unique_fields: Vec<FieldName>,
    /// Fields compared without case (emails).
    pub case_insensitive_fields: Vec<FieldName>,
}

impl Default for DiffOptions {
    /// Unique: first extension, its alias, voicemail number, fax number (the product requires them
    /// unique across all users). Without case: `email`.
    fn default() -> Self {
        Self {
            rename: RenameMode::InPlace,
            unique_fields: [
                "first_extension_number",
                "first_extension_number_alias",
                "voicemail_number",
                "fax_number",
            ]
            .into_iter()
            .map(FieldName::new)
            .collect(),
            case_insensitive_fields: vec![FieldName::new("email")],
        }
    }
}

/// Indexes over the existing users, holding positions rather than copies. Only the key index is
/// always needed; the stable-id and unique-value indexes are built the first time a record asks
/// (an unchanged re-sync never does).
struct Index<'a> {
    users: &'a [User],
    source: &'a SourceId,
    unique_fields: &'a [FieldName],
    hasher: DefaultHashBuilder,
    by_key: HashTable<u32>,
    by_stable: OnceCell<HashTable<u32>>,
    unique: OnceCell<Vec<(FieldName, HashTable<u32>)>>,
}

fn pos(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl<'a> Index<'a> {
    fn new(users: &'a [User], source: &'a SourceId, unique_fields: &'a [FieldName]) -> Self {
        let hasher = DefaultHashBuilder::default();
        let mut by_key = HashTable::with_capacity(users.len());
        for (i, u) in users.iter().enumerate() {
            let h = hasher.hash_one(u.key.as_str());
            by_key.insert_unique(h, pos(i), |&j| {
                hasher.hash_one(users[j as usize].key.as_str())
            });
        }
        Self {
            users,
            source,
            unique_fields,
            hasher,
            by_key,
            by_stable: OnceCell::new(),
            unique: OnceCell::new(),
        }
    }

    fn stable_table(&self) -> &HashTable<u32> {
        self.by_stable.get_or_init(|| {
            let (users, hasher) = (self.users, &self.hasher);
            let stable = |j: u32| users[j as usize].stable_id.as_deref().unwrap_or_default();
            let mut table = HashTable::new();
            for (i, u) in users.iter().enumerate() {
                if u.owner.as_ref() == Some(self.source)
                    && let Some(s) = &u.stable_id
                {
                    table.insert_unique(hasher.hash_one(s.as_str()), pos(i), |&j| {
                        hasher.hash_one(stable(j))
                    });
                }
            }
            table
        })
    }

    fn unique_tables(&self) -> &[(FieldName, HashTable<u32>)] {
        self.unique.get_or_init(|| {
            let (users, hasher) = (self.users, &self.hasher);
            self.unique_fields
                .iter()
                .map(|&field| {
                    let mut table = HashTable::new();
                    for (i, u) in users.iter().enumerate() {
                        if let Some(v) = u.fields.get(field).filter(|v| !v.is_empty()) {
                            table.insert_unique(hasher.hash_one(v), pos(i), |&j| {
                                hasher.hash_one(
                                    users[j as usize].fields.get(field).unwrap_or_default(),
                                )
                            });
                        }
                    }
                    (field, table)
                })
                .collect()
        })
    }

    fn by_key(&self, key: &SyncKey) -> Option<usize> {
        let h = self.hasher.hash_one(key.as_str());
        self.by_key
            .find(h, |&j| self.users[j as usize].key == *key)
            .map(|&j| j as usize)
    }

    fn by_stable(&self, id: &str) -> Option<usize> {
        let h = self.hasher.hash_one(id);
        self.stable_table()
            .find(h, |&j| {
                self.users[j as usize].stable_id.as_deref() == Some(id)
            })
            .map(|&j| j as usize)
    }

    /// Another user than `except` holding `value` in the unique field `field`.
    fn holder(&self, field: FieldName, value: &str, except: Option<usize>) -> Option<usize> {
        let (_, table) = self.unique_tables().iter().find(|(f, _)| *f == field)?;
        let h = self.hasher.hash_one(value);
        table
            .iter_hash(h)
            .map(|&j| j as usize)
            .find(|&j| Some(j) != except && self.users[j].fields.get(field) == Some(value))
    }
}

/// The changes that make `current` hold `wanted`'s values (empty and absent are equal).
fn field_changes(
    wanted: &Fields,
    current: &Fields,
    desired: &Desired,
    options: &DiffOptions,
) -> Vec<FieldChange> {
    let mut out = Vec::new();
    for (field, new, old) in wanted.zip_values(current) {
        let same = old == new
            || (options.case_insensitive_fields.contains(&field)
                && (old.eq_ignore_ascii_case(new) || old.to_lowercase() == new.to_lowercase()));
        if !same {
            out.push(FieldChange {
                field,
                old: (!old.is_empty()).then(|| old.to_owned()),
                new: (!new.is_empty()).then(|| new.to_owned()),
                rule: desired.rules.get(field).to_owned(),
            });
        }
    }
    out.sort_by(|a, b| a.field.as_str().cmp(b.field.as_str()));
    out
}

/// Plans the changes that bring the users of `source` in line with `desired`.
///
/// `complete` says whether `desired` comes from a complete snapshot: only then are users missing
/// from it deleted. Mapping errors are reported in the plan and do not stop it; a record whose
/// mapping failed also protects its user from deletion (the user is treated as seen).
pub fn diff<D: Borrow<Desired>>(
    source: &SourceId,
    users: &[User],
    desired: impl IntoIterator<Item = Result<D, MappingError>>,
    complete: bool,
    options: &DiffOptions,
) -> Plan {
    let index = Index::new(users, source, &options.unique_fields);
    let mut plan = Plan::empty(source.clone());
    plan.owned_before = users
        .iter()
        .filter(|u| u.owner.as_ref() == Some(source))
        .count();
    let mut seen_user = vec![false; users.len()];
    // Duplicate detection: a bit per existing user for keys that match one, a set for the rest.
    let mut matched_by_key = vec![false; users.len()];
    let mut new_keys: HashSet<SyncKey> = HashSet::new();
    let mut duplicates: HashMap<SyncKey, usize> = HashMap::new();
    // Unique values given to users by this plan: (field, value) → key.
    let mut claimed: HashMap<(FieldName, String), SyncKey> = HashMap::new();

    for item in desired {
        let d: &Desired = match &item {
            Ok(d) => d.borrow(),
            Err(e) => {
                if let Some(i) = index.by_key(&e.key) {
                    seen_user[i] = true;
                }
                plan.errors.push(e.clone());
                continue;
            }
        };
        let existing = index.by_key(&d.key);
        let first_time = match existing {
            Some(i) => !std::mem::replace(&mut matched_by_key[i], true),
            None => new_keys.insert(d.key.clone()),
        };
        if !first_time {
            *duplicates.entry(d.key.clone()).or_insert(1) += 1;
            continue;
        }
        plan.warnings
            .extend(d.warnings.iter().map(|w| format!("{}: {w}", d.key)));

        if let Some(i) = existing {
            let user = &users[i];
            seen_user[i] = true;
            match &user.owner {
                Some(owner) if owner != source => {
                    plan.conflicts.push(Conflict {
                        key: d.key.clone(),
                        reason: ConflictReason::OwnedByOtherSource {
                            owner: owner.clone(),
                        },
                    });
                    continue;
                }
                _ => {}
            }
            let adopt = user.owner.is_none();
            let changes = field_changes(&d.always, &user.fields, d, options);
            if let Some(c) = unique_conflict(
                &index,
                &mut claimed,
                &d.key,
                Some(i),
                changes
                    .iter()
                    .filter_map(|c| c.new.as_deref().map(|v| (c.field, v))),
                options,
            ) {
                plan.conflicts.push(c);
                continue;
            }
            if changes.is_empty() && !adopt {
                plan.counts.unchanged += 1;
            } else {
                plan.updates.push(Update {
                    key: d.key.clone(),
                    id: user.id,
                    adopt,
                    stable_id: if adopt { d.stable_id.clone() } else { None },
                    changes,
                });
            }
            continue;
        }

        if let Some(stable) = d.stable_id.as_deref()
            && let Some(i) = index.by_stable(stable)
        {
            let user = &users[i];
            seen_user[i] = true;
            match options.rename {
                RenameMode::InPlace => {
                    let changes = field_changes(&d.always, &user.fields, d, options);
                    if let Some(c) = unique_conflict(
                        &index,
                        &mut claimed,
                        &d.key,
                        Some(i),
                        changes
                            .iter()
                            .filter_map(|c| c.new.as_deref().map(|v| (c.field, v))),
                        options,
                    ) {
                        plan.conflicts.push(c);
                        continue;
                    }
                    plan.renames.push(Rename {
                        key: d.key.clone(),
                        from: user.key.clone(),
                        id: user.id,
                        stable_id: stable.to_owned(),
                        changes,
                    });
                    continue;
                }
                RenameMode::Recreate => {
                    plan.deletes.push(Delete {
                        key: user.key.clone(),
                        id: user.id,
                    });
                    // Falls through to the add below; the old user's unique values are freed.
                    if let Some(c) = add(&mut plan, &index, &mut claimed, d, Some(i), options) {
                        plan.conflicts.push(c);
                    }
                    continue;
                }
            }
        }

        if let Some(c) = add(&mut plan, &index, &mut claimed, d, None, options) {
            plan.conflicts.push(c);
        }
    }

    if complete {
        for (i, u) in users.iter().enumerate() {
            if !seen_user[i] && u.owner.as_ref() == Some(source) {
                plan.deletes.push(Delete {
                    key: u.key.clone(),
                    id: u.id,
                });
            }
        }
    } else {
        let missing = users
            .iter()
            .enumerate()
            .filter(|(i, u)| !seen_user[*i] && u.owner.as_ref() == Some(source))
            .count();
        if missing > 0 {
            plan.warnings.push(format!(
                "the snapshot is incomplete: {missing} users missing from it were not deleted"
            ));
        }
    }

    if !duplicates.is_empty() {
        plan.adds.retain(|a| !duplicates.contains_key(&a.key));
        plan.updates.retain(|u| !duplicates.contains_key(&u.key));
        plan.renames.retain(|r| !duplicates.contains_key(&r.key));
        plan.conflicts.retain(|c| !duplicates.contains_key(&c.key));
        plan.conflicts
            .extend(duplicates.into_iter().map(|(key, count)| Conflict {
                key,
                reason: ConflictReason::DuplicateKey { count },
            }));
    }

    finish(&mut plan);
    plan
}

/// Adds `d`, unless a unique field value is taken.
fn add(
    plan: &mut Plan,
    index: &Index<'_>,
    claimed: &mut HashMap<(FieldName, String), SyncKey>,
    d: &Desired,
    replacing: Option<usize>,
    options: &DiffOptions,
) -> Option<Conflict> {
    // Every-time values win over create-only ones.
    let fields: Fields = d
        .on_create
        .iter()
        .chain(d.always.iter())
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if let Some(c) = unique_conflict(index, claimed, &d.key, replacing, fields.iter(), options) {
        return Some(c);
    }
    plan.adds.push(Add {
        key: d.key.clone(),
        kind: d.kind,
        stable_id: d.stable_id.clone(),
        fields,
    });
    None
}

/// The first unique field among `values` that another user holds or this plan already gave away;
/// claims the values when there is none.
fn unique_conflict<'v>(
    index: &Index<'_>,
    claimed: &mut HashMap<(FieldName, String), SyncKey>,
    key: &SyncKey,
    me: Option<usize>,
    values: impl Iterator<Item = (FieldName, &'v str)>,
    options: &DiffOptions,
) -> Option<Conflict> {
    let wanted: Vec<(FieldName, &str)> = values
        .filter(|(f, v)| !v.is_empty() && options.unique_fields.contains(f))
        .collect();
    for (field, value) in &wanted {
        let holder = index
            .holder(*field, value, me)
            .map(|j| index.users[j].key.clone())
            .or_else(|| {
                claimed
                    .get(&(*field, (*value).to_owned()))
                    .filter(|k| *k != key)
                    .cloned()
            });
        if let Some(holder) = holder {
            return Some(Conflict {
                key: key.clone(),
                reason: ConflictReason::UniqueFieldTaken {
                    field: *field,
                    value: (*value).to_owned(),
                    holder,
                },
            });
        }
    }
    for (field, value) in wanted {
        claimed.insert((field, value.to_owned()), key.clone());
    }
    None
}

/// Sorts every list and fills in the counts.
fn finish(plan: &mut Plan) {
    plan.adds.sort_by(|a, b| a.key.cmp(&b.key));
    plan.updates.sort_by(|a, b| a.key.cmp(&b.key));
    plan.renames.sort_by(|a, b| a.key.cmp(&b.key));
    plan.deletes.sort_by(|a, b| a.key.cmp(&b.key));
    plan.conflicts.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then_with(|| a.reason.to_string().cmp(&b.reason.to_string()))
    });
    plan.errors.sort_by(|a, b| a.key.cmp(&b.key));
    plan.warnings.sort();
    plan.counts = Counts {
        add: plan.adds.len(),
        update: plan.updates.len(),
        rename: plan.renames.len(),
        delete: plan.deletes.len(),
        conflict: plan.conflicts.len(),
        unchanged: plan.counts.unchanged,
        error: plan.errors.len(),
    };
}
