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

/// A new, empty database on the server at `url` (made with `psql`, which comes with the
/// server's packages), and the URL that names it: for a test that runs `ucx-sync` processes,
/// whose tables live in the default schema. Panics, as a failed test setup should, when the
/// database cannot be made.
#[allow(clippy::panic)]
pub fn fresh_database(url: &str, prefix: &str) -> String {
    let db = unique_name(prefix);
    let psql = |sql: &str| {
        std::process::Command::new("psql")
            .args([url, "-qc", sql])
            .status()
            .map(|s| s.success())
    };
    match psql(&format!("CREATE DATABASE {db}")) {
        Ok(true) => {}
        Ok(false) => panic!("psql could not create the test database {db}"),
        Err(e) => panic!("psql is needed to create the test database: {e}"),
    }
    match url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{db}"),
        None => panic!("UCX_TEST_POSTGRES_URL has no database part: {url}"),
    }
}
