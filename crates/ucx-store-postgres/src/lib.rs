//! The PostgreSQL users database of ucx-sync: the users, snapshots and runs of every source in
//! one database that several `ucx-sync` workers share.
//!
//! It keeps the same contract as the SQLite store (`ucx_testkit::store`): plans applied
//! all-or-nothing with stale-plan checks, one apply of a source at a time across workers (a
//! lease with an expiry, so a worker that died loses the source), snapshots in compressed
//! chunks, versioned migrations with checksums.
//!
//! Built on sqlx 0.9 (`sqlx-core` and `sqlx-postgres`): a pool, migrations that record a
//! checksum of each and take an advisory lock, and array binding for bulk statements, with no
//! C library to link. The same sqlx as the job queue of `ucx-sync run`'s workers
//! (apalis-postgres), so the store and the queue share one pool.
//!
//! ```no_run
//! use std::str::FromStr;
//! use std::sync::Arc;
//! use ucx_store_postgres::PostgresStore;
//! use ucx_sync_core::{Synchronizer, UsersStore};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let options = ucx_store_postgres::PgConnectOptions::from_str("postgres://ucx@db.example.com/ucx")?
//!     .password("from-your-vault");
//! let store = Arc::new(PostgresStore::connect(options).await?);
//! let sync = Synchronizer::new(store.clone());
//! println!("{} users", store.users().await?.len());
//! # let _ = sync;
//! # Ok(())
//! # }
//! ```

mod migrations;
mod store;

pub use migrations::SCHEMA_VERSION;
pub use sqlx_postgres::{PgConnectOptions, PgPool, PgPoolOptions};
pub use store::{DEFAULT_LOCK_LEASE, PostgresStore};
