//! A mock identity platform and Graph serving the Entra fixtures.
#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use ucx_entra::{EntraConfig, EntraCredential};
use ucx_http::ClientOptions;
use ucx_http::secrecy::SecretString;
use wiremock::{MockServer, ResponseTemplate};

pub const TENANT: &str = "6b1f3c2e-8d4a-4f7b-9e21-5c3a7d9b0e14";
pub const CLIENT: &str = "0f4e2d6c-9a3b-4c8e-b1f7-5e2a9d6c3b80";
pub const SECRET: &str = "entra-client-secret-value";

pub fn fixture(name: &str) -> String {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/entra")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A fixture with its Graph links pointing at `server`.
pub fn graph(server: &MockServer, name: &str) -> ResponseTemplate {
    let body = fixture(name).replace("https://graph.microsoft.com", &server.uri());
    ResponseTemplate::new(200)
        .insert_header("request-id", "req-ok")
        .set_body_raw(body, "application/json")
}

/// An error fixture with `status`.
pub fn error(status: u16, name: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(name), "application/json")
}

/// A configuration against `server` for both the token endpoint and Graph, with a secret.
pub fn config(server: &MockServer) -> EntraConfig {
    let mut c = EntraConfig::new(
        TENANT,
        CLIENT,
        EntraCredential::Secret(SecretString::from(SECRET)),
    );
    c.authority_url = Some(format!("{}/", server.uri()));
    c.graph_url = Some(format!("{}/", server.uri()));
    c.http = ClientOptions::for_tests();
    c
}

pub fn token_path() -> String {
    format!("/{TENANT}/oauth2/v2.0/token")
}

/// The token endpoint, answering the fixture token (which carries application roles).
pub async fn mount_token(server: &MockServer) {
    ucx_testkit::fixtures::entra_token(server).await;
}

/// The two pages of `/users`.
pub async fn mount_users(server: &MockServer) {
    ucx_testkit::fixtures::entra_users(server).await;
}
