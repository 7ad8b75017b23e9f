//! Mock Webex servers built from the fixture files.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use ucx_http::ClientOptions;
use ucx_http::secrecy::SecretString;
use ucx_webex::{WebexConfig, WebexCredentials};
use wiremock::{MockServer, ResponseTemplate};

pub const ORG: &str = "c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4";

pub fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/webex")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

pub fn json(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("TrackingID", "ROUTER_TEST")
        .set_body_raw(fixture(name), "application/json")
}

pub fn body(value: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(value.to_string(), "application/json")
}

/// A static-token configuration against `server`, with fast retries.
pub fn config(server: &MockServer) -> WebexConfig {
    let mut c = WebexConfig::new(WebexCredentials::AccessToken(SecretString::from(
        "test-access-token",
    )))
    .with_base_url(format!("{}/v1/", server.uri()))
    .with_org_id(ORG);
    c.http = ClientOptions::for_tests();
    // The listing one page at a time, whose paging these tests are about; the parallel read
    // has its own tests (`people_by_id.rs`, and the workspace's `tests/parallel.rs`).
    c.read_concurrency = 1;
    c
}

/// Locations, calling locations and the organisation.
pub async fn mount_directory(server: &MockServer) {
    ucx_testkit::fixtures::webex_directory(server).await;
}

/// The directory and both people pages, anything else answered 500.
pub async fn full_server() -> MockServer {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    mount_people(&server).await;
    ucx_testkit::mock::mount_catch_all(&server).await;
    server
}

/// The two people pages; the next link keeps every parameter.
pub async fn mount_people(server: &MockServer) {
    ucx_testkit::fixtures::webex_people(server, true).await;
}

/// Every virtual-object listing, hunt groups over two pages.
pub async fn mount_virtual(server: &MockServer) {
    ucx_testkit::fixtures::webex_virtual(server).await;
}

/// Workspaces, their numbers, and the numbers listing.
pub async fn mount_workspaces(server: &MockServer) {
    ucx_testkit::fixtures::webex_workspaces(server).await;
}
