//! Checks every HTTP connector runs against a mock server of its own API.
//!
//! A connector implements [`Harness`] (how to build its adapter against a server, how its API pages
//! a listing, which endpoint `check` calls) and calls [`run_all`] from its tests. Each check is also
//! public, to run alone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use ucx_sync_core::{ErrorKind, ListRequest, SourceAdapter, SourceAdapterExt};
use wiremock::{MockBuilder, MockServer, ResponseTemplate};

/// A response to give instead of one page of a listing.
#[derive(Debug, Clone)]
pub struct Fault {
    /// The page (1-based) to answer with `response`.
    pub page: usize,
    /// The response.
    pub response: ResponseTemplate,
    /// How many times, before the real page is served (`None`: always).
    pub times: Option<u64>,
}

/// What a connector provides to run the conformance checks.
#[async_trait]
pub trait Harness: Send + Sync {
    /// An adapter pointed at `server`, with credentials the mocks accept and retry waits short
    /// enough for tests (the checks allow 20 s each).
    async fn adapter(&self, server: &MockServer) -> Arc<dyn SourceAdapter>;

    /// Mounts a listing of `records` records split over `pages` pages in the API's real paging
    /// shape, with `fault` in place of one page.
    async fn mount_listing(
        &self,
        server: &MockServer,
        records: usize,
        pages: usize,
        fault: Option<Fault>,
    );

    /// Mounts the endpoint `check` calls, answering `response`.
    async fn mount_check(&self, server: &MockServer, response: ResponseTemplate);

    /// What a healthy source answers to `check` (an empty JSON object unless the API speaks
    /// something else, such as SOAP).
    fn healthy_check(&self) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_string("{}")
    }
}

/// Mounts page `page` of a listing: requests matching `matcher()` get `response`, except that
/// `fault`, when it is for this page, answers first (`times` times, or always). Harnesses call
/// it for each page from [`Harness::mount_listing`].
pub async fn mount_page(
    server: &MockServer,
    matcher: impl Fn() -> MockBuilder,
    page: usize,
    response: ResponseTemplate,
    fault: Option<&Fault>,
) {
    if let Some(f) = fault.filter(|f| f.page == page) {
        let faulty = matcher().respond_with(f.response.clone()).with_priority(1);
        match f.times {
            Some(n) => faulty.up_to_n_times(n).mount(server).await,
            None => faulty.mount(server).await,
        }
    }
    matcher()
        .respond_with(response)
        .with_priority(2)
        .mount(server)
        .await;
}

/// A failed check: which, and what happened.
#[derive(Debug)]
pub struct CheckFailure(pub String);

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CheckFailure {}

type Outcome = Result<(), CheckFailure>;

fn fail<T>(msg: impl Into<String>) -> Result<T, CheckFailure> {
    Err(CheckFailure(msg.into()))
}

async fn fresh(
    h: &dyn Harness,
    records: usize,
    pages: usize,
    fault: Option<Fault>,
) -> (MockServer, Arc<dyn SourceAdapter>) {
    let server = MockServer::start().await;
    h.mount_listing(&server, records, pages, fault).await;
    crate::mock::mount_catch_all(&server).await;
    let adapter = h.adapter(&server).await;
    (server, adapter)
}

/// Every page is read: 25 records over 3 pages give 25 distinct records.
pub async fn paging_is_complete(h: &dyn Harness) -> Outcome {
    let (_server, adapter) = fresh(h, 25, 3, None).await;
    let snap = match adapter.snapshot(ListRequest::all()).await {
        Ok(s) => s,
        Err(e) => return fail(format!("paging_is_complete: snapshot failed: {e}")),
    };
    let mut keys: Vec<_> = snap.records.iter().map(|r| r.key.clone()).collect();
    keys.sort();
    keys.dedup();
    if snap.records.len() != 25 || keys.len() != 25 || !snap.complete {
        return fail(format!(
            "paging_is_complete: expected 25 distinct records in a complete snapshot, got {} ({} distinct)",
            snap.records.len(),
            keys.len()
        ));
    }
    Ok(())
}

/// A page that keeps failing fails the snapshot (no partial snapshot), and the stream ends after
/// its error.
pub async fn failing_page_fails_the_snapshot(h: &dyn Harness) -> Outcome {
    let fault = Fault {
        page: 2,
        response: ResponseTemplate::new(500).set_body_string("{\"message\":\"internal error\"}"),
        times: None,
    };
    let (_server, adapter) = fresh(h, 25, 3, Some(fault.clone())).await;
    match adapter.snapshot(ListRequest::all()).await {
        Ok(s) => {
            return fail(format!(
                "failing_page: a snapshot of {} records was made despite page 2 failing",
                s.records.len()
            ));
        }
        Err(e) if e.kind() != ErrorKind::Unavailable => {
            return fail(format!(
                "failing_page: expected Unavailable, got {:?}: {e}",
                e.kind()
            ));
        }
        Err(_) => {}
    }
    let (_server, adapter) = fresh(h, 25, 3, Some(fault)).await;
    let items: Vec<_> = adapter.list(ListRequest::all()).collect().await;
    let first_err = items.iter().position(Result::is_err);
    match first_err {
        Some(i) if i + 1 == items.len() => Ok(()),
        Some(i) => fail(format!(
            "failing_page: the stream went on after its error at item {i}"
        )),
        None => fail("failing_page: the stream had no error"),
    }
}

/// A 429 with `Retry-After: 1` is retried after about a second and the listing completes.
pub async fn rate_limit_is_retried(h: &dyn Harness) -> Outcome {
    let fault = Fault {
        page: 2,
        response: crate::mock::too_many_requests("1"),
        times: Some(1),
    };
    let (_server, adapter) = fresh(h, 25, 3, Some(fault)).await;
    let started = Instant::now();
    let snap = adapter.snapshot(ListRequest::all()).await;
    let waited = started.elapsed();
    match snap {
        Ok(s) if s.records.len() == 25 => {}
        Ok(s) => {
            return fail(format!(
                "rate_limit: {} records after the retry, expected 25",
                s.records.len()
            ));
        }
        Err(e) => return fail(format!("rate_limit: the 429 was not retried: {e}")),
    }
    if waited < Duration::from_millis(900) {
        return fail(format!(
            "rate_limit: Retry-After: 1 was not honoured (retried after {waited:?})"
        ));
    }
    Ok(())
}

/// A page whose body cannot be parsed is a Protocol error.
pub async fn malformed_body_is_a_protocol_error(h: &dyn Harness) -> Outcome {
    let fault = Fault {
        page: 2,
        response: crate::mock::truncated_json(),
        times: None,
    };
    let (_server, adapter) = fresh(h, 25, 3, Some(fault)).await;
    match adapter.snapshot(ListRequest::all()).await {
        Err(e) if e.kind() == ErrorKind::Protocol => Ok(()),
        Err(e) => fail(format!(
            "malformed_body: expected Protocol, got {:?}: {e}",
            e.kind()
        )),
        Ok(_) => fail("malformed_body: a truncated page was accepted"),
    }
}

/// `check` reports refused credentials as Auth, and succeeds when they are accepted.
pub async fn check_reports_auth_failures(h: &dyn Harness) -> Outcome {
    let server = MockServer::start().await;
    h.mount_check(
        &server,
        ResponseTemplate::new(401)
            .set_body_string("{\"message\":\"The request requires a valid access token\"}"),
    )
    .await;
    crate::mock::mount_catch_all(&server).await;
    let adapter = h.adapter(&server).await;
    match adapter.check().await {
        Err(e) if e.kind() == ErrorKind::Auth => {}
        Err(e) => {
            return fail(format!(
                "check: expected Auth for a 401, got {:?}: {e}",
                e.kind()
            ));
        }
        Ok(()) => return fail("check: a 401 was reported as healthy"),
    }
    let server = MockServer::start().await;
    h.mount_check(&server, h.healthy_check()).await;
    let adapter = h.adapter(&server).await;
    adapter
        .check()
        .await
        .map_err(|e| CheckFailure(format!("check: a healthy source failed: {e}")))
}

/// Runs every check and reports all failures together.
pub async fn run_all(h: &dyn Harness) -> Outcome {
    let results = [
        paging_is_complete(h).await,
        failing_page_fails_the_snapshot(h).await,
        rate_limit_is_retried(h).await,
        malformed_body_is_a_protocol_error(h).await,
        check_reports_auth_failures(h).await,
    ];
    let failures: Vec<String> = results
        .into_iter()
        .filter_map(Result::err)
        .map(|e| e.0)
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        fail(failures.join("\n"))
    }
}
