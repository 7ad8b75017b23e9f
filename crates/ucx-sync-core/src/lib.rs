#![doc = include_str!("../README.md")]

mod adapter;
mod attributes;
mod borrowed;
mod chunks;
mod diff;
mod error;
mod fields;
mod guard;
mod mapper;
mod memory;
mod picture;
mod plan;
mod record;
mod store;
mod sync;
mod unique;
mod user;

pub use adapter::{
    Capabilities, ChangeSet, Cursor, ListRequest, Snapshot, SourceAdapter, SourceAdapterExt,
    WithSourceId,
};
/// The attribute the traits are written with, for implementing them with the matching version.
pub use async_trait::async_trait;
pub use attributes::{AttributeKey, Attributes};
pub use chunks::{SNAPSHOT_CHUNK, decode_chunks, encode_chunks, on_every_core};
pub use diff::{DiffOptions, RenameMode, UniqueRule, diff};
pub use error::{ConfigError, ErrorKind, SourceError};
pub use fields::{FieldName, Fields, FieldsBuilder};
pub use guard::{Guard, GuardError};
pub use mapper::{Desired, MappingError, RecordMapper, RuleLabels};
pub use memory::MemoryStore;
pub use picture::{
    Fetched, ImageFormat, Picture, PictureChanges, PictureError, PictureFetcher, PictureIndex,
    PictureMeta, PictureReport,
};
pub use plan::{
    Add, Conflict, ConflictReason, Counts, Delete, FieldChange, HeldBack, NewUser, Plan, PlanBasis,
    Rename, Replace, Update,
};
pub use record::{ObjectKind, SourceId, SourceRecord, SyncKey, UnknownKind};
pub use store::{
    RunRecord, RunStatus, RunStore, SnapshotState, SnapshotStore, StoreError, UserStore, UsersStore,
};
pub use sync::{DEFAULT_STALE_AFTER, SourceSetup, SyncError, SyncOutcome, Synchronizer};
pub use user::{User, UserId};
