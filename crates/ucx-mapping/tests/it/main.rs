//! ucx-mapping's integration tests: the expression language, each built-in table row by row from
//! the product documents' example values, and rule files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod config;
mod cucm_entra;
mod expr;
mod virtual_objects;
mod webex_users;

use ucx_sync_core::{Desired, ObjectKind, RecordMapper, SourceRecord};

/// A record of `kind` with single-valued attributes.
pub(crate) fn record(kind: ObjectKind, key: &str, attrs: &[(&str, &str)]) -> SourceRecord {
    SourceRecord::new(kind, key)
        .with_attributes(attrs.iter().map(|(k, v)| (*k, vec![*v])).collect())
}

/// Maps `record` with the built-in set `set`.
pub(crate) fn map(set: &str, record: &SourceRecord) -> Desired {
    ucx_mapping::RuleSet::builtin(set)
        .unwrap()
        .map(record)
        .unwrap()
}
