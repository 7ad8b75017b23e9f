//! The PostgreSQL server the tests of the Postgres store and the workers run against.

/// The server's URL (`UCX_TEST_POSTGRES_URL`), or `None` with the reason printed when there is
/// none, so a test can return early. `.ci/run` starts a throwaway cluster and sets
/// `UCX_REQUIRE_POSTGRES`, which turns a missing URL into a failure rather than a skip.
pub fn server_url() -> Option<String> {
    match std::env::var("UCX_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("UCX_REQUIRE_POSTGRES").is_none(),
                "UCX_REQUIRE_POSTGRES is set but UCX_TEST_POSTGRES_URL is not"
            );
            eprintln!(
                "skipped: no PostgreSQL to test against (set UCX_TEST_POSTGRES_URL=postgres://…; .ci/run starts one)"
            );
            None
        }
    }
}

/// A name no other test run uses at the same time (for a schema or a queue): letters, digits
/// and underscores only, so it can stand in SQL as it is.
pub fn unique_name(prefix: &str) -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "{prefix}{}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}
