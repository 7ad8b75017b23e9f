//! A user as the users database holds it.

use serde::{Deserialize, Serialize};

use crate::fields::Fields;
use crate::record::{ObjectKind, SourceId, SyncKey};

/// The database's id of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub u64);

/// A user in the users database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The database id.
    pub id: UserId,
    /// The kind of object.
    pub kind: ObjectKind,
    /// The source that owns (created or adopted) the user; `None` for a user entered by hand.
    pub owner: Option<SourceId>,
    /// The sync key.
    pub key: SyncKey,
    /// The owning source's immutable id for the user.
    pub stable_id: Option<String>,
    /// The field values (no empty values).
    pub fields: Fields,
}
