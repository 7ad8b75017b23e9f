//! A mock CUCM publisher serving the AXL fixtures.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use ucx_cucm::CucmConfig;
use ucx_http::ClientOptions;
use ucx_http::secrecy::SecretString;
use wiremock::{MockBuilder, MockServer, ResponseTemplate};

pub const PASSWORD: &str = "s3cret-axl-password";

pub fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/cucm")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A 200 answer with a fixture body.
pub fn soap(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(name), "text/xml;charset=UTF-8")
}

/// A SOAP fault (HTTP 500) from a fixture.
pub fn fault(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(500).set_body_raw(fixture(name), "text/xml;charset=UTF-8")
}

/// A POST of AXL `operation`.
pub fn op(operation: &str) -> MockBuilder {
    ucx_testkit::fixtures::axl(operation)
}

/// A configuration against `server`: pages of 3, fast retries, a mail domain.
pub fn config(server: &MockServer) -> CucmConfig {
    let mut c = CucmConfig::new(
        format!("{}/axl/", server.uri()),
        "axl-sync",
        SecretString::from(PASSWORD),
    );
    c.page_size = 3;
    c.min_page_size = 1;
    c.email_domain = Some("example.com".into());
    c.http = {
        let mut v = ClientOptions::for_tests();
        v.max_concurrency_per_host = 1;
        v
    };
    c
}

pub const ALICE: &str = "3f2a9c10-5b7e-4d21-8a6c-0e1f2a3b4c01";
pub const DANA: &str = "3f2a9c10-5b7e-4d21-8a6c-0e1f2a3b4c04";

/// Two listUser pages (3 users, then 1), their device queries, and getCCMVersion.
pub async fn mount_users(server: &MockServer) {
    ucx_testkit::fixtures::cucm_users(server).await;
}

/// The device/SIP URI queries of the two pages.
pub async fn mount_extras(server: &MockServer) {
    ucx_testkit::fixtures::cucm_extras(server).await;
}
