//! Test support for ucx-sync connectors (not published).
//!
//! - [`MemoryAdapter`]: an in-memory source for core and pipeline tests.
//! - [`mock`]: wiremock helpers to script pages, throttling and delays.
//! - [`conformance`]: checks every HTTP connector runs against a mock server of its API.

mod memory;

pub use memory::MemoryAdapter;
