//! Reads a synthetic tenant of N users (default 100,000) from a mock Graph on loopback,
//! through the real token flow, client and Entra source, and prints users/s and peak memory.
//!
//! ```text
//! cargo run --release -p ucx-entra --example users_throughput -- [N]
//! ```
//!
//! Pages of 999 users with every selected property, as `/users?$select=…&$top=999` returns
//! them, are rendered before the clock starts (the peak memory includes them), linked by
//! `@odata.nextLink`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::time::Instant;

use ucx_entra::{EntraConfig, EntraCredential, EntraUsers};
use ucx_http::ClientOptions;
use ucx_http::secrecy::SecretString;
use ucx_sync_core::{ListRequest, SourceAdapterExt};
use ucx_testkit::peak_rss_mb;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const PAGE: usize = 999;

struct Pages(HashMap<usize, String>);

impl Respond for Pages {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let start = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "$skiptoken")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        match self.0.get(&start) {
            Some(body) => ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
            None => ResponseTemplate::new(404),
        }
    }
}

fn render(start: usize, total: usize, base: &str) -> String {
    let end = (start + PAGE).min(total);
    let users: Vec<String> = (start..end)
        .map(|i| {
            format!(
                r#"{{"id":"{:08x}-1b7d-4e8a-9f6c-2d5b8e1a7c03","userPrincipalName":"user{i}@example.com","mail":"user{i}@example.com","givenName":"Given{i}","surname":"Surname{i}","displayName":"Given{i} Surname{i}","department":"Dept {d}","officeLocation":"Building {d}","city":"City {d}","streetAddress":"{i} Example Street","postalCode":"10118","state":"NY","country":"US","businessPhones":["+1 212 555 {n:04}"],"mobilePhone":"+1 917 555 {n:04}","faxNumber":null,"jobTitle":"Engineer","employeeId":"{i}","accountEnabled":true,"onPremisesSamAccountName":"user{i}","userType":"Member"}}"#,
                i,
                d = i % 40,
                n = i % 10_000
            )
        })
        .collect();
    let next = if end < total {
        format!(r#","@odata.nextLink":"{base}/v1.0/users?$skiptoken={end}""#)
    } else {
        String::new()
    };
    format!(
        r#"{{"@odata.context":"{base}/v1.0/$metadata#users"{next},"value":[{}]}}"#,
        users.join(",")
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let total: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("POST"))
        .and(path("/bench-tenant/oauth2/v2.0/token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"token_type":"Bearer","expires_in":3599,"access_token":"opaque-bench-token"}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let pages = (0..total)
        .step_by(PAGE)
        .map(|start| (start, render(start, total, &base)))
        .collect();
    Mock::given(path("/v1.0/users"))
        .respond_with(Pages(pages))
        .mount(&server)
        .await;
    let mut config = EntraConfig::new(
        "bench-tenant",
        "bench-client",
        EntraCredential::Secret(SecretString::from("bench")),
    );
    config.authority_url = Some(format!("{base}/"));
    config.graph_url = Some(format!("{base}/"));
    config.http = ClientOptions::default();
    let users = EntraUsers::new(config).unwrap();
    let started = Instant::now();
    let snap = users.snapshot(ListRequest::all()).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(snap.records.len(), total);
    println!(
        "entra users: {total} users in {:.2?} = {:.0} users/s ({} pages of {PAGE}); peak RSS {:.0} MB",
        elapsed,
        total as f64 / elapsed.as_secs_f64(),
        total.div_ceil(PAGE),
        peak_rss_mb(),
    );
}
