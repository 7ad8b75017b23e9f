//! Webex: people pages behind a service app's refresh token.

use std::sync::Arc;
use std::time::SystemTime;

use ucx_sync::http::secrecy::SecretString;
use ucx_sync::webex::{WebexConfig, WebexCredentials, WebexId, WebexUsers};
use ucx_testkit::fixtures;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::{Counts, Scenario, Shared, Tenant, Token};

struct People {
    tenant: Arc<Tenant>,
    base: String,
}

fn person(i: usize) -> String {
    format!(
        r#"{{"id":"{}","emails":["user{i}@example.com"],"phoneNumbers":[{{"type":"work","value":"+1303{i:07}","primary":true}}],"extension":"{i:07}","locationId":"{}","displayName":"User {i}","firstName":"User","lastName":"{i}","orgId":"{}","department":"Dept {}","type":"person"}}"#,
        WebexId::encode("PEOPLE", &format!("{i:08x}-0000-4000-8000-000000000000")),
        WebexId::encode("LOCATION", "6a4eba35-ac1d-514d-8d98-a64a03819378"),
        WebexId::encode("ORGANIZATION", fixtures::WEBEX_ORG),
        i % 7
    )
}

impl Respond for People {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let t = &self.tenant;
        let c = &t.counts;
        Counts::add(&c.requests);
        if !request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer access-"))
        {
            return ResponseTemplate::new(401);
        }
        let roll = t.rng.below(100);
        match roll {
            0..=7 => {
                Counts::add(&c.throttled);
                let answer = ResponseTemplate::new(429)
                    .set_body_string(r#"{"message":"Too Many Requests"}"#);
                return match t.rng.below(5) {
                    0 => answer.insert_header("Retry-After", "0"),
                    1 => answer.insert_header("Retry-After", "0.02"),
                    2 => answer.insert_header(
                        "Retry-After",
                        httpdate::fmt_http_date(SystemTime::now()).as_str(),
                    ),
                    3 => answer.insert_header("Retry-After", "rand(30),add(30)"),
                    _ => answer,
                };
            }
            8..=11 => {
                Counts::add(&c.server_errors);
                return ResponseTemplate::new([500, 502, 503][t.rng.below(3) as usize]);
            }
            12..=13 => {
                Counts::add(&c.expired_token);
                return ResponseTemplate::new(401)
                    .set_body_string(r#"{"message":"The request requires a valid access token"}"#);
            }
            _ => {}
        }
        let after: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "after")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let users = t.snapshot();
        let page: Vec<String> = users
            .iter()
            .skip(after)
            .take(100)
            .map(|&i| person(i))
            .collect();
        let body = format!("{{\"items\":[{}]}}", page.join(","));
        let mut answer = ResponseTemplate::new(200);
        if after + 100 < users.len() {
            let next = format!(
                "<{}/v1/people?callingData=true&excludeStatus=true&max=100&after={}>; rel=\"next\"",
                self.base,
                after + 100
            );
            answer = answer.insert_header("Link", next.as_str());
        }
        crate::page(
            c,
            roll,
            (14..=16, 17..=18),
            answer,
            body,
            "application/json",
        )
    }
}

pub(crate) async fn scenario(tenant: Arc<Tenant>) -> Scenario {
    let server = MockServer::start().await;
    fixtures::webex_directory(&server).await;
    Mock::given(method("POST"))
        .and(path("/v1/access_token"))
        .respond_with(Token(tenant.counts.clone(), |n| {
            format!(r#"{{"access_token":"access-{n}","expires_in":3600,"token_type":"Bearer"}}"#)
        }))
        .mount(&server)
        .await;
    Mock::given(path("/v1/people"))
        .respond_with(Shared(Arc::new(People {
            tenant: tenant.clone(),
            base: server.uri(),
        })))
        .mount(&server)
        .await;
    let mut config = WebexConfig::new(WebexCredentials::RefreshToken {
        client_id: "fault-injection".into(),
        client_secret: SecretString::from("client-secret"),
        refresh_token: SecretString::from("refresh-token"),
    })
    .with_base_url(format!("{}/v1/", server.uri()))
    .with_org_id(fixtures::WEBEX_ORG);
    config.http = crate::fast_http();
    Scenario {
        name: "webex people",
        adapter: Arc::new(WebexUsers::new(config).unwrap()),
        rules: "webex-users",
        params: vec![],
        key: |i| format!("user{i}@example.com"),
        tenant,
        _server: server,
    }
}
