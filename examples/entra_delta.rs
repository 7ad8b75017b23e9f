//! An Entra ID delta refresh: the first call reads the tenant and returns a delta link; the
//! next returns only what changed since (users added or changed, users removed by id).
//!
//! ```text
//! cargo run --example entra_delta
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ucx_sync::core::{Cursor, SourceAdapter};
use ucx_sync::entra::{EntraConfig, EntraCredential, EntraUsers};
use ucx_sync::http::ClientOptions;
use ucx_sync::http::secrecy::SecretString;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(server: &MockServer, name: &str) -> ResponseTemplate {
    let body = std::fs::read_to_string(format!(
        "{}/fixtures/entra/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .replace("https://graph.microsoft.com", &server.uri());
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let graph = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/contoso.example/oauth2/v2.0/token"))
        .respond_with(fixture(&graph, "token-response.json"))
        .mount(&graph)
        .await;
    Mock::given(path("/v1.0/users/delta"))
        .and(query_param_is_missing("$skiptoken"))
        .and(query_param_is_missing("$deltatoken"))
        .respond_with(fixture(&graph, "users-delta-initial.json"))
        .mount(&graph)
        .await;
    Mock::given(path("/v1.0/users/delta"))
        .and(query_param_is_missing("$deltatoken"))
        .respond_with(fixture(&graph, "users-delta-latest.json"))
        .mount(&graph)
        .await;
    // The delta link the initial round ends with.
    let latest = std::fs::read_to_string(format!(
        "{}/fixtures/entra/users-delta-latest.json",
        env!("CARGO_MANIFEST_DIR")
    ))?;
    let token = latest
        .split("$deltatoken=")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .ok_or("no delta token")?;
    Mock::given(path("/v1.0/users/delta"))
        .and(query_param_is_missing("$skiptoken"))
        .and(query_param("$deltatoken", token))
        .respond_with(fixture(&graph, "users-delta-page.json"))
        .mount(&graph)
        .await;

    let mut config = EntraConfig::new(
        "contoso.example",
        "0f4e2d6c-9a3b-4c8e-b1f7-5e2a9d6c3b80",
        EntraCredential::Secret(SecretString::from("from-your-vault")),
    );
    config.authority_url = Some(format!("{}/", graph.uri()));
    config.graph_url = Some(format!("{}/", graph.uri()));
    config.http = ClientOptions::for_tests();
    let users = EntraUsers::new(config)?;

    // First round: everything (a service stores the cursor with its snapshot).
    let first = users.changes(&Cursor(String::new())).await?;
    println!(
        "initial round: {} users, {} removed, full = {}",
        first.upserts.len(),
        first.removed_ids.len(),
        first.full
    );
    // Later: only the changes.
    let next = users
        .changes(first.cursor.as_ref().ok_or("no delta link")?)
        .await?;
    println!(
        "next round: {} changed, {} removed, full = {}",
        next.upserts.len(),
        next.removed_ids.len(),
        next.full
    );
    for r in &next.upserts {
        println!("  changed: {}", r.key);
    }
    for id in &next.removed_ids {
        println!("  removed: {id}");
    }
    Ok(())
}
