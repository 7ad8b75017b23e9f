//! Mock Webex servers built from the fixture files.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use ucx_http::ClientOptions;
use ucx_http::secrecy::SecretString;
use ucx_webex::{WebexConfig, WebexCredentials};
use wiremock::matchers::{path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

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
    let next = format!(
        "<{}/v1/telephony/config/huntGroups?max=2&start=2>;rel=\"next\"",
        server.uri()
    );
    Mock::given(path("/v1/telephony/config/huntGroups"))
        .and(query_param_is_missing("start"))
        .respond_with(json("hunt-groups-page1.json").insert_header("Link", next.as_str()))
        .mount(server)
        .await;
    Mock::given(path("/v1/telephony/config/huntGroups"))
        .and(query_param("start", "2"))
        .respond_with(json("hunt-groups-page2.json"))
        .mount(server)
        .await;
    Mock::given(path("/v1/telephony/config/queues"))
        .and(query_param("hasCxEssentials", "true"))
        .respond_with(json("call-queues-cx.json"))
        .mount(server)
        .await;
    Mock::given(path("/v1/telephony/config/queues"))
        .and(query_param_is_missing("hasCxEssentials"))
        .respond_with(json("call-queues.json"))
        .mount(server)
        .await;
    Mock::given(path("/v1/telephony/config/autoAttendants"))
        .respond_with(json("auto-attendants.json"))
        .mount(server)
        .await;
    Mock::given(path("/v1/telephony/config/virtualLines"))
        .respond_with(json("virtual-lines.json"))
        .mount(server)
        .await;
    mount_workspaces(server).await;
}

/// Workspaces, their numbers, and the numbers listing.
pub async fn mount_workspaces(server: &MockServer) {
    Mock::given(path("/v1/workspaces"))
        .respond_with(json("workspaces.json"))
        .mount(server)
        .await;
    for (id, file) in [
        (
            "Y2lzY29zcGFyazovL3VzL1BMQUNFL2U1ZDlmYzIxLWZjOWItNTkzYS1hODJlLWRhNGJkYjYxYTY1MA",
            "workspace-numbers-boardroom.json",
        ),
        (
            "Y2lzY29zcGFyazovL3VzL1BMQUNFL2UxMWM4OTRiLTg1NjEtNTI3Ni05NDdjLTc4MDBmMDFmMjkzMw",
            "workspace-numbers-lobby.json",
        ),
        (
            "Y2lzY29zcGFyazovL3VzL1BMQUNFLzk5MWY3NDdmLTRmYzctNTAzYS1iZDA3LWE2YjVmMTJhZGExNQ",
            "workspace-numbers-fax.json",
        ),
    ] {
        Mock::given(path(format!("/v1/workspaces/{id}/features/numbers")))
            .respond_with(json(file))
            .mount(server)
            .await;
    }
    Mock::given(path("/v1/telephony/config/numbers"))
        .respond_with(json("numbers.json"))
        .mount(server)
        .await;
}
