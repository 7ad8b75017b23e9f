//! ucx-sync-core's integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod diff;
mod guard;
mod identity;
mod incremental;
mod model;
mod props;
mod store;
mod sync;
