//! Reads a synthetic Webex organisation of N people (default 100,000) from a mock Webex on
//! loopback, through the real client and users source, and prints users/s and peak memory.
//!
//! ```text
//! cargo run --release -p ucx-webex --example people_throughput -- [N] [PAGE_SIZE]
//! ```
//!
//! Pages are generated on request (100 realistic people each, like the People API with calling
//! data), so the figure covers HTTP, JSON parsing, joining with locations and building records.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use ucx_http::ClientOptions;
use ucx_http::secrecy::SecretString;
use ucx_sync_core::{ListRequest, SourceAdapterExt};
use ucx_testkit::peak_rss_mb;
use ucx_webex::{WebexConfig, WebexCredentials, WebexId, WebexUsers};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const ORG: &str = "c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4";
const LOCATION: &str = "6a4eba35-ac1d-514d-8d98-a64a03819378";

struct People {
    total: usize,
    base: String,
}

fn person(i: usize, org: &str, location: &str) -> String {
    let id = WebexId::encode("PEOPLE", &format!("{:08x}-77cb-5b42-8673-6d3ebdeac9f0", i));
    format!(
        r#"{{"id":"{id}","emails":["user{i}@example.com"],"phoneNumbers":[{{"type":"work","value":"+1303555{n:04}","primary":true}},{{"type":"work_extension","value":"8101{n:04}","primary":false}},{{"type":"mobile","value":"+1 720 555 {n:04}","primary":false}}],"extension":"{n:04}","locationId":"{location}","displayName":"User {i} Example","nickName":"U{i}","firstName":"User{i}","lastName":"Example","avatar":"https://avatar-prod-us-east-2.webexcontent.com/Avtr~V1~{ORG}/V1~{i}~1600","orgId":"{org}","roles":[],"licenses":["Y2lzY29zcGFyazovL3VzL0xJQ0VOU0UvNDJhNjE0OGUtNjMwNy01ZTYyLTg0MzAtMDEyZmY1YjY2MWUx","Y2lzY29zcGFyazovL3VzL0xJQ0VOU0UvYzA2Zjg0MTEtNGQ5Ny01NmNhLWI0ZGItMmYyZjU1Y2ZhYzc0"],"department":"Dept {d}","manager":"Manager {d}","title":"Engineer","addresses":[{{"type":"work","country":"US","locality":"Denver","region":"CO","streetAddress":"{i} Example Plaza","postalCode":"80202"}}],"created":"2024-02-12T16:04:11.123Z","lastModified":"2025-09-30T08:15:42.517Z","timezone":"America/Denver","siteUrls":["example.webex.com#attendee"],"sipAddresses":[{{"type":"cloud-calling","value":"user{i}@example.calls.webex.com","primary":true}}],"invitePending":false,"loginEnabled":true,"type":"person"}}"#,
        n = i % 10_000,
        d = i % 50,
    )
}

impl Respond for People {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let q = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        };
        let max: usize = q("max")
            .and_then(|m| m.parse().ok())
            .unwrap_or(100)
            .min(1000);
        let start: usize = q("after").and_then(|a| a.parse().ok()).unwrap_or(0);
        let end = (start + max).min(self.total);
        let org = WebexId::encode("ORGANIZATION", ORG);
        let location = WebexId::encode("LOCATION", LOCATION);
        let items: Vec<String> = (start..end).map(|i| person(i, &org, &location)).collect();
        let mut t = ResponseTemplate::new(200).set_body_raw(
            format!("{{\"items\":[{}]}}", items.join(",")),
            "application/json",
        );
        if end < self.total {
            t = t.insert_header(
                "Link",
                format!(
                    "<{}/v1/people?callingData=true&excludeStatus=true&max={max}&after={end}>; rel=\"next\"",
                    self.base
                )
                .as_str(),
            );
        }
        t
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let total: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let page: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(100);
    let server = MockServer::start().await;
    let root = env!("CARGO_MANIFEST_DIR").to_owned() + "/../../fixtures/webex/";
    for (route, file) in [
        ("/v1/locations", "locations.json"),
        ("/v1/telephony/config/locations", "telephony-locations.json"),
    ] {
        Mock::given(path(route))
            .respond_with(ResponseTemplate::new(200).set_body_raw(
                std::fs::read_to_string(root.clone() + file).unwrap(),
                "application/json",
            ))
            .mount(&server)
            .await;
    }
    Mock::given(path(format!(
        "/v1/organizations/{}",
        WebexId::encode("ORGANIZATION", ORG)
    )))
    .respond_with(
        ResponseTemplate::new(200)
            .set_body_raw(r#"{"displayName":"Example Corp"}"#, "application/json"),
    )
    .mount(&server)
    .await;
    Mock::given(path("/v1/people"))
        .respond_with(People {
            total,
            base: server.uri(),
        })
        .mount(&server)
        .await;

    let mut config = WebexConfig::new(WebexCredentials::AccessToken(SecretString::from("bench")))
        .with_base_url(format!("{}/v1/", server.uri()))
        .with_org_id(ORG);
    config.page_size = page;
    config.http = ClientOptions::default();
    let users = WebexUsers::new(config).unwrap();

    let rss_before = peak_rss_mb();
    let started = Instant::now();
    let snap = users.snapshot(ListRequest::all()).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(snap.records.len(), total);
    assert_eq!(
        snap.records[total - 1].attributes.first("esn"),
        Some(format!("8101{:04}", (total - 1) % 10_000).as_str())
    );
    println!(
        "webex people: {total} users in {:.2?} = {:.0} users/s ({} pages of {page}); peak RSS {:.0} MB (before listing {:.0} MB)",
        elapsed,
        total as f64 / elapsed.as_secs_f64(),
        total.div_ceil(page),
        peak_rss_mb(),
        rss_before,
    );
}
