//! Safety guards: checked on a plan before anything is applied.

use serde::{Deserialize, Serialize};

use crate::plan::Plan;

/// Limits a plan must respect to be applied. A tripped guard applies nothing and says which
/// setting allows the plan.
///
/// The delete threshold follows the products administrators know: Entra's accidental-deletion
/// threshold, Entra Connect's default of 500 and Okta's 20% import safeguard. Absolute and percent
/// are both checked; the stricter wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Guard {
    /// The most users one run may delete (default 500).
    pub max_deletes: Option<usize>,
    /// The largest share of the source's users one run may delete, in percent (default 20).
    pub max_delete_percent: Option<f64>,
    /// The percentage applies once the source owns at least this many users (default 100, as
    /// Okta's safeguard): deleting 1 of 3 users is not an accident worth stopping for.
    pub percent_min_users: usize,
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
            percent_min_users: 100,
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

    /// Checks the plan.
    pub fn check(&self, plan: &Plan) -> Result<(), GuardError> {
        let deletes = plan.deletes.len();
        let forbidden = [
            ("create", self.allow_create, plan.adds.len()),
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
        if let Some(limit) = self.max_delete_percent
            && deletes > 0
            && plan.owned_before >= self.percent_min_users
        {
            let owned = plan.owned_before.max(deletes);
            let percent = deletes as f64 * 100.0 / owned as f64;
            if percent > limit {
                return Err(GuardError::TooManyDeletesPercent {
                    deletes,
                    owned,
                    percent,
                    limit,
                });
            }
        }
        Ok(())
    }
}
