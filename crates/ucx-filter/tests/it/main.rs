//! ucx-filter's integration tests, one binary with a module per concern.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod eval;
mod parse_errors;
mod parse_ok;
mod print;
mod props;
mod schema;
