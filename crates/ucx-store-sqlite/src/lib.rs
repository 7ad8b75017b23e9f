//! The SQLite users database of ucx-sync: a [`UserStore`](ucx_sync_core::UserStore) on one
//! file, with SQLite bundled so nothing is installed by hand.
//!
//! - Users with their owner source, sync key, stable id and fields.
//! - Plans applied all-or-nothing in one transaction (WAL journaling: a crash or kill leaves
//!   the database before or after the plan), a stale plan refused, and a concurrent apply of
//!   the same source refused with [`StoreError::Busy`](ucx_sync_core::StoreError::Busy).
//! - The snapshot cache per source (`updated_at`, `refreshing_since`, completeness, cursor) and
//!   the run history: the product's "integration status and details".
//! - Versioned schema migrations ([`SCHEMA_VERSION`]).
//!
//! ```
//! use std::sync::Arc;
//! use ucx_store_sqlite::SqliteStore;
//! use ucx_sync_core::{Synchronizer, UsersStore};
//!
//! # async fn run() -> Result<(), ucx_sync_core::StoreError> {
//! let store = Arc::new(SqliteStore::open_in_memory()?);
//! let sync = Synchronizer::new(store.clone());
//! assert!(store.users().await?.is_empty());
//! # let _ = sync;
//! # Ok(())
//! # }
//! ```

mod schema;
mod store;

pub use schema::SCHEMA_VERSION;
pub use store::{DEFAULT_LOCK_LEASE, SqliteStore};
