//! What the transport logs: retries and token renewals, with no secret in them. A test binary
//! of its own: tracing caches whether a log line is wanted process-wide, and a test in a
//! parallel thread that drops its own subscriber rebuilds that cache, which could turn this
//! test's lines off under it (one CI run lost the "retrying" line this way).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use ucx_http::{Call, TokenCache};
use ucx_testkit::mock;
use wiremock::{MockServer, ResponseTemplate};

mod common;
use common::{Counting, client, serve_seq, url};

/// Collects what the tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn retries_are_logged_without_secrets() {
    let logs = Captured::default();
    let sink = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || sink.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let server = MockServer::start().await;
    serve_seq(
        &server,
        "/x",
        vec![
            mock::too_many_requests("0.1"),
            ResponseTemplate::new(401),
            ResponseTemplate::new(200),
        ],
    )
    .await;
    let source = Arc::new(Counting(AtomicUsize::new(0)));
    let c = client().with_auth(Arc::new(TokenCache::new(source)));
    c.send(Call::get(url(&server, "/x?client_secret=hunter2&max=1")))
        .await
        .unwrap();
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("retrying"), "{text}");
    assert!(text.contains("renewing"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        !text.contains("token-1") && !text.contains("token-2"),
        "{text}"
    );
}
