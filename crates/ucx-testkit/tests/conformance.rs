//! The conformance suite run against a small reference adapter (a JSON API paged with a `next`
//! link), to show the checks pass on a correct adapter and fail on broken ones.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::{self, BoxStream, StreamExt};
use serde::Deserialize;
use ucx_sync_core::{
    Capabilities, ErrorKind, ListRequest, ObjectKind, SourceAdapter, SourceError, SourceId,
    SourceRecord,
};
use ucx_testkit::conformance::{self, Fault, Harness};
use ucx_testkit::mock;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// What the reference adapter gets wrong, to prove the checks catch it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Flaw {
    None,
    IgnoresRetryAfter,
    StopsAtFirstPage,
    KeepsGoingAfterError,
    FailureIsHealthy,
}

#[derive(Debug)]
struct RefAdapter {
    id: SourceId,
    base: String,
    http: reqwest::Client,
    flaw: Flaw,
}

#[derive(Deserialize)]
struct Page {
    items: Vec<Item>,
    next: Option<String>,
}

#[derive(Deserialize)]
struct Item {
    id: String,
}

impl RefAdapter {
    async fn get(&self, url: &str) -> Result<Page, SourceError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let resp = self
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| SourceError::new(ErrorKind::Unavailable, "list").with_source(e))?;
            let status = resp.status().as_u16();
            if (status == 429 || status >= 500) && attempt < 3 {
                let wait = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<f64>().ok())
                    .filter(|_| self.flaw != Flaw::IgnoresRetryAfter)
                    .map_or(Duration::from_millis(10), Duration::from_secs_f64);
                tokio::time::sleep(wait).await;
                continue;
            }
            let kind = match status {
                200 => None,
                401 => Some(ErrorKind::Auth),
                429 => Some(ErrorKind::RateLimited),
                _ => Some(ErrorKind::Unavailable),
            };
            if let Some(kind) = kind {
                return Err(SourceError::new(kind, "list").with_message(format!("HTTP {status}")));
            }
            let body = resp
                .bytes()
                .await
                .map_err(|e| SourceError::new(ErrorKind::Protocol, "list").with_source(e))?;
            return serde_json::from_slice(&body)
                .map_err(|e| SourceError::new(ErrorKind::Protocol, "list").with_source(e));
        }
    }
}

#[async_trait]
impl SourceAdapter for RefAdapter {
    fn source_id(&self) -> &SourceId {
        &self.id
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::new([ObjectKind::User])
    }
    async fn check(&self) -> Result<(), SourceError> {
        let status = self
            .http
            .get(format!("{}/me", self.base))
            .send()
            .await
            .map_err(|e| SourceError::new(ErrorKind::Unavailable, "check").with_source(e))?
            .status();
        match status.as_u16() {
            _ if self.flaw == Flaw::FailureIsHealthy => Ok(()),
            200 => Ok(()),
            401 => Err(SourceError::new(ErrorKind::Auth, "check")),
            _ => Err(SourceError::new(ErrorKind::Unavailable, "check")),
        }
    }
    fn list(&self, _: ListRequest) -> BoxStream<'static, Result<SourceRecord, SourceError>> {
        let me = RefAdapter {
            id: self.id.clone(),
            base: self.base.clone(),
            http: self.http.clone(),
            flaw: self.flaw,
        };
        let start = Some(format!("{}/items?page=1", self.base));
        stream::unfold((me, start, false), |(me, next, failed)| async move {
            let url = next?;
            if failed && me.flaw != Flaw::KeepsGoingAfterError {
                return None;
            }
            match me.get(&url).await {
                Ok(page) => {
                    let next = page
                        .next
                        .filter(|_| me.flaw != Flaw::StopsAtFirstPage)
                        .map(|n| format!("{}{n}", me.base));
                    let records: Vec<_> = page
                        .items
                        .into_iter()
                        .map(|i| Ok(SourceRecord::new(ObjectKind::User, i.id)))
                        .collect();
                    Some((stream::iter(records), (me, next, false)))
                }
                Err(e) => {
                    // A flawed adapter skips the failed page and goes on.
                    let page: u32 = url
                        .rsplit('=')
                        .next()
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(1);
                    let next =
                        Some(format!("{}/items?page={}", me.base, page + 1)).filter(|_| page < 3);
                    Some((stream::iter(vec![Err(e)]), (me, next, true)))
                }
            }
        })
        .flatten()
        .boxed()
    }
}

struct RefHarness(Flaw);

#[async_trait]
impl Harness for RefHarness {
    async fn adapter(&self, server: &MockServer) -> Arc<dyn SourceAdapter> {
        Arc::new(RefAdapter {
            id: SourceId::new("ref:test"),
            base: server.uri(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap(),
            flaw: self.0,
        })
    }

    async fn mount_listing(
        &self,
        server: &MockServer,
        records: usize,
        pages: usize,
        fault: Option<Fault>,
    ) {
        let per_page = records.div_ceil(pages);
        for p in 1..=pages {
            let items: Vec<_> = (((p - 1) * per_page)..(p * per_page).min(records))
                .map(|i| serde_json::json!({ "id": format!("user{i}@example.com") }))
                .collect();
            let next = (p < pages).then(|| format!("/items?page={}", p + 1));
            let body = serde_json::json!({ "items": items, "next": next });
            let matcher = || {
                Mock::given(method("GET"))
                    .and(path("/items"))
                    .and(query_param("page", p.to_string()))
            };
            let page = ResponseTemplate::new(200).set_body_json(body);
            conformance::mount_page(server, matcher, p, page, fault.as_ref()).await;
        }
    }

    async fn mount_check(&self, server: &MockServer, response: ResponseTemplate) {
        Mock::given(method("GET"))
            .and(path("/me"))
            .respond_with(response)
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn a_correct_adapter_passes_every_check() {
    conformance::run_all(&RefHarness(Flaw::None)).await.unwrap();
}

#[tokio::test]
async fn each_flaw_is_caught_by_its_check() {
    let e = conformance::rate_limit_is_retried(&RefHarness(Flaw::IgnoresRetryAfter))
        .await
        .unwrap_err();
    assert!(e.0.contains("Retry-After: 1 was not honoured"), "{e}");
    let e = conformance::paging_is_complete(&RefHarness(Flaw::StopsAtFirstPage))
        .await
        .unwrap_err();
    assert!(e.0.contains("expected 25 distinct records"), "{e}");
    let e = conformance::failing_page_fails_the_snapshot(&RefHarness(Flaw::KeepsGoingAfterError))
        .await
        .unwrap_err();
    assert!(e.0.contains("went on after its error"), "{e}");
    let e = conformance::check_reports_auth_failures(&RefHarness(Flaw::FailureIsHealthy))
        .await
        .unwrap_err();
    assert!(e.0.contains("a 401 was reported as healthy"), "{e}");
}

#[tokio::test]
async fn helpers_script_sequences_and_name_unmocked_routes() {
    let server = MockServer::start().await;
    mock::mount_sequence(
        &server,
        "GET",
        "/seq",
        vec![
            mock::too_many_requests("0.5"),
            ResponseTemplate::new(200).set_body_string("ok"),
        ],
    )
    .await;
    mock::mount_catch_all(&server).await;
    let http = reqwest::Client::new();
    let first = http
        .get(format!("{}/seq", server.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 429);
    assert_eq!(first.headers()["retry-after"], "0.5");
    let second = http
        .get(format!("{}/seq", server.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(second.text().await.unwrap(), "ok");
    let third = http
        .get(format!("{}/seq?x=1", server.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(third.status(), 500);
    assert_eq!(third.text().await.unwrap(), "no mock for GET /seq?x=1");

    let slow = mock::slow(ResponseTemplate::new(200), Duration::from_millis(300));
    Mock::given(method("GET"))
        .and(path("/slow"))
        .respond_with(slow)
        .with_priority(1)
        .mount(&server)
        .await;
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let err = quick
        .get(format!("{}/slow", server.uri()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
}
