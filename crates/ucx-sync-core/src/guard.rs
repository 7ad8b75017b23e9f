//! Safety guards: checked on a plan before anything is applied.

use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use crate::fields::FieldName;
use crate::plan::Plan;

/// Limits a plan must respect to be applied. A tripped guard applies nothing and says which
/// setting allows the plan.
///
/// The delete threshold follows the products administrators know: Entra's accidental-deletion
/// threshold, Entra Connect's default of 500 and Okta's 20% import safeguard. Absolute and percent
/// are both checked; the stricter wins.
///
/// `#[non_exhaustive]`: start from [`Guard::default`] and set the fields.
///
/// ```
/// let mut guard = ucx_sync_core::Guard::default();
/// guard.max_deletes = Some(10);
/// ```
///
/// ```compile_fail
/// let guard = ucx_sync_core::Guard { max_deletes: Some(10), ..Default::default() };
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct Guard {
    /// The most users one run may delete (default 500).
    pub max_deletes: Option<usize>,
    /// The largest share of the source's users one run may delete, in percent (default 20).
    pub max_delete_percent: Option<f64>,
    /// This many losses (deletes and replaces) or clears of one field always pass the percent
    /// checks (default 5), so a tenant of any size is guarded without stopping every small
    /// change: 8 of 10 users deleted stops, 1 of 3 does not.
    pub allowance: usize,
    /// The largest share of the source's users that may lose a non-empty value of the same field
    /// in one run, in percent (default 20): a permission change at the source that empties
    /// every phone number stops here.
    pub max_clear_percent: Option<f64>,
    /// Whether a plan made from no record at all may apply to a source that owns users
    /// (default false: an empty listing is a permission change, a filter typo or an outage far
    /// more often than everyone leaving).
    pub allow_empty: bool,
    /// Whether adds are allowed.
    pub allow_create: bool,
    /// Whether updates (and renames) are allowed.
    pub allow_update: bool,
    /// Whether deletes are allowed at all.
    pub allow_delete: bool,
    /// Plan only; never apply.
    pub dry_run: bool,
}

impl Default for Guard {
    fn default() -> Self {
        Self {
            max_deletes: Some(500),
            max_delete_percent: Some(20.0),
            allowance: 5,
            max_clear_percent: Some(20.0),
            allow_empty: false,
            allow_create: true,
            allow_update: true,
            allow_delete: true,
            dry_run: false,
        }
    }
}

/// Why a plan was not applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GuardError {
    /// The source listed nobody (after the filter) but owns users.
    #[error(
        "the source listed no record but owns {owned} users; nothing was applied (check its \
         permissions, filter and status, then pass --allow-empty if everyone really left)"
    )]
    EmptySource {
        /// Users the source owned.
        owned: usize,
    },
    /// Too many users would lose a value of the same field.
    #[error(
        "the plan clears {field} on {cleared} of the source's {owned} users ({percent:.1}%), more \
         than max_clear_percent = {limit}%; nothing was applied (check the source's permissions, \
         then raise max_clear_percent or pass --allow-clears)"
    )]
    TooManyCleared {
        /// The field.
        field: String,
        /// Users losing its value.
        cleared: usize,
        /// Users the source owned.
        owned: usize,
        /// Their share.
        percent: f64,
        /// The limit.
        limit: f64,
    },
    /// More deletes than `max_deletes`.
    #[error(
        "the plan deletes {deletes} users, more than max_deletes = {limit}; nothing was applied \
         (review the plan, then raise max_deletes or pass --allow-deletes)"
    )]
    TooManyDeletes {
        /// Deletes planned.
        deletes: usize,
        /// The limit.
        limit: usize,
    },
    /// A larger share than `max_delete_percent`.
    #[error(
        "the plan deletes {deletes} of the source's {owned} users ({percent:.1}%), more than \
         max_delete_percent = {limit}%; nothing was applied (review the plan, then raise \
         max_delete_percent or pass --allow-deletes)"
    )]
    TooManyDeletesPercent {
        /// Deletes planned.
        deletes: usize,
        /// Users the source owned.
        owned: usize,
        /// Their share.
        percent: f64,
        /// The limit.
        limit: f64,
    },
    /// An operation switched off.
    #[error("the plan has {count} {operation}s but allow_{operation} = false; nothing was applied")]
    OperationForbidden {
        /// `create`, `update` or `delete`.
        operation: &'static str,
        /// How many were planned.
        count: usize,
    },
}

impl Guard {
    /// A guard that allows any number of deletes (what `--allow-deletes` sets).
    pub fn allowing_deletes(mut self) -> Self {
        self.max_deletes = None;
        self.max_delete_percent = None;
        self
    }

    /// A guard that lets any share of users lose a field's value (what `--allow-clears` sets).
    pub fn allowing_clears(mut self) -> Self {
        self.max_clear_percent = None;
        self
    }

    /// A guard that accepts a plan made from an empty listing (what `--allow-empty` sets).
    pub fn allowing_empty(mut self) -> Self {
        self.allow_empty = true;
        self
    }

    /// Checks the plan. Replaced users count as deletes: the person they were is removed.
    pub fn check(&self, plan: &Plan) -> Result<(), GuardError> {
        if !self.allow_empty && plan.listed == 0 && plan.owned_before > 0 {
            return Err(GuardError::EmptySource {
                owned: plan.owned_before,
            });
        }
        let deletes = plan.deletes.len() + plan.replaces.len();
        let forbidden = [
            (
                "create",
                self.allow_create,
                plan.adds.len() + plan.replaces.len(),
            ),
            (
                "update",
                self.allow_update,
                plan.updates.len() + plan.renames.len(),
            ),
            ("delete", self.allow_delete, deletes),
        ];
        for (operation, allowed, count) in forbidden {
            if !allowed && count > 0 {
                return Err(GuardError::OperationForbidden { operation, count });
            }
        }
        if let Some(limit) = self.max_deletes
            && deletes > limit
        {
            return Err(GuardError::TooManyDeletes { deletes, limit });
        }
        let owned = plan.owned_before.max(1);
        let share = |n: usize| n as f64 * 100.0 / owned.max(n) as f64;
        if let Some(limit) = self.max_delete_percent
            && deletes > self.allowance
            && share(deletes) > limit
        {
            return Err(GuardError::TooManyDeletesPercent {
                deletes,
                owned: owned.max(deletes),
                percent: share(deletes),
                limit,
            });
        }
        if let Some(limit) = self.max_clear_percent
            && let Some((field, cleared)) = most_cleared(plan)
            && cleared > self.allowance
            && share(cleared) > limit
        {
            return Err(GuardError::TooManyCleared {
                field: field.to_string(),
                cleared,
                owned: owned.max(cleared),
                percent: share(cleared),
                limit,
            });
        }
        Ok(())
    }
}

/// The field that the most updated or renamed users lose a non-empty value of, and how many.
fn most_cleared(plan: &Plan) -> Option<(FieldName, usize)> {
    let mut counts: HashMap<FieldName, usize> = HashMap::new();
    let changes = plan
        .updates
        .iter()
        .flat_map(|u| &u.changes)
        .chain(plan.renames.iter().flat_map(|r| &r.changes));
    for c in changes {
        if c.old.is_some() && c.new.is_none() {
            *counts.entry(c.field).or_insert(0) += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.as_str().cmp(a.0.as_str())))
}
