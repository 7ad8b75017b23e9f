//! Wanted users against existing users → a [`Plan`] (DESIGN.md §4).
//!
//! | case | action |
//! | --- | --- |
//! | key unknown, stable id unknown | add with create-only ∪ every-time fields |
//! | key matches a user of this source, or an unowned user | update the every-time fields that differ; an unowned user is adopted |
//! | key unknown, stable id matches a user of this source | rename in place (or delete + add with [`RenameMode::Recreate`]) |
//! | key matches, both stable ids known and different | replace: delete the old user, add the new one (or, when the new id is another user's of this source, rename that user and delete the old one) |
//! | owned by this source, absent from a complete snapshot | delete |
//! | key owned by another source; duplicate key in the source | conflict: the record is not applied |
//! | a value a configured uniqueness rule says is taken | the user is imported without that value, which is reported as held back |
//!
//! The diff runs in two phases. The first classifies every record by key and stable id as the
//! wanted users stream past (only the existing users, two hash indexes over them holding
//! positions, and the plan are in memory). The second, [`crate::unique`], resolves the values
//! that configured uniqueness rules constrain, on the plan's end state; with no rule configured
//! (the default) it does nothing. No field is unique by default: extensions overlap across Webex
//! locations, CUCM partitions and Site Names.

use std::borrow::Borrow;
use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};
use std::hash::BuildHasher;

use hashbrown::DefaultHashBuilder;
use hashbrown::HashTable;
use serde::{Deserialize, Serialize};

use crate::fields::{FieldName, Fields};
use crate::mapper::{Desired, MappingError};
use crate::plan::{
    Add, Conflict, ConflictReason, Counts, Delete, FieldChange, Plan, Rename, Replace, Update,
};
use crate::record::{SourceId, SyncKey};
use crate::user::User;

/// What to do when a record's key changed but its stable id is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RenameMode {
    /// Update the key in place, keeping the user's data (the default).
    #[default]
    InPlace,
    /// Delete the old user and add a new one, as the product documents do.
    Recreate,
}

/// A field whose values must not repeat, optionally only among users sharing the values of
/// `scope` (an extension unique per `site_name`, a number unique per `partition`).
///
/// A value that is taken is not written to the user that wanted it: the user is still added or
/// updated, and the plan reports the value as held back. The user that already holds the value
/// keeps it; between two users both wanting it, the smaller key gets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UniqueRule {
    /// The field.
    pub field: FieldName,
    /// The fields whose values scope the uniqueness (empty: across all users).
    #[serde(default)]
    pub scope: Vec<FieldName>,
}

impl UniqueRule {
    /// `field` unique across all users.
    pub fn new(field: impl Into<FieldName>) -> Self {
        Self {
            field: field.into(),
            scope: Vec::new(),
        }
    }

    /// Unique only among users with the same values of `scope`.
    pub fn within(mut self, scope: impl IntoIterator<Item = impl Into<FieldName>>) -> Self {
        self.scope = scope.into_iter().map(Into::into).collect();
        self
    }
}

/// How to compare.
///
/// `#[non_exhaustive]`: start from [`DiffOptions::default`] and set the fields.
///
/// ```
/// let mut diff = ucx_sync_core::DiffOptions::default();
/// diff.rename = ucx_sync_core::RenameMode::Recreate;
/// ```
///
/// ```compile_fail
/// let diff = ucx_sync_core::DiffOptions { rename: ucx_sync_core::RenameMode::Recreate, ..Default::default() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiffOptions {
    /// Renames in place or by delete + add.
    pub rename: RenameMode,
    /// Uniqueness rules (none by default: only the sync key identifies a user).
    pub unique: Vec<UniqueRule>,
    /// Fields compared without case (emails).
    pub case_insensitive_fields: Vec<FieldName>,
}

impl Default for DiffOptions {
    /// In place renames, no uniqueness rule, `email` compared without case.
    fn default() -> Self {
        Self {
            rename: RenameMode::InPlace,
            unique: Vec::new(),
            case_insensitive_fields: vec![FieldName::new("email")],
        }
    }
}

/// Indexes over the existing users, holding positions rather than copies. Only the key index is
/// always needed; the stable-id index is built the first time a record asks (an unchanged
/// re-sync never does).
struct Index<'a> {
    users: &'a [User],
    source: &'a SourceId,
    hasher: DefaultHashBuilder,
    by_key: HashTable<u32>,
    by_stable: OnceCell<HashTable<u32>>,
}

fn pos(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

impl<'a> Index<'a> {
    fn new(users: &'a [User], source: &'a SourceId) -> Self {
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
            hasher,
            by_key,
            by_stable: OnceCell::new(),
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

    fn by_key(&self, key: &SyncKey) -> Option<usize> {
        let h = self.hasher.hash_one(key.as_str());
        self.by_key
            .find(h, |&j| {
                same_bytes(
                    self.users[j as usize].key.as_str().as_bytes(),
                    key.as_str().as_bytes(),
                )
            })
            .map(|&j| j as usize)
    }

    /// The users of this source holding stable id `id`: normally none or one.
    fn all_by_stable(&self, id: &str) -> Vec<usize> {
        let h = self.hasher.hash_one(id);
        let mut found: Vec<usize> = self
            .stable_table()
            .iter_hash(h)
            .map(|&j| j as usize)
            .filter(|&j| self.users[j].stable_id.as_deref() == Some(id))
            .collect();
        found.sort_unstable();
        found
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
        let same = same_bytes(old.as_bytes(), new.as_bytes())
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

/// Byte equality without a `memcmp` call for the short values most fields hold: forty calls per
/// user were a sixth of a million-user diff.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    if a.len() > 32 {
        return a == b;
    }
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    for (x, y) in ca.by_ref().zip(cb.by_ref()) {
        if x.iter().zip(y).fold(0u8, |acc, (p, q)| acc | (p ^ q)) != 0 {
            return false;
        }
    }
    ca.remainder()
        .iter()
        .zip(cb.remainder())
        .all(|(p, q)| p == q)
}

/// The fields of a new user: create-only ∪ every-time, every-time winning even when empty (the
/// next sync would clear the field anyway), without empty values.
fn new_fields(d: &Desired) -> Fields {
    let merged: Fields = d.on_create.iter().chain(d.always.iter()).collect();
    merged.without_empty()
}

/// A record whose key is unknown but whose stable id is a user's of this source, decided once
/// every key has been seen. `displaces` is the user that holds the record's key under another
/// stable id (a key reused by a person renamed onto it).
struct PendingRename {
    desired: Desired,
    user: usize,
    displaces: Option<usize>,
}

/// Plans the changes that bring the users of `source` in line with `desired`.
///
/// `complete` says whether `desired` comes from a complete snapshot: only then are users missing
/// from it deleted. Mapping errors are reported in the plan and do not stop it; a record whose
/// mapping failed protects its user from deletion, found by key or by stable id.
pub fn diff<D: Borrow<Desired>>(
    source: &SourceId,
    users: &[User],
    desired: impl IntoIterator<Item = Result<D, MappingError>>,
    complete: bool,
    options: &DiffOptions,
) -> Plan {
    let index = Index::new(users, source);
    let mut plan = Plan::empty(source.clone());
    plan.owned_before = users
        .iter()
        .filter(|u| u.owner.as_ref() == Some(source))
        .count();
    let mut seen = vec![false; users.len()];
    // Duplicate detection: a bit per existing user for keys that match one, a set for the rest.
    let mut matched_by_key = vec![false; users.len()];
    let mut new_keys: HashSet<SyncKey> = HashSet::new();
    let mut duplicates: HashMap<SyncKey, usize> = HashMap::new();
    let mut pending: Vec<PendingRename> = Vec::new();
    // Users whose key a record of the same person (same or unknown stable id) matched: they
    // cannot be renamed away.
    let mut same_person = vec![false; users.len()];
    // Records whose key a user of another person holds, with that user.
    let mut reused_keys: Vec<(Desired, usize)> = Vec::new();
    // Users whose stable id some record carries (under whatever key): the person is still
    // listed, so they are never replaced.
    let mut named = vec![false; users.len()];

    for item in desired {
        plan.listed += 1;
        let d: &Desired = match &item {
            Ok(d) => d.borrow(),
            Err(e) => {
                if let Some(i) = index.by_key(&e.key) {
                    seen[i] = true;
                }
                if let Some(s) = &e.stable_id {
                    for i in index.all_by_stable(s) {
                        seen[i] = true;
                        named[i] = true;
                    }
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
            // Nothing is imported for the key, and no user it names by stable id is deleted.
            *duplicates.entry(d.key.clone()).or_insert(1) += 1;
            if let Some(s) = &d.stable_id {
                for i in index.all_by_stable(s) {
                    seen[i] = true;
                    named[i] = true;
                }
            }
            continue;
        }
        plan.warnings
            .extend(d.warnings.iter().map(|w| format!("{}: {w}", d.key)));

        match existing {
            Some(i) => {
                seen[i] = true;
                let user = &users[i];
                if let Some(owner) = user.owner.as_ref().filter(|o| *o != source) {
                    // The person is listed (under a key another source owns): whoever of this
                    // source has their stable id is not deleted.
                    if let Some(s) = &d.stable_id {
                        for j in index.all_by_stable(s) {
                            seen[j] = true;
                            named[j] = true;
                        }
                    }
                    plan.conflicts.push(Conflict {
                        key: d.key.clone(),
                        reason: ConflictReason::OwnedByOtherSource {
                            owner: owner.clone(),
                        },
                    });
                    continue;
                }
                let reused = user.owner.is_some()
                    && matches!((&user.stable_id, &d.stable_id), (Some(old), Some(new)) if old != new);
                if !reused {
                    same_person[i] = true;
                    if let Some(holders) = update(&mut plan, &index, d, i, options) {
                        for &j in &holders {
                            seen[j] = true;
                            named[j] = true;
                        }
                        plan.conflicts.push(stable_in_use(d, &users[holders[0]]));
                    }
                    continue;
                }
                let new_id = d.stable_id.as_deref().unwrap_or_default();
                match index.all_by_stable(new_id).as_slice() {
                    // A new person (or a re-created account) under a known key: replaced, unless
                    // the old holder turns out to be renamed away.
                    [] => reused_keys.push((d.clone(), i)),
                    // Another user of this source renamed onto this key.
                    [j] => {
                        seen[*j] = true;
                        named[*j] = true;
                        pending.push(PendingRename {
                            desired: d.clone(),
                            user: *j,
                            displaces: Some(i),
                        });
                    }
                    several => {
                        for &j in several {
                            seen[j] = true;
                            named[j] = true;
                        }
                        plan.conflicts.push(stable_in_use(d, &users[several[0]]));
                    }
                }
            }
            None => {
                let holders = d
                    .stable_id
                    .as_deref()
                    .map(|s| index.all_by_stable(s))
                    .unwrap_or_default();
                match holders.as_slice() {
                    [] => plan.adds.push(add_of(d)),
                    [i] => {
                        seen[*i] = true;
                        named[*i] = true;
                        pending.push(PendingRename {
                            desired: d.clone(),
                            user: *i,
                            displaces: None,
                        });
                    }
                    several => {
                        // The users database holds this source id more than once: which user
                        // the record is cannot be told, so none is changed or deleted.
                        for &i in several {
                            seen[i] = true;
                            named[i] = true;
                        }
                        plan.conflicts.push(stable_in_use(d, &users[several[0]]));
                    }
                }
            }
        }
    }

    // Keys the source lists more than once import nothing; the users they match stay (seen).
    if !duplicates.is_empty() {
        plan.adds.retain(|a| !duplicates.contains_key(&a.key));
        plan.updates.retain(|u| !duplicates.contains_key(&u.key));
        plan.replaces.retain(|r| !duplicates.contains_key(&r.key));
        plan.conflicts.retain(|c| !duplicates.contains_key(&c.key));
        pending.retain(|p| !duplicates.contains_key(&p.desired.key));
        reused_keys.retain(|(d, _)| !duplicates.contains_key(&d.key));
    }

    // Renames, now that every key has been seen: a user whose own person is still listed
    // under its key, or whose stable id several records claim, is not renamed. Replacing or
    // displacing a user deletes it, which an incomplete snapshot never does.
    let mut claims: HashMap<usize, usize> = HashMap::new();
    for p in &pending {
        *claims.entry(p.user).or_insert(0) += 1;
    }
    let mut renamed: HashSet<usize> = pending
        .iter()
        .filter(|p| !same_person[p.user] && claims.get(&p.user).copied().unwrap_or(0) == 1)
        .map(|p| p.user)
        .collect();
    // A rename onto a reused key also needs the key's old holder gone: renamed away itself, or
    // deleted, which only a complete snapshot that lists its stable id nowhere allows. Dropping
    // one rename may strand another, so repeat until none is dropped.
    loop {
        let stranded: Vec<usize> = pending
            .iter()
            .filter(|p| renamed.contains(&p.user))
            .filter(|p| {
                p.displaces
                    .is_some_and(|old| !renamed.contains(&old) && (!complete || named[old]))
            })
            .map(|p| p.user)
            .collect();
        if stranded.is_empty() {
            break;
        }
        for i in stranded {
            renamed.remove(&i);
        }
    }
    for p in pending {
        let (d, i) = (&p.desired, p.user);
        if !renamed.contains(&i) {
            plan.conflicts.push(match p.displaces {
                Some(old) if !same_person[i] && claims.get(&i).copied().unwrap_or(0) == 1 => {
                    key_reused(d, &users[old])
                }
                _ => stable_in_use(d, &users[i]),
            });
            continue;
        }
        if let Some(old) = p.displaces.filter(|old| !renamed.contains(old)) {
            plan.deletes.push(delete_of(&users[old]));
        }
        match options.rename {
            RenameMode::InPlace => plan.renames.push(Rename {
                key: d.key.clone(),
                from: users[i].key.clone(),
                id: users[i].id,
                stable_id: d.stable_id.clone().unwrap_or_default(),
                changes: field_changes(&d.always, &users[i].fields, d, options),
            }),
            RenameMode::Recreate => {
                plan.deletes.push(delete_of(&users[i]));
                plan.adds.push(add_of(d));
            }
        }
    }
    // A reused key: the new person is added in place of the old one, or simply added when the
    // old one was renamed away.
    for (d, i) in reused_keys {
        let old = &users[i];
        if renamed.contains(&i) {
            plan.adds.push(add_of(&d));
        } else if !complete || named[i] {
            // The old person is still listed under other keys (ambiguously), or the snapshot is
            // incomplete: the user stays.
            plan.conflicts.push(key_reused(&d, old));
        } else {
            plan.replaces.push(Replace {
                key: d.key.clone(),
                kind: d.kind,
                id: old.id,
                old_stable_id: old.stable_id.clone().unwrap_or_default(),
                stable_id: d.stable_id.clone().unwrap_or_default(),
                fields: new_fields(&d),
            });
        }
    }

    // Deletes.
    let unseen: Vec<usize> = (0..users.len())
        .filter(|&i| !seen[i] && users[i].owner.as_ref() == Some(source))
        .collect();
    if complete {
        plan.deletes
            .extend(unseen.iter().map(|&i| delete_of(&users[i])));
    } else if !unseen.is_empty() {
        plan.warnings.push(format!(
            "the snapshot is incomplete: {} users missing from it were not deleted",
            unseen.len()
        ));
    }

    plan.conflicts
        .extend(duplicates.into_iter().map(|(key, count)| Conflict {
            key,
            reason: ConflictReason::DuplicateKey { count },
        }));
    crate::unique::hold_back(&mut plan, users, options);
    finish(&mut plan);
    plan
}

/// Updates user `i` (of this source, or unowned and adopted) with `d`. The stored stable id is
/// always the current person's: an adopted user takes the record's, and so does a user stored
/// without one. When other users of this source hold that id, which user is the person cannot be
/// told: nothing is changed and their positions are returned, for a conflict.
fn update(
    plan: &mut Plan,
    index: &Index<'_>,
    d: &Desired,
    i: usize,
    options: &DiffOptions,
) -> Option<Vec<usize>> {
    let user = &index.users[i];
    let adopt = user.owner.is_none();
    let stable_id = match d.stable_id.as_deref() {
        Some(s) if adopt || user.stable_id.is_none() => {
            let holders: Vec<usize> = index
                .all_by_stable(s)
                .into_iter()
                .filter(|&j| j != i)
                .collect();
            if !holders.is_empty() {
                return Some(holders);
            }
            Some(s.to_owned())
        }
        _ => None,
    };
    let changes = field_changes(&d.always, &user.fields, d, options);
    if changes.is_empty() && !adopt && stable_id.is_none() {
        plan.counts.unchanged += 1;
        return None;
    }
    plan.updates.push(Update {
        key: d.key.clone(),
        id: user.id,
        adopt,
        stable_id,
        changes,
    });
    None
}

fn add_of(d: &Desired) -> Add {
    Add {
        key: d.key.clone(),
        kind: d.kind,
        stable_id: d.stable_id.clone(),
        fields: new_fields(d),
    }
}

fn key_reused(d: &Desired, old: &User) -> Conflict {
    Conflict {
        key: d.key.clone(),
        reason: ConflictReason::KeyReused {
            old_stable_id: old.stable_id.clone().unwrap_or_default(),
            stable_id: d.stable_id.clone().unwrap_or_default(),
        },
    }
}

fn delete_of(user: &User) -> Delete {
    Delete {
        key: user.key.clone(),
        id: user.id,
    }
}

fn stable_in_use(d: &Desired, holder: &User) -> Conflict {
    Conflict {
        key: d.key.clone(),
        reason: ConflictReason::StableIdInUse {
            stable_id: d.stable_id.clone().unwrap_or_default(),
            holder: holder.key.clone(),
        },
    }
}

/// Sorts every list and fills in the counts.
fn finish(plan: &mut Plan) {
    plan.adds.sort_by(|a, b| a.key.cmp(&b.key));
    plan.updates.sort_by(|a, b| a.key.cmp(&b.key));
    plan.renames.sort_by(|a, b| a.key.cmp(&b.key));
    plan.replaces.sort_by(|a, b| a.key.cmp(&b.key));
    plan.deletes.sort_by(|a, b| a.key.cmp(&b.key));
    plan.deletes.dedup_by_key(|d| d.id);
    plan.conflicts.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then_with(|| a.reason.to_string().cmp(&b.reason.to_string()))
    });
    plan.held_back.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then_with(|| a.field.as_str().cmp(b.field.as_str()))
    });
    plan.errors.sort_by(|a, b| a.key.cmp(&b.key));
    plan.warnings.sort();
    plan.counts = Counts {
        add: plan.adds.len(),
        update: plan.updates.len(),
        rename: plan.renames.len(),
        replace: plan.replaces.len(),
        delete: plan.deletes.len(),
        conflict: plan.conflicts.len(),
        unchanged: plan.counts.unchanged,
        error: plan.errors.len(),
        held_back: plan.held_back.len(),
    };
}
