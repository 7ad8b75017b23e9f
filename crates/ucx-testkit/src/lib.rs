//! Test support for ucx-sync connectors (not published).
//!
//! - [`MemoryAdapter`]: an in-memory source for core and pipeline tests.
//! - [`mock`]: wiremock helpers to script sequences, throttling and delays, and a catch-all that
//!   names unmocked routes.
//! - [`conformance`]: checks every HTTP connector runs against a mock server of its API: paging is
//!   complete, a failing page fails the snapshot, 429 is retried honouring Retry-After, a malformed
//!   body is a Protocol error, `check` reports auth failures as Auth.
//! - [`fixtures`]: mock Webex, CUCM and Graph servers answering from the bundled fixtures.
//! - [`store`]: the contract every `UserStore` keeps, as checks a store's tests run.
//! - [`postgres`]: the PostgreSQL server of the Postgres store's and the workers' tests.
//! - [`by_key`], [`attr`], [`peak_rss_mb`]: helpers for connector tests and benchmarks.

pub mod conformance;
pub mod fixtures;
mod memory;
pub mod mock;
pub mod postgres;
mod records;
pub mod store;

pub use memory::MemoryAdapter;
pub use records::{attr, by_key, peak_rss_mb};
