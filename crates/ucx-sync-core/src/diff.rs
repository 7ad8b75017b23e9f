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

    /// The one user of this source holding stable id `id`, if exactly one does.
    fn by_stable(&self, id: &str) -> Option<usize> {
        match self.all_by_stable(id).as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// Another user than `except` holding `value` in the unique field `field`.
    fn holder(
        &self,
        field: FieldName,
        value: &str,
        except: Option<usize>,
        freed: &[bool],
        released: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        let (_, table) = self.unique_tables().iter().find(|(f, _)| *f == field)?;
        let h = self.hasher.hash_one(value);
        table.iter_hash(h).map(|&j| j as usize).find(|&j| {
            Some(j) != except
                && !freed[j]
                && !released(j)
                && self.users[j].fields.get(field) == Some(value)
        })
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

/// Plans the changes that bring the users of `source` in line with `desired`.
///
/// `complete` says whether `desired` comes from a complete snapshot: only then are users missing
/// from it deleted. Mapping errors are reported in the plan and do not stop it; a record whose
/// mapping failed also protects its user from deletion (the user is treated as seen).
///
/// Most records are decided as they stream past. Two kinds wait for the end, because what they need
/// to know comes later: a rename (the user's own key may still come, or another record may claim the
/// same stable id), and a record blocked by a unique value held by a user of this source that has
/// not been seen yet (it may be deleted, which frees the value) or claimed by another record (whose
/// key may turn out to be duplicated, which imports nothing).
pub fn diff<D: Borrow<Desired>>(
    source: &SourceId,
    users: &[User],
    desired: impl IntoIterator<Item = Result<D, MappingError>>,
    complete: bool,
    options: &DiffOptions,
) -> Plan {
    let mut run = Run {
        index: Index::new(users, source, &options.unique_fields),
        source,
        options,
        plan: Plan::empty(source.clone()),
        seen_user: vec![false; users.len()],
        freed: vec![false; users.len()],
        released: HashMap::new(),
        renaming: HashSet::new(),
        deferred: HashSet::new(),
        claimed: HashMap::new(),
        final_pass: false,
    };
    run.plan.owned_before = users
        .iter()
        .filter(|u| u.owner.as_ref() == Some(source))
        .count();
    // Duplicate detection: a bit per existing user for keys that match one, a set for the rest.
    let mut matched_by_key = vec![false; users.len()];
    let mut new_keys: HashSet<SyncKey> = HashSet::new();
    let mut duplicates: HashMap<SyncKey, usize> = HashMap::new();
    let mut renames: Vec<(Desired, usize)> = Vec::new();
    let mut blocked: Vec<(Desired, Option<usize>)> = Vec::new();

    for item in desired {
        let d: &Desired = match &item {
            Ok(d) => d.borrow(),
            Err(e) => {
                if let Some(i) = run.index.by_key(&e.key) {
                    run.seen_user[i] = true;
                }
                run.plan.errors.push(e.clone());
                continue;
            }
        };
        let existing = run.index.by_key(&d.key);
        let first_time = match existing {
            Some(i) => !std::mem::replace(&mut matched_by_key[i], true),
            None => new_keys.insert(d.key.clone()),
        };
        if !first_time {
            *duplicates.entry(d.key.clone()).or_insert(1) += 1;
            continue;
        }
        run.plan
            .warnings
            .extend(d.warnings.iter().map(|w| format!("{}: {w}", d.key)));

        let target = match existing {
            Some(i) => {
                run.seen_user[i] = true;
                if let Some(owner) = users[i].owner.as_ref().filter(|o| *o != source) {
                    run.plan.conflicts.push(Conflict {
                        key: d.key.clone(),
                        reason: ConflictReason::OwnedByOtherSource {
                            owner: owner.clone(),
                        },
                    });
                    continue;
                }
                Some(i)
            }
            None => {
                let holders = d
                    .stable_id
                    .as_deref()
                    .map(|s| run.index.all_by_stable(s))
                    .unwrap_or_default();
                match holders.as_slice() {
                    [] => None,
                    [i] => {
                        run.seen_user[*i] = true;
                        run.renaming.insert(*i);
                        renames.push((d.clone(), *i));
                        continue;
                    }
                    several => {
                        // The users database holds this source id more than once: which user the
                        // record is cannot be told, so none is changed or deleted.
                        for &i in several {
                            run.seen_user[i] = true;
                        }
                        run.plan.conflicts.push(Conflict {
                            key: d.key.clone(),
                            reason: ConflictReason::StableIdInUse {
                                stable_id: d.stable_id.clone().unwrap_or_default(),
                                holder: users[several[0]].key.clone(),
                            },
                        });
                        continue;
                    }
                }
            }
        };
        if let Blocked::Later = run.upsert(d, target) {
            if let Some(i) = target {
                run.deferred.insert(i);
            }
            blocked.push((d.clone(), target));
        }
    }

    // Renames, now that every key has been seen.
    let mut claims: HashMap<usize, usize> = HashMap::new();
    for (_, i) in &renames {
        *claims.entry(*i).or_insert(0) += 1;
    }
    for (d, i) in renames {
        if matched_by_key[i] || claims.get(&i).copied().unwrap_or(0) > 1 {
            run.plan.conflicts.push(Conflict {
                key: d.key.clone(),
                reason: ConflictReason::StableIdInUse {
                    stable_id: d.stable_id.clone().unwrap_or_default(),
                    holder: users[i].key.clone(),
                },
            });
            continue;
        }
        if let Blocked::Later = run.rename(&d, i) {
            run.deferred.insert(i);
            blocked.push((d, Some(i)));
        }
    }

    // Deletes.
    let unseen: Vec<usize> = (0..users.len())
        .filter(|&i| !run.seen_user[i] && users[i].owner.as_ref() == Some(source))
        .collect();
    if complete {
        for &i in &unseen {
            run.freed[i] = true;
            run.plan.deletes.push(Delete {
                key: users[i].key.clone(),
                id: users[i].id,
            });
        }
    } else if !unseen.is_empty() {
        run.plan.warnings.push(format!(
            "the snapshot is incomplete: {} users missing from it were not deleted",
            unseen.len()
        ));
    }

    // Keys the source lists more than once import nothing, and claim nothing.
    if !duplicates.is_empty() {
        let plan = &mut run.plan;
        plan.adds.retain(|a| !duplicates.contains_key(&a.key));
        plan.updates.retain(|u| !duplicates.contains_key(&u.key));
        plan.renames.retain(|r| !duplicates.contains_key(&r.key));
        plan.conflicts.retain(|c| !duplicates.contains_key(&c.key));
        run.claimed.retain(|_, k| !duplicates.contains_key(k));
        run.released.retain(|_, k| !duplicates.contains_key(k));
        blocked.retain(|(d, _)| !duplicates.contains_key(&d.key));
    }

    // Records that waited for a unique value: deleted users have freed theirs, duplicates
    // dropped their claims, and a waiting record may free a value another waits for. Repeat
    // while that makes progress; what still waits then is a conflict.
    run.renaming.clear();
    let mut waiting = blocked;
    loop {
        let before = waiting.len();
        let mut still = Vec::new();
        for (d, target) in waiting {
            if let Some(i) = target {
                run.deferred.remove(&i);
            }
            if let Blocked::Later = run.settle(&d, target) {
                if let Some(i) = target {
                    run.deferred.insert(i);
                }
                still.push((d, target));
            }
        }
        if still.is_empty() {
            break;
        }
        if still.len() == before {
            run.final_pass = true;
            for (d, target) in still {
                let _ = run.settle(&d, target);
            }
            break;
        }
        waiting = still;
    }

    let mut plan = run.plan;
    plan.conflicts
        .extend(duplicates.into_iter().map(|(key, count)| Conflict {
            key,
            reason: ConflictReason::DuplicateKey { count },
        }));
    finish(&mut plan);
    plan
}

/// Whether a record had to wait for the end.
enum Blocked {
    No,
    Later,
}

/// The state of one diff.
struct Run<'a> {
    index: Index<'a>,
    source: &'a SourceId,
    options: &'a DiffOptions,
    plan: Plan,
    seen_user: Vec<bool>,
    /// Users deleted by this plan, whose unique values are free.
    freed: Vec<bool>,
    /// Unique fields a user changes away from in this plan, freeing the old value.
    /// (user, field) → the key of the record whose change released it.
    released: HashMap<(usize, FieldName), SyncKey>,
    /// Users a rename decided after the stream may change.
    renaming: HashSet<usize>,
    /// Users whose own update or rename is waiting: they may still free a value.
    deferred: HashSet<usize>,
    /// Unique values given to users by this plan: (field, value) → key.
    claimed: HashMap<(FieldName, String), SyncKey>,
    /// Set once every record and delete is known: no more waiting.
    final_pass: bool,
}

impl Run<'_> {
    /// Processes a record that waited: a rename when its target has another key, else an upsert.
    fn settle(&mut self, d: &Desired, target: Option<usize>) -> Blocked {
        match target {
            Some(i) if self.index.users[i].key != d.key => self.rename(d, i),
            _ => self.upsert(d, target),
        }
    }

    /// Adds `d` (no `target`) or updates user `target` with it.
    fn upsert(&mut self, d: &Desired, target: Option<usize>) -> Blocked {
        let users = self.index.users;
        match target {
            Some(i) => {
                let user = &users[i];
                let changes = match self.changes_for(d, i) {
                    Ok(changes) => changes,
                    Err(b) => return b,
                };
                let adopt = user.owner.is_none();
                if changes.is_empty() && !adopt {
                    self.plan.counts.unchanged += 1;
                } else {
                    self.plan.updates.push(Update {
                        key: d.key.clone(),
                        id: user.id,
                        adopt,
                        // An adopted user takes the source's id, unless another user of the
                        // source already holds it (ids stay unique per source).
                        stable_id: d
                            .stable_id
                            .clone()
                            .filter(|s| adopt && self.index.by_stable(s).is_none()),
                        changes,
                    });
                }
            }
            None => {
                if let Some(b) = self.add(d, None) {
                    return b;
                }
            }
        }
        Blocked::No
    }

    /// Adds `d` (create-only ∪ every-time fields), unless a unique value is taken; `replacing` is
    /// a user whose values do not count (the one a recreate deletes).
    fn add(&mut self, d: &Desired, replacing: Option<usize>) -> Option<Blocked> {
        // Every-time values win over create-only ones, even an empty one: the next sync would
        // clear the field anyway, so it is not set in the first place.
        let merged: Fields = d.on_create.iter().chain(d.always.iter()).collect();
        let fields = merged.without_empty();
        if let Some(b) = self.check_unique(d, replacing, fields.iter()) {
            return Some(b);
        }
        self.plan.adds.push(Add {
            key: d.key.clone(),
            kind: d.kind,
            stable_id: d.stable_id.clone(),
            fields,
        });
        None
    }

    /// Renames user `i` to `d`'s key (or, with [`RenameMode::Recreate`], deletes and re-adds it).
    fn rename(&mut self, d: &Desired, i: usize) -> Blocked {
        let user = &self.index.users[i];
        match self.options.rename {
            RenameMode::InPlace => {
                let changes = match self.changes_for(d, i) {
                    Ok(changes) => changes,
                    Err(b) => return b,
                };
                self.plan.renames.push(Rename {
                    key: d.key.clone(),
                    from: user.key.clone(),
                    id: user.id,
                    stable_id: d.stable_id.clone().unwrap_or_default(),
                    changes,
                });
            }
            RenameMode::Recreate => {
                // The old user's unique values are freed by its delete.
                if let Some(b) = self.add(d, Some(i)) {
                    return b;
                }
                self.plan.deletes.push(Delete {
                    key: user.key.clone(),
                    id: user.id,
                });
            }
        }
        Blocked::No
    }

    /// The every-time changes `d` makes to user `i`, once their unique values are checked (and
    /// claimed) and the values they give up are released; `Err` when the record must wait or is
    /// a conflict.
    fn changes_for(&mut self, d: &Desired, i: usize) -> Result<Vec<FieldChange>, Blocked> {
        let user = &self.index.users[i];
        let changes = field_changes(&d.always, &user.fields, d, self.options);
        let values = changes
            .iter()
            .filter_map(|c| c.new.as_deref().map(|v| (c.field, v)));
        if let Some(b) = self.check_unique(d, Some(i), values) {
            return Err(b);
        }
        self.release(i, &d.key, &changes);
        Ok(changes)
    }

    /// Notes the unique fields user `i` changes away from, by the record with key `by`.
    fn release(&mut self, i: usize, by: &SyncKey, changes: &[FieldChange]) {
        for c in changes {
            if c.old.is_some() && self.options.unique_fields.contains(&c.field) {
                self.released.insert((i, c.field), by.clone());
            }
        }
    }

    /// Checks the unique fields among `values` and claims them. A value held by another user is a
    /// conflict, unless that user belongs to this source and has not been seen yet, or another
    /// record of this plan claimed it: then the record waits for the end (the holder may be deleted,
    /// the claimant may be a duplicate).
    fn check_unique<'v>(
        &mut self,
        d: &Desired,
        me: Option<usize>,
        values: impl Iterator<Item = (FieldName, &'v str)>,
    ) -> Option<Blocked> {
        let wanted: Vec<(FieldName, &str)> = values
            .filter(|(f, v)| !v.is_empty() && self.options.unique_fields.contains(f))
            .collect();
        for &(field, value) in &wanted {
            let released = &self.released;
            let holder = self.index.holder(field, value, me, &self.freed, |j| {
                released.contains_key(&(j, field))
            });
            // A value freed by another record's change counts only once that record is known
            // not to be a duplicate key (which imports nothing).
            if !self.final_pass
                && holder.is_none()
                && self
                    .index
                    .holder(field, value, me, &self.freed, |_| false)
                    .is_some()
            {
                return Some(Blocked::Later);
            }
            if let Some(j) = holder {
                let user = &self.index.users[j];
                // A user of this source (or a manual one it may adopt) not seen yet, or about to
                // be renamed, may still be deleted or change the value.
                if !self.final_pass
                    && (!self.seen_user[j]
                        || self.renaming.contains(&j)
                        || self.deferred.contains(&j))
                    && user.owner.as_ref().is_none_or(|o| o == self.source)
                {
                    return Some(Blocked::Later);
                }
                self.plan
                    .conflicts
                    .push(unique_conflict(d, field, value, user.key.clone()));
                return Some(Blocked::No);
            }
            if let Some(other) = self
                .claimed
                .get(&(field, value.to_owned()))
                .filter(|k| **k != d.key)
            {
                // The claimant may turn out to be a duplicate key, which is not imported.
                if !self.final_pass {
                    return Some(Blocked::Later);
                }
                let holder = other.clone();
                self.plan
                    .conflicts
                    .push(unique_conflict(d, field, value, holder));
                return Some(Blocked::No);
            }
        }
        for (field, value) in wanted {
            self.claimed
                .insert((field, value.to_owned()), d.key.clone());
        }
        None
    }
}

fn unique_conflict(d: &Desired, field: FieldName, value: &str, holder: SyncKey) -> Conflict {
    Conflict {
        key: d.key.clone(),
        reason: ConflictReason::UniqueFieldTaken {
            field,
            value: value.to_owned(),
            holder,
        },
    }
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
