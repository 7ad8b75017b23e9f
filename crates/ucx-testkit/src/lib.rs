//! Test support for ucx-sync connectors (not published).
//!
//! - [`MemoryAdapter`]: an in-memory source for core and pipeline tests.
//! - [`mock`]: wiremock helpers to script sequences, throttling and delays, and a catch-all that
//!   names unmocked routes.
//! - [`conformance`]: checks every HTTP connector runs against a mock server of its API: paging is
//!   complete, a failing page fails the snapshot, 429 is retried honouring Retry-After, a malformed
//!   body is a Protocol error, `check` reports auth failures as Auth.

pub mod conformance;
mod memory;
pub mod mock;

pub use memory::MemoryAdapter;
