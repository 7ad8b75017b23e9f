//! Entra ID: the token endpoint and Graph `/users` pages, with Graph's ways of failing: 429,
//! 5xx, expired access tokens, expired page tokens, truncated JSON and slow answers.

use std::sync::Arc;

use ucx_sync::entra::{EntraConfig, EntraCredential, EntraUsers};
use ucx_sync::http::secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::{Counts, Scenario, Shared, Tenant, Token};

const PAGE: usize = 100;

fn graph_error(status: u16, code: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        format!(r#"{{"error":{{"code":"{code}","message":"{message}","innerError":{{"date":"2026-11-22T10:45:17","request-id":"fault-injection"}}}}}}"#),
        "application/json",
    )
}

struct Users {
    tenant: Arc<Tenant>,
    base: String,
}

impl Respond for Users {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let t = &self.tenant;
        let c = &t.counts;
        Counts::add(&c.requests);
        let skip: Option<usize> = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "$skiptoken")
            .and_then(|(_, v)| v.parse().ok());
        let roll = t.rng.below(100);
        match roll {
            0..=7 => {
                Counts::add(&c.throttled);
                let answer = graph_error(429, "TooManyRequests", "Too many requests");
                return match t.rng.below(4) {
                    0 => answer.insert_header("Retry-After", "0"),
                    1 => answer.insert_header("Retry-After", "0.02"),
                    2 => answer.insert_header("Retry-After", "soon"),
                    _ => answer,
                };
            }
            8..=11 => {
                Counts::add(&c.server_errors);
                return ResponseTemplate::new([500, 502, 503, 504][t.rng.below(4) as usize]);
            }
            12..=13 => {
                Counts::add(&c.expired_token);
                return graph_error(
                    401,
                    "InvalidAuthenticationToken",
                    "Lifetime validation failed, the token is expired.",
                );
            }
            14..=15 if skip.is_some() => {
                Counts::add(&c.expired_page_token);
                return graph_error(
                    400,
                    "Directory_ExpiredPageToken",
                    "The specified page token value has expired and can no longer be included in your request.",
                );
            }
            _ => {}
        }
        let start = skip.unwrap_or(0);
        let users = t.snapshot();
        let page: Vec<String> = users
            .iter()
            .skip(start)
            .take(PAGE)
            .map(|&i| {
                format!(
                    r#"{{"id":"{i:08x}-1b7d-4e8a-9f6c-2d5b8e1a7c03","userPrincipalName":"user{i}@example.com","mail":"user{i}@example.com","givenName":"Given{i}","surname":"Surname{i}","displayName":"Given{i} Surname{i}","department":"Dept {}","businessPhones":["+1 212 {i:07}"],"accountEnabled":true,"userType":"Member"}}"#,
                    i % 7
                )
            })
            .collect();
        let next = if start + PAGE < users.len() {
            format!(
                r#","@odata.nextLink":"{}/v1.0/users?$top={PAGE}&$skiptoken={}""#,
                self.base,
                start + PAGE
            )
        } else {
            String::new()
        };
        let body = format!(
            r#"{{"@odata.context":"{}/v1.0/$metadata#users"{next},"value":[{}]}}"#,
            self.base,
            page.join(",")
        );
        crate::page(
            c,
            roll,
            (16..=18, 19..=20),
            ResponseTemplate::new(200),
            body,
            "application/json",
        )
    }
}

pub(crate) async fn scenario(tenant: Arc<Tenant>) -> Scenario {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/fault-tenant/oauth2/v2.0/token"))
        .respond_with(Token(tenant.counts.clone(), |n| {
            format!(r#"{{"token_type":"Bearer","expires_in":3599,"access_token":"opaque-{n}"}}"#)
        }))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(Shared(Arc::new(Users {
            tenant: tenant.clone(),
            base: server.uri(),
        })))
        .mount(&server)
        .await;
    let mut config = EntraConfig::new(
        "fault-tenant",
        "fault-client",
        EntraCredential::Secret(SecretString::from("client-secret")),
    );
    config.authority_url = Some(format!("{}/", server.uri()));
    config.graph_url = Some(format!("{}/", server.uri()));
    config.page_size = PAGE;
    config.http = crate::fast_http();
    Scenario {
        name: "entra users",
        adapter: Arc::new(EntraUsers::new(config).unwrap()),
        rules: "entra",
        params: vec![],
        key: |i| format!("user{i}@example.com"),
        tenant,
        _server: server,
    }
}
