//! The second phase of the diff: values that configured uniqueness rules constrain.
//!
//! Every user is classified first (add, update, rename, replace, delete, conflict); then the end
//! state the plan would leave is checked rule by rule. Where several users would share a value
//! in the same scope, the one that already holds it keeps it (between users that all newly want
//! it, the smallest key), and every other user that wanted it is left without it: an add omits
//! the field, an update or rename leaves the user's old value. That old value may collide in its
//! turn, so the check repeats until nothing changes; it ends because every round takes at least
//! one wanted value back.
//!
//! A user is never dropped for a value: uniqueness is about fields, and only the sync key
//! identifies a user.

use std::collections::{HashMap, HashSet};

use crate::diff::DiffOptions;
use crate::fields::{FieldName, Fields};
use crate::plan::{HeldBack, Plan};
use crate::record::SyncKey;
use crate::user::{User, UserId};

/// Where an end-state user comes from in the plan.
#[derive(Clone, Copy)]
enum Slot {
    /// An existing user that stays: untouched, or changed by the update or rename at this
    /// position.
    Existing(usize, Change),
    /// The add at this position.
    Add(usize),
    /// The new user of the replace at this position.
    Replace(usize),
}

#[derive(Clone, Copy)]
enum Change {
    None,
    Update(usize),
    Rename(usize),
}

/// One user as the plan would leave it, over the fields the rules read.
struct Entity {
    key: SyncKey,
    slot: Slot,
    /// The end value of each relevant field (by position in `relevant`).
    values: Vec<Option<String>>,
    /// Whether the plan writes that value (a claim), rather than the user holding it already.
    claims: Vec<bool>,
}

/// Takes back every value that a rule of `options` says is taken, recording each in
/// `plan.held_back`.
pub(crate) fn hold_back(plan: &mut Plan, users: &[User], options: &DiffOptions) {
    if options.unique.is_empty() {
        return;
    }
    let mut relevant: Vec<FieldName> = Vec::new();
    for rule in &options.unique {
        for f in std::iter::once(&rule.field).chain(&rule.scope) {
            if !relevant.contains(f) {
                relevant.push(*f);
            }
        }
    }
    let at = |f: FieldName| relevant.iter().position(|r| *r == f);
    let mut entities = end_state(plan, users, &relevant);

    loop {
        let mut took_back = false;
        for rule in &options.unique {
            let (Some(field), Some(scope)) = (
                at(rule.field),
                rule.scope
                    .iter()
                    .map(|f| at(*f))
                    .collect::<Option<Vec<_>>>(),
            ) else {
                continue;
            };
            let fold = options.case_insensitive_fields.contains(&rule.field);
            let mut groups: HashMap<(Vec<&str>, String), Vec<usize>> = HashMap::new();
            for (n, e) in entities.iter().enumerate() {
                let Some(value) = e.values[field].as_deref().filter(|v| !v.is_empty()) else {
                    continue;
                };
                let scope_values = scope
                    .iter()
                    .map(|&s| e.values[s].as_deref().unwrap_or_default())
                    .collect();
                let value = if fold {
                    value.to_lowercase()
                } else {
                    value.to_owned()
                };
                groups.entry((scope_values, value)).or_default().push(n);
            }
            let mut losers: Vec<(usize, usize)> = Vec::new();
            for members in groups.into_values().filter(|m| m.len() > 1) {
                let holders: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&n| !entities[n].claims[field])
                    .collect();
                let pool = if holders.is_empty() {
                    &members
                } else {
                    &holders
                };
                let Some(&winner) = pool
                    .iter()
                    .min_by(|&&a, &&b| entities[a].key.cmp(&entities[b].key))
                else {
                    continue;
                };
                losers.extend(
                    members
                        .iter()
                        .filter(|&&n| n != winner && entities[n].claims[field])
                        .map(|&n| (n, winner)),
                );
            }
            for (n, winner) in losers {
                let holder = entities[winner].key.clone();
                take_back(plan, users, &mut entities[n], rule.field, field, holder);
                took_back = true;
            }
        }
        if !took_back {
            break;
        }
    }

    // Updates left with nothing to do are unchanged users.
    let before = plan.updates.len();
    plan.updates
        .retain(|u| !u.changes.is_empty() || u.adopt || u.stable_id.is_some());
    plan.counts.unchanged += before - plan.updates.len();
}

/// The users the plan leaves, over `relevant`.
fn end_state(plan: &Plan, users: &[User], relevant: &[FieldName]) -> Vec<Entity> {
    let removed: HashSet<UserId> = plan
        .deletes
        .iter()
        .map(|d| d.id)
        .chain(plan.replaces.iter().map(|r| r.id))
        .collect();
    let mut changed: HashMap<UserId, Change> = HashMap::new();
    for (n, u) in plan.updates.iter().enumerate() {
        changed.insert(u.id, Change::Update(n));
    }
    for (n, r) in plan.renames.iter().enumerate() {
        changed.insert(r.id, Change::Rename(n));
    }
    let new_user = |key: &SyncKey, slot: Slot, fields: &Fields| Entity {
        key: key.clone(),
        slot,
        values: relevant
            .iter()
            .map(|f| fields.get(*f).map(str::to_owned))
            .collect(),
        claims: relevant.iter().map(|f| fields.get(*f).is_some()).collect(),
    };
    let mut out: Vec<Entity> = Vec::with_capacity(users.len() + plan.adds.len());
    for (i, u) in users.iter().enumerate() {
        if removed.contains(&u.id) {
            continue;
        }
        let change = changed.get(&u.id).copied().unwrap_or(Change::None);
        let (key, changes) = match change {
            Change::None => (&u.key, &[][..]),
            Change::Update(n) => (&plan.updates[n].key, &plan.updates[n].changes[..]),
            Change::Rename(n) => (&plan.renames[n].key, &plan.renames[n].changes[..]),
        };
        let mut e = Entity {
            key: key.clone(),
            slot: Slot::Existing(i, change),
            values: relevant
                .iter()
                .map(|f| u.fields.get(*f).map(str::to_owned))
                .collect(),
            claims: vec![false; relevant.len()],
        };
        for c in changes {
            if let Some(p) = relevant.iter().position(|f| *f == c.field) {
                e.values[p] = c.new.clone();
                e.claims[p] = c.new.is_some();
            }
        }
        out.push(e);
    }
    for (n, a) in plan.adds.iter().enumerate() {
        out.push(new_user(&a.key, Slot::Add(n), &a.fields));
    }
    for (n, r) in plan.replaces.iter().enumerate() {
        out.push(new_user(&r.key, Slot::Replace(n), &r.fields));
    }
    out
}

/// Leaves `field` (at position `p` of the relevant fields) unwritten on entity `e`.
fn take_back(
    plan: &mut Plan,
    users: &[User],
    e: &mut Entity,
    field: FieldName,
    p: usize,
    holder: SyncKey,
) {
    let value = e.values[p].clone().unwrap_or_default();
    let without =
        |fields: &Fields| -> Fields { fields.iter().filter(|(f, _)| *f != field).collect() };
    match e.slot {
        Slot::Add(n) => {
            plan.adds[n].fields = without(&plan.adds[n].fields);
            e.values[p] = None;
        }
        Slot::Replace(n) => {
            plan.replaces[n].fields = without(&plan.replaces[n].fields);
            e.values[p] = None;
        }
        Slot::Existing(i, change) => {
            match change {
                Change::Update(n) => plan.updates[n].changes.retain(|c| c.field != field),
                Change::Rename(n) => plan.renames[n].changes.retain(|c| c.field != field),
                Change::None => {}
            }
            e.values[p] = users[i].fields.get(field).map(str::to_owned);
        }
    }
    e.claims[p] = false;
    plan.held_back.push(HeldBack {
        key: e.key.clone(),
        field,
        value,
        holder,
    });
}
