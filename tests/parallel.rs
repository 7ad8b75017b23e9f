//! Webex people read in parallel (the listing without calling data, then batches of 85 ids
//! with it) equal the sequential read exactly, also under a rate limit that answers 429.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ucx_sync::core::{ListRequest, SourceAdapterExt};
use ucx_sync::http::secrecy::SecretString;

const USERS: usize = 2_500;

async fn read(t: &ucx_loadgen::Served, concurrency: usize) -> Vec<ucx_sync::core::SourceRecord> {
    let mut c = ucx_sync::webex::WebexConfig::new(ucx_sync::webex::WebexCredentials::AccessToken(
        SecretString::from("bench"),
    ))
    .with_base_url(format!("{}/v1/", t.uri()));
    c.org_id = Some(ucx_loadgen::WEBEX_ORG.into());
    c.read_concurrency = concurrency;
    c.recording_ids = false;
    ucx_sync::webex::WebexUsers::new(c)
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap()
        .records
}

#[tokio::test(flavor = "multi_thread")]
async fn people_read_in_parallel_equal_the_sequential_read() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let t = ucx_loadgen::serve(listener, ucx_loadgen::Tenant::new(USERS).overlapping()).await;
    let sequential = read(&t, 1).await;
    let before = t.stats().requests();
    let parallel = read(&t, 6).await;
    assert_eq!(sequential.len(), USERS);
    assert_eq!(parallel, sequential, "the same records in the same order");
    // 3 listing pages of 1,000 and 30 batches of at most 85, plus the directory.
    let asked = t.stats().requests() - before;
    assert!((33..=40).contains(&asked), "{asked} requests");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limited_parallel_read_still_reads_everyone() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let t = ucx_loadgen::serve(
        listener,
        ucx_loadgen::Tenant::new(USERS).with_rate_limit(Some(20)),
    )
    .await;
    let parallel = read(&t, 8).await;
    assert_eq!(parallel.len(), USERS);
    assert!(t.stats().throttled() > 0, "the limit was reached");
}
