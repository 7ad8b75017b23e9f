//! An in-memory [`UserStore`]: for tests, examples and embedding without persistence.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::adapter::Snapshot;
use crate::picture::{PictureChanges, PictureIndex, PictureMeta};
use crate::plan::Plan;
use crate::record::{SourceId, SyncKey};
use crate::store::{
    RunRecord, RunStore, SnapshotState, SnapshotStore, StoreError, UserStore, UsersStore,
};
use crate::user::{User, UserId};
use bytes::Bytes;

/// An in-memory users database. `apply` checks the whole plan against the current users before
/// changing anything, so a stale plan changes nothing.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    users: Vec<User>,
    next_id: u64,
    snapshots: HashMap<SourceId, (SnapshotState, Option<Snapshot>)>,
    runs: Vec<RunRecord>,
    pictures: HashMap<UserId, (PictureMeta, Bytes)>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `users` (ids are kept; new ids continue after the largest).
    pub fn with_users(users: Vec<User>) -> Self {
        let next_id = users.iter().map(|u| u.id.0).max().map_or(1, |m| m + 1);
        Self {
            inner: Mutex::new(Inner {
                users,
                next_id,
                ..Inner::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        match self.inner.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }
}

fn stale(reason: String) -> StoreError {
    StoreError::Stale { reason }
}

impl Inner {
    /// Applies `plan` to a copy of the users and swaps it in only if every step fits.
    fn apply(&mut self, plan: &Plan) -> Result<(), StoreError> {
        let (users, next_id) = plan.apply_to(&self.users, self.next_id)?;
        self.users = users;
        self.next_id = next_id;
        Ok(())
    }
}

impl Plan {
    /// The users after this plan, computed on a copy of `users`, the ids of new users taken
    /// from `next_id` on; returns them and the next free id. Every step is checked against the
    /// users as they are (the user to update still has this owner and key, a key to add is
    /// free), so a stale plan is an error and changes nothing. For a users store that keeps
    /// its users in memory: the [`MemoryStore`] and an embedding service's own.
    pub fn apply_to(&self, users: &[User], next_id: u64) -> Result<(Vec<User>, u64), StoreError> {
        let plan = self;
        let mut users = users.to_vec();
        let mut next_id = next_id;
        let mut by_id: HashMap<UserId, usize> =
            users.iter().enumerate().map(|(i, u)| (u.id, i)).collect();
        let mut keys: HashMap<SyncKey, UserId> =
            users.iter().map(|u| (u.key.clone(), u.id)).collect();
        let source = Some(&plan.source);

        for (id, key) in plan.removals() {
            let i = *by_id
                .get(&id)
                .ok_or_else(|| stale(format!("user {key} to delete is gone")))?;
            if users[i].owner.as_ref() != source || users[i].key != *key {
                return Err(stale(format!("user {key} to delete has changed")));
            }
            keys.remove(key);
            by_id.remove(&id);
        }
        let deleted: std::collections::HashSet<UserId> =
            plan.removals().map(|(id, _)| id).collect();
        users.retain(|u| !deleted.contains(&u.id));
        by_id = users.iter().enumerate().map(|(i, u)| (u.id, i)).collect();

        for u in &plan.updates {
            let i = *by_id
                .get(&u.id)
                .ok_or_else(|| stale(format!("user {} to update is gone", u.key)))?;
            let user = &mut users[i];
            let owner_ok = if u.adopt {
                user.owner.is_none()
            } else {
                user.owner.as_ref() == source
            };
            if !owner_ok || user.key != u.key {
                return Err(stale(format!(
                    "user {} to update has changed owner or key",
                    u.key
                )));
            }
            if u.adopt {
                user.owner = Some(plan.source.clone());
                // The stable id is the owning source's id for the user: an adopted user takes the
                // source's (or none), not whatever it held before.
                user.stable_id = u.stable_id.clone();
            } else if u.stable_id.is_some() {
                user.stable_id = u.stable_id.clone();
            }
            user.fields = user
                .fields
                .with_changes(u.changes.iter().map(|c| (c.field, c.new.as_deref())));
        }
        // Renamed users give up their keys first, so two users may swap keys in one plan.
        for r in &plan.renames {
            let i = *by_id
                .get(&r.id)
                .ok_or_else(|| stale(format!("user {} to rename is gone", r.from)))?;
            if users[i].owner.as_ref() != source || users[i].key != r.from {
                return Err(stale(format!("user {} to rename has changed", r.from)));
            }
            keys.remove(&r.from);
        }
        for r in &plan.renames {
            let i = by_id[&r.id];
            if keys.contains_key(&r.key) {
                return Err(stale(format!("key {} is already taken", r.key)));
            }
            keys.insert(r.key.clone(), r.id);
            let user = &mut users[i];
            user.key = r.key.clone();
            user.fields = user
                .fields
                .with_changes(r.changes.iter().map(|c| (c.field, c.new.as_deref())));
        }
        for a in plan.additions() {
            if keys.contains_key(a.key) {
                return Err(stale(format!("key {} is already taken", a.key)));
            }
            let id = UserId(next_id);
            next_id += 1;
            keys.insert(a.key.clone(), id);
            users.push(User {
                id,
                kind: a.kind,
                owner: Some(plan.source.clone()),
                key: a.key.clone(),
                stable_id: a.stable_id.map(str::to_owned),
                fields: a.fields.without_empty(),
            });
        }
        Ok((users, next_id))
    }
}

#[async_trait]
impl UsersStore for MemoryStore {
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        Ok(self.lock().users.clone())
    }

    async fn apply(&self, plan: &Plan) -> Result<(), StoreError> {
        let mut inner = self.lock();
        inner.apply(plan)?;
        // A deleted or replaced user's picture goes with it.
        let gone: Vec<UserId> = plan
            .deletes
            .iter()
            .map(|d| d.id)
            .chain(plan.replaces.iter().map(|r| r.id))
            .collect();
        for id in gone {
            inner.pictures.remove(&id);
        }
        Ok(())
    }

    async fn picture_index(&self, source: &SourceId) -> Result<PictureIndex, StoreError> {
        let inner = self.lock();
        Ok(inner
            .users
            .iter()
            .filter(|u| u.owner.as_ref() == Some(source))
            .filter_map(|u| Some((u.id, inner.pictures.get(&u.id)?.0.clone())))
            .collect())
    }

    async fn apply_pictures(&self, changes: &PictureChanges) -> Result<(), StoreError> {
        let mut inner = self.lock();
        for id in &changes.remove {
            inner.pictures.remove(id);
        }
        for (id, meta, bytes) in &changes.store {
            if inner.users.iter().any(|u| u.id == *id) {
                inner.pictures.insert(*id, (meta.clone(), bytes.clone()));
            }
        }
        Ok(())
    }

    async fn picture(&self, user: UserId) -> Result<Option<(PictureMeta, Bytes)>, StoreError> {
        Ok(self.lock().pictures.get(&user).cloned())
    }
}

#[async_trait]
impl SnapshotStore for MemoryStore {
    async fn snapshot_state(&self, source: &SourceId) -> Result<SnapshotState, StoreError> {
        Ok(self
            .lock()
            .snapshots
            .get(source)
            .map(|s| s.0.clone())
            .unwrap_or_default())
    }

    async fn begin_refresh(&self, source: &SourceId, at: DateTime<Utc>) -> Result<(), StoreError> {
        self.lock()
            .snapshots
            .entry(source.clone())
            .or_default()
            .0
            .refreshing_since = Some(at);
        Ok(())
    }

    async fn finish_refresh(
        &self,
        snapshot: Snapshot,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let entry = inner.snapshots.entry(snapshot.source.clone()).or_default();
        entry.0.refreshing_since = None;
        if snapshot.complete {
            entry.0.updated_at = Some(at);
            entry.0.complete = true;
            entry.0.records = snapshot.records.len();
            entry.0.cursor = snapshot.cursor.clone();
            entry.0.taken_at = Some(snapshot.taken_at);
            entry.0.full_at = snapshot.full_at;
            entry.1 = Some(snapshot);
        }
        Ok(())
    }

    async fn abort_refresh(&self, source: &SourceId) -> Result<(), StoreError> {
        if let Some(entry) = self.lock().snapshots.get_mut(source) {
            entry.0.refreshing_since = None;
        }
        Ok(())
    }

    async fn snapshot(&self, source: &SourceId) -> Result<Option<Snapshot>, StoreError> {
        Ok(self.lock().snapshots.get(source).and_then(|s| s.1.clone()))
    }
}

#[async_trait]
impl RunStore for MemoryStore {
    async fn record_run(&self, run: &RunRecord) -> Result<(), StoreError> {
        let mut inner = self.lock();
        match inner
            .runs
            .iter_mut()
            .find(|r| r.source == run.source && r.started == run.started)
        {
            Some(existing) => *existing = run.clone(),
            None => inner.runs.push(run.clone()),
        }
        Ok(())
    }

    async fn runs(&self, source: &SourceId, limit: usize) -> Result<Vec<RunRecord>, StoreError> {
        let inner = self.lock();
        let mut runs: Vec<RunRecord> = inner
            .runs
            .iter()
            .filter(|r| &r.source == source)
            .cloned()
            .collect();
        runs.sort_by_key(|r| std::cmp::Reverse(r.started));
        runs.truncate(limit);
        Ok(runs)
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn move_source(&self, from: &SourceId, to: &SourceId) -> Result<usize, StoreError> {
        let mut inner = self.lock();
        let owned = |inner: &Inner, s: &SourceId| {
            inner
                .users
                .iter()
                .filter(|u| u.owner.as_ref() == Some(s))
                .count()
        };
        if from == to {
            return Err(StoreError::same_source(from));
        }
        let theirs = owned(&inner, to);
        if theirs > 0 {
            return Err(StoreError::would_merge(from, to, theirs as u64));
        }
        let moved = owned(&inner, from);
        for u in inner.users.iter_mut() {
            if u.owner.as_ref() == Some(from) {
                u.owner = Some(to.clone());
            }
        }
        // A snapshot the new id already has (a refresh under it) is the newer one: kept.
        if let Some((state, snapshot)) = inner.snapshots.remove(from)
            && !inner.snapshots.contains_key(to)
        {
            let snapshot = snapshot.map(|mut s| {
                s.source = to.clone();
                s
            });
            inner.snapshots.insert(to.clone(), (state, snapshot));
        }
        for r in inner.runs.iter_mut() {
            if &r.source == from {
                r.source = to.clone();
            }
        }
        Ok(moved)
    }
}
