//! What a source hands the core: kinds of object, source ids, sync keys and records.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::attributes::Attributes;

/// The kinds of directory object a source can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ObjectKind {
    /// A person.
    User,
    /// A Webex hunt group.
    HuntGroup,
    /// A Webex call queue.
    CallQueue,
    /// A Webex auto attendant.
    AutoAttendant,
    /// A Webex virtual line.
    VirtualLine,
    /// A Webex workspace.
    Workspace,
    /// A Webex workspace used for fax.
    FaxWorkspace,
}

impl ObjectKind {
    /// Every kind, in declaration order.
    pub const ALL: [ObjectKind; 7] = [
        ObjectKind::User,
        ObjectKind::HuntGroup,
        ObjectKind::CallQueue,
        ObjectKind::AutoAttendant,
        ObjectKind::VirtualLine,
        ObjectKind::Workspace,
        ObjectKind::FaxWorkspace,
    ];

    /// The name filters use for the kind (the `userType` field): `hunt-group`, ...
    pub fn filter_name(self) -> &'static str {
        match self {
            ObjectKind::User => "user",
            ObjectKind::HuntGroup => "hunt-group",
            ObjectKind::CallQueue => "call-queue",
            ObjectKind::AutoAttendant => "auto-attendant",
            ObjectKind::VirtualLine => "virtual-line",
            ObjectKind::Workspace => "workspace",
            ObjectKind::FaxWorkspace => "fax-workspace",
        }
    }

    /// The acronym the product puts in usernames of virtual objects (`HG`, `CQ`, ...); empty for
    /// users.
    pub fn acronym(self) -> &'static str {
        match self {
            ObjectKind::User => "",
            ObjectKind::HuntGroup => "HG",
            ObjectKind::CallQueue => "CQ",
            ObjectKind::AutoAttendant => "AA",
            ObjectKind::VirtualLine => "VL",
            ObjectKind::Workspace => "WS",
            ObjectKind::FaxWorkspace => "WSF",
        }
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.filter_name())
    }
}

/// An unknown object kind name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown object kind '{0}'; the kinds are: user, hunt-group, call-queue, auto-attendant, virtual-line, workspace, fax-workspace"
)]
pub struct UnknownKind(pub String);

impl FromStr for ObjectKind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObjectKind::ALL
            .into_iter()
            .find(|k| k.filter_name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

/// Which configured source a record came from and which users it owns, such as
/// `webex-users:<org uuid>`, `cucm:<publisher>` or `entra:<tenant>`.
#[derive(Debug, Clone, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SourceId(Arc<str>);

impl std::hash::Hash for SourceId {
    /// Hashes the text, agreeing with `eq` (equal pointers mean equal text).
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl PartialEq for SourceId {
    /// Ids of one source are usually clones of one `Arc`: compare the pointer before the text
    /// (the diff compares owners twice per user).
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl SourceId {
    /// A source id from its text.
    pub fn new(id: impl AsRef<str>) -> Self {
        Self(Arc::from(id.as_ref()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A normalised sync key: trimmed and lower-cased, so that `Ann@Example.com` and
/// `ann@example.com` are one user and a case-only change in the source never deletes anybody.
///
/// Every key the sources use (emails, UPNs, CUCM user ids, Webex object ids) is compared without
/// case by the systems that issue it. Shared, so that a record's key passes to its wanted user
/// and into the plan without copying.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SyncKey(Arc<str>);

impl SyncKey {
    /// Normalises `raw` into a key.
    pub fn new(raw: impl AsRef<str>) -> Self {
        let raw = raw.as_ref().trim();
        if raw.bytes().any(|b| b.is_ascii_uppercase() || b >= 0x80) {
            Self(raw.to_lowercase().into())
        } else {
            Self(raw.into())
        }
    }

    /// The normalised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SyncKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for SyncKey {
    fn from(s: &str) -> Self {
        SyncKey::new(s)
    }
}

/// One object read from a source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRecord {
    /// What kind of object it is.
    pub kind: ObjectKind,
    /// The sync key (Webex: email; Webex virtual objects: the decoded id; CUCM: userid; Entra:
    /// userPrincipalName).
    pub key: SyncKey,
    /// The source's immutable id, when it has one (Webex Common Identity UUID, CUCM pkid, Entra
    /// object id); it lets a changed key be recognised as a rename.
    pub stable_id: Option<String>,
    /// The attributes, under the names documented for the connector.
    pub attributes: Attributes,
}

impl SourceRecord {
    /// A record with no attributes.
    pub fn new(kind: ObjectKind, key: impl AsRef<str>) -> Self {
        Self {
            kind,
            key: SyncKey::new(key),
            stable_id: None,
            attributes: Attributes::default(),
        }
    }

    /// Sets the stable id.
    pub fn with_stable_id(mut self, id: impl Into<String>) -> Self {
        self.stable_id = Some(id.into());
        self
    }

    /// Sets the attributes.
    pub fn with_attributes(mut self, attributes: Attributes) -> Self {
        self.attributes = attributes;
        self
    }
}
