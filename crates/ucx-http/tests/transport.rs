//! The transport against wiremock: retries and Retry-After, timeouts, token renewal, body cap,
//! redaction, paging helpers and the per-host limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use futures::StreamExt;
use secrecy::SecretString;
use ucx_http::header::{HeaderMap, HeaderValue, LINK};
use ucx_http::{
    Call, ClientOptions, ErrorDecoder, FetchedToken, HttpClient, HttpError, PlainErrors,
    RemoteError, RetryPolicy, StaticToken, StatusCode, TokenCache, TokenSource, Url, paging,
};
use ucx_sync_core::ErrorKind;
use ucx_testkit::mock;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

mod common;
use common::{Counting, client, serve_seq, url};

#[tokio::test]
async fn retry_after_in_whole_fractional_and_date_forms_is_honoured() {
    let cases: [(fn() -> String, Duration); 3] = [
        (|| "1".to_owned(), Duration::from_millis(950)),
        (|| "0.6".to_owned(), Duration::from_millis(550)),
        // HTTP dates have whole seconds: 3 s ahead is at least 2 s away.
        (
            || httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(3)),
            Duration::from_millis(1500),
        ),
    ];
    for (make, at_least) in cases {
        let value = make();
        let server = MockServer::start().await;
        let count = serve_seq(
            &server,
            "/x",
            vec![
                mock::too_many_requests(&value),
                ResponseTemplate::new(200).set_body_string("ok"),
            ],
        )
        .await;
        let started = Instant::now();
        let resp = client().send(Call::get(url(&server, "/x"))).await.unwrap();
        assert_eq!(&resp.body[..], b"ok");
        assert_eq!(count.load(Ordering::SeqCst), 2);
        assert!(
            started.elapsed() >= at_least,
            "Retry-After {value} waited only {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn malformed_retry_after_falls_back_to_backoff() {
    let server = MockServer::start().await;
    let count = serve_seq(
        &server,
        "/x",
        vec![
            mock::too_many_requests("rand(30),add(30)"),
            ResponseTemplate::new(200),
        ],
    )
    .await;
    let started = Instant::now();
    client().send(Call::get(url(&server, "/x"))).await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 2);
    // The fast test policy backs off 10–100 ms; a misread header would have waited far longer.
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn retry_after_parsing() {
    let now = SystemTime::now();
    assert_eq!(
        ucx_http::parse_retry_after("120", now),
        Some(Duration::from_secs(120))
    );
    assert_eq!(
        ucx_http::parse_retry_after(" 2.5 ", now),
        Some(Duration::from_millis(2500))
    );
    assert_eq!(ucx_http::parse_retry_after("-1", now), None);
    assert_eq!(ucx_http::parse_retry_after("", now), None);
    assert_eq!(ucx_http::parse_retry_after("soon", now), None);
    let past = httpdate::fmt_http_date(now - Duration::from_secs(60));
    assert_eq!(
        ucx_http::parse_retry_after(&past, now),
        Some(Duration::ZERO)
    );
}

#[tokio::test]
async fn server_errors_are_retried_until_the_attempts_run_out() {
    let server = MockServer::start().await;
    let count = serve_seq(
        &server,
        "/x",
        vec![ResponseTemplate::new(503).set_body_string("down for maintenance")],
    )
    .await;
    let err = client()
        .send(Call::get(url(&server, "/x")))
        .await
        .unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 4, "fast policy: 4 attempts");
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(err.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
    assert!(err.to_string().contains("down for maintenance"), "{err}");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let server = MockServer::start().await;
    let count = serve_seq(&server, "/x", vec![ResponseTemplate::new(404)]).await;
    let err = client()
        .send(Call::get(url(&server, "/x")))
        .await
        .unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_fails_with_the_wait_attached() {
    let server = MockServer::start().await;
    let count = serve_seq(&server, "/x", vec![mock::too_many_requests("3600")]).await;
    let err = client()
        .send(Call::get(url(&server, "/x")))
        .await
        .unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let source = err.into_source_error("list");
    assert_eq!(source.kind(), ErrorKind::RateLimited);
    assert_eq!(source.retry_after(), Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn fail_fast_statuses_come_back_at_once() {
    let server = MockServer::start().await;
    let count = serve_seq(&server, "/x", vec![ResponseTemplate::new(504)]).await;
    let call = Call::get(url(&server, "/x")).fail_fast_on(StatusCode::GATEWAY_TIMEOUT);
    let err = client().send(call).await.unwrap_err();
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(err.kind(), ErrorKind::Timeout);
}

#[tokio::test]
async fn timeouts_are_retried_for_reads_only() {
    let server = MockServer::start().await;
    let slow = mock::slow(ResponseTemplate::new(200), Duration::from_millis(800));
    let count = serve_seq(
        &server,
        "/x",
        vec![slow.clone(), ResponseTemplate::new(200)],
    )
    .await;
    let options = ClientOptions::for_tests().with_timeout(Duration::from_millis(300));
    let c = HttpClient::new(options.clone(), Arc::new(PlainErrors)).unwrap();
    c.send(Call::get(url(&server, "/x"))).await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 2, "the GET was sent again");

    let server = MockServer::start().await;
    let count = serve_seq(&server, "/y", vec![slow, ResponseTemplate::new(200)]).await;
    let err = c
        .send(Call::post(url(&server, "/y"), "text/plain", "x"))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Timeout { .. }), "{err:?}");
    assert_eq!(err.kind(), ErrorKind::Timeout);
    assert_eq!(count.load(Ordering::SeqCst), 1, "a POST is not repeated");
}

#[tokio::test]
async fn a_refused_connection_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client()
        .send(Call::get(Url::parse(&format!("http://{addr}/x")).unwrap()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert!(matches!(err, HttpError::Connect { .. }));
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_replays() {
    let server = MockServer::start().await;
    Mock::given(path("/x"))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(path("/x"))
        .and(header("authorization", "Bearer token-2"))
        .respond_with(ResponseTemplate::new(200).set_body_string("fresh"))
        .mount(&server)
        .await;
    let source = Arc::new(Counting(AtomicUsize::new(0)));
    let cache = Arc::new(TokenCache::new(source.clone()));
    let c = client().with_auth(cache);
    let resp = c.send(Call::get(url(&server, "/x"))).await.unwrap();
    assert_eq!(&resp.body[..], b"fresh");
    // The renewed token is kept.
    c.send(Call::get(url(&server, "/x"))).await.unwrap();
    assert_eq!(source.0.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_second_401_is_an_auth_error() {
    let server = MockServer::start().await;
    let count = serve_seq(&server, "/x", vec![ResponseTemplate::new(401)]).await;
    let source = Arc::new(Counting(AtomicUsize::new(0)));
    let c = client().with_auth(Arc::new(TokenCache::new(source.clone())));
    let err = c.send(Call::get(url(&server, "/x"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert_eq!(source.0.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_static_token_is_not_replayed() {
    let server = MockServer::start().await;
    let count = serve_seq(&server, "/x", vec![ResponseTemplate::new(401)]).await;
    let source = Arc::new(StaticToken::new(SecretString::from("pat")));
    let c = client().with_auth(Arc::new(TokenCache::new(source)));
    let err = c.send(Call::get(url(&server, "/x"))).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[derive(Debug)]
struct ShortLived(AtomicUsize);

#[async_trait]
impl TokenSource for ShortLived {
    async fn fetch(&self) -> Result<FetchedToken, HttpError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(FetchedToken {
            token: SecretString::from("short"),
            expires_in: Some(Duration::from_millis(400)),
        })
    }
}

#[tokio::test]
async fn tokens_are_renewed_before_they_expire() {
    let source = Arc::new(ShortLived(AtomicUsize::new(0)));
    let cache = TokenCache::new(source.clone());
    cache.current().await.unwrap();
    cache.current().await.unwrap();
    assert_eq!(source.0.load(Ordering::SeqCst), 1, "reused while fresh");
    // Renewal is due at half the 400 ms life.
    tokio::time::sleep(Duration::from_millis(250)).await;
    cache.current().await.unwrap();
    assert_eq!(source.0.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn bodies_over_the_cap_are_refused() {
    let server = MockServer::start().await;
    serve_seq(
        &server,
        "/big",
        vec![ResponseTemplate::new(200).set_body_string("x".repeat(10_000))],
    )
    .await;
    let options = {
        let mut v = ClientOptions::for_tests();
        v.max_body_bytes = 1000;
        v
    };
    let c = HttpClient::new(options, Arc::new(PlainErrors)).unwrap();
    let err = c.send(Call::get(url(&server, "/big"))).await.unwrap_err();
    assert!(
        matches!(err, HttpError::BodyTooLarge { limit: 1000, .. }),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn malformed_json_names_the_position() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(mock::truncated_json())
        .mount(&server)
        .await;
    let err = client()
        .get_json::<serde_json::Value>(url(&server, "/x"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("line 1 column"), "{err}");
}

#[tokio::test]
async fn secrets_in_urls_and_tokens_stay_out_of_errors_and_debug() {
    let server = MockServer::start().await;
    serve_seq(&server, "/x", vec![ResponseTemplate::new(400)]).await;
    let source = Arc::new(StaticToken::new(SecretString::from("s3cr3t-token")));
    let cache = Arc::new(TokenCache::new(source));
    let c = client().with_auth(cache);
    let u = url(&server, "/x?access_token=s3cr3t-query&max=5");
    let err = c.send(Call::get(u)).await.unwrap_err();
    let text = format!("{err} {err:?} {c:?}");
    assert!(!text.contains("s3cr3t"), "{text}");
    assert!(text.contains("access_token=REDACTED"), "{text}");
}

#[derive(Debug)]
struct JsonErrors;

impl ErrorDecoder for JsonErrors {
    fn decode(&self, _: StatusCode, headers: &HeaderMap, body: &[u8]) -> RemoteError {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
        RemoteError {
            message: v["message"].as_str().map(str::to_owned),
            code: None,
            tracking_id: headers
                .get("trackingid")
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned),
        }
    }
}

#[tokio::test]
async fn errors_carry_the_remote_message_and_tracking_id() {
    let server = MockServer::start().await;
    serve_seq(
        &server,
        "/x",
        vec![
            ResponseTemplate::new(403)
                .insert_header("TrackingID", "ROUTER_1")
                .set_body_string(r#"{"message":"Missing scope"}"#),
        ],
    )
    .await;
    let c = HttpClient::new(ClientOptions::for_tests(), Arc::new(JsonErrors)).unwrap();
    let err = c.send(Call::get(url(&server, "/x"))).await.unwrap_err();
    let source = err.into_source_error("list people");
    assert_eq!(source.kind(), ErrorKind::Forbidden);
    assert_eq!(source.message(), Some("Missing scope"));
    assert_eq!(source.tracking_id(), Some("ROUTER_1"));
}

#[test]
fn link_headers_in_every_observed_form() {
    let cases = [
        (
            r#"<https://a/p?after=X>; rel="next""#,
            Some("https://a/p?after=X"),
        ),
        (
            r#"<https://a/p?start=2>;rel="next""#,
            Some("https://a/p?start=2"),
        ),
        ("<https://a/p?n=1>; rel=next", Some("https://a/p?n=1")),
        (
            r#"<https://a/first>; rel="first", <https://a/next>; rel="next""#,
            Some("https://a/next"),
        ),
        (r#"<https://a/p>; rel="prev""#, None),
        (r#"<https://a/p>; REL="Next Last""#, Some("https://a/p")),
        ("garbage", None),
    ];
    for (value, want) in cases {
        let mut h = HeaderMap::new();
        h.insert(LINK, HeaderValue::from_str(value).unwrap());
        assert_eq!(paging::next_link(&h).as_deref(), want, "{value}");
    }
    let mut h = HeaderMap::new();
    h.append(
        LINK,
        HeaderValue::from_static(r#"<https://a/prev>; rel="prev""#),
    );
    h.append(
        LINK,
        HeaderValue::from_static(r#"<https://a/n>; rel="next""#),
    );
    assert_eq!(paging::next_link(&h).as_deref(), Some("https://a/n"));
}

#[test]
fn offset_paging_ends_on_an_empty_page_or_the_total() {
    let o = paging::Offset::new(0, 100);
    let o = o.advance(100, None).unwrap();
    assert_eq!(o.start, 100);
    // A short page is not the end (servers clamp silently).
    let o = o.advance(50, None).unwrap();
    assert_eq!(o.start, 150);
    assert_eq!(o.advance(0, None), None);
    assert_eq!(paging::Offset::new(1, 3).advance(3, Some(3)), None);
}

#[tokio::test]
async fn a_page_stream_ends_with_its_first_error() {
    let stream = paging::pages(0u32, |n| async move {
        if n == 2 {
            Err(HttpError::Config {
                key: "k".into(),
                message: "page 2 failed".into(),
            })
        } else {
            Ok((n, Some(n + 1)))
        }
    });
    let items: Vec<_> = stream.collect().await;
    assert_eq!(items.len(), 3);
    assert!(items[2].is_err());
}

#[tokio::test]
async fn requests_to_one_host_are_limited() {
    let server = MockServer::start().await;
    Mock::given(path("/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(200)))
        .mount(&server)
        .await;
    let options = {
        let mut v = ClientOptions::for_tests();
        v.max_concurrency_per_host = 2;
        v
    };
    let c = HttpClient::new(options, Arc::new(PlainErrors)).unwrap();
    let started = Instant::now();
    let calls = (0..4).map(|_| c.send(Call::get(url(&server, "/slow"))));
    for r in futures::future::join_all(calls).await {
        r.unwrap();
    }
    // Four 200 ms answers two at a time take two rounds.
    assert!(
        started.elapsed() >= Duration::from_millis(390),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn settings_errors_name_the_key() {
    let options = {
        let mut v = ClientOptions::default();
        v.extra_ca_pem = vec![b"not a certificate".to_vec()];
        v
    };
    let err = HttpClient::new(options, Arc::new(PlainErrors)).unwrap_err();
    assert!(err.to_string().contains("`extra_ca_files`"), "{err}");
    let options = {
        let mut v = ClientOptions::default();
        v.proxy = Some("::not a url::".into());
        v
    };
    let err = HttpClient::new(options, Arc::new(PlainErrors)).unwrap_err();
    assert!(err.to_string().contains("`proxy`"), "{err}");
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[test]
fn no_retries_policy_sends_once() {
    assert_eq!(RetryPolicy::none().max_attempts, 1);
}

#[tokio::test]
async fn an_explicit_proxy_carries_the_requests() {
    let proxy = MockServer::start().await;
    Mock::given(path("/v1/people"))
        .respond_with(ResponseTemplate::new(200).set_body_string("via proxy"))
        .expect(1)
        .mount(&proxy)
        .await;
    let options = {
        let mut v = ClientOptions::for_tests();
        v.proxy = Some(proxy.uri());
        v
    };
    let c = HttpClient::new(options, Arc::new(PlainErrors)).unwrap();
    // The host does not resolve: only the proxy can answer.
    let resp = c
        .send(Call::get(
            Url::parse("http://webex.invalid/v1/people").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(&resp.body[..], b"via proxy");
}

#[tokio::test]
async fn an_answer_that_does_not_parse_is_asked_again() {
    let server = MockServer::start().await;
    let count = serve_seq(
        &server,
        "/x",
        vec![
            mock::truncated_json(),
            ResponseTemplate::new(200).set_body_string(r#"{"ok": true}"#),
        ],
    )
    .await;
    let (value, _) = client()
        .get_json::<serde_json::Value>(url(&server, "/x"))
        .await
        .unwrap();
    assert_eq!(value["ok"], true);
    assert_eq!(count.load(Ordering::SeqCst), 2);
    // Not for a POST that is not marked idempotent.
    let server = MockServer::start().await;
    let count = serve_seq(&server, "/y", vec![mock::truncated_json()]).await;
    let err = client()
        .send_parsed(Call::post(url(&server, "/y"), "text/plain", "x"), |r| {
            r.json::<serde_json::Value>()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

/// A server that cuts the first connection in the middle of the body (headers promise 100
/// bytes, 5 arrive, then the socket closes) and answers the next ones whole.
async fn cutting_server(connections: Arc<AtomicUsize>) -> Url {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let n = connections.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = vec![0u8; 4096];
                let _ = socket.read(&mut request).await;
                let answer: &[u8] = if n == 0 {
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"a\":"
                } else {
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 7\r\nconnection: close\r\n\r\n{\"a\":1}"
                };
                let _ = socket.write_all(answer).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Url::parse(&format!("http://{addr}/x")).unwrap()
}

#[tokio::test]
async fn a_connection_reset_mid_body_is_retried() {
    let connections = Arc::new(AtomicUsize::new(0));
    let u = cutting_server(connections.clone()).await;
    let (value, _): (serde_json::Value, _) = client().get_json(u).await.unwrap();
    assert_eq!(value, serde_json::json!({"a": 1}));
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

/// Answers 429 with `Retry-After: 1` to the first request, 200 to every later one, and
/// records when each arrived.
struct SlowDown(Arc<std::sync::Mutex<Vec<Instant>>>);

impl Respond for SlowDown {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut seen = self.0.lock().unwrap();
        seen.push(Instant::now());
        if seen.len() == 1 {
            ResponseTemplate::new(429).insert_header("Retry-After", "1")
        } else {
            ResponseTemplate::new(200).set_body_string("{}")
        }
    }
}

#[tokio::test]
async fn a_retry_after_given_to_one_call_slows_every_call_to_the_host_down() {
    let server = MockServer::start().await;
    let arrivals = Arc::new(std::sync::Mutex::new(Vec::new()));
    Mock::given(method("GET"))
        .respond_with(SlowDown(arrivals.clone()))
        .mount(&server)
        .await;
    let mut options = ClientOptions::for_tests();
    options.retry.max_retry_after = Duration::from_secs(5);
    let http = HttpClient::new(options, Arc::new(PlainErrors)).unwrap();
    let started = Instant::now();
    let first = http.send(Call::get(url(&server, "/a")));
    // A second worker asks a moment after the first was told to wait.
    let second = async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        http.send(Call::get(url(&server, "/b"))).await
    };
    let (a, b) = tokio::join!(first, second);
    a.unwrap();
    b.unwrap();
    let seen = arrivals.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "the 429, the retry, the second call");
    // Neither the retry nor the second worker's call reached the server before the second
    // the server asked for was over.
    for t in &seen[1..] {
        assert!(
            t.duration_since(started) >= Duration::from_millis(950),
            "a call arrived {:?} after the start",
            t.duration_since(started)
        );
    }
}

/// A `reqwest::Client` the embedding service built (here with a header of its own, as a
/// tracing or tenancy layer would add) is the one that sends, while the retry policy of the
/// options still applies to it.
#[tokio::test]
async fn a_client_of_the_services_own_sends_and_is_still_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/own"))
        .and(header("x-service", "billing"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/own"))
        .and(header("x-service", "billing"))
        .respond_with(ResponseTemplate::new(200).set_body_string("mine"))
        .expect(1)
        .mount(&server)
        .await;
    mock::mount_catch_all(&server).await;
    let mut headers = HeaderMap::new();
    headers.insert("x-service", HeaderValue::from_static("billing"));
    let mine = ucx_http::reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let options = ClientOptions::for_tests().with_client(mine);
    let c = HttpClient::new(options, Arc::new(PlainErrors)).unwrap();
    let got = c.send(Call::get(url(&server, "/own"))).await.unwrap();
    assert_eq!(&got.body[..], b"mine");
    // The built-in client does not send the header: the catch-all answers it.
    let built = client().send(Call::get(url(&server, "/own"))).await;
    assert!(built.is_err(), "{built:?}");
}

/// The process-wide counters a metrics endpoint reads grow by the retries made and the
/// waits a server asked for (other tests of this binary add to them too, so only growth by at
/// least this test's own is checked).
#[tokio::test]
async fn retries_and_server_asked_waits_are_counted_for_metrics() {
    let server = MockServer::start().await;
    serve_seq(
        &server,
        "/counted",
        vec![
            mock::too_many_requests("0.2"),
            ResponseTemplate::new(500),
            ResponseTemplate::new(200).set_body_string("ok"),
        ],
    )
    .await;
    let before = ucx_http::transport_stats();
    client()
        .send(Call::get(url(&server, "/counted")))
        .await
        .unwrap();
    let after = ucx_http::transport_stats();
    assert!(
        after.retries >= before.retries + 2,
        "{before:?} → {after:?}"
    );
    assert!(after.throttled > before.throttled, "{before:?} → {after:?}");
    assert!(
        after.throttled_wait >= before.throttled_wait + Duration::from_millis(150),
        "{before:?} → {after:?}"
    );
}
