//! The Webex users source against a mock Webex serving the fixtures: paging quirks, throttling,
//! token renewal, failures, organisations, push-down and the STATUS messages.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use futures::StreamExt;
use support::*;
use ucx_http::secrecy::SecretString;
use ucx_sync_core::{
    ErrorKind, ListRequest, Snapshot, SourceAdapter, SourceAdapterExt, SourceError,
};
use ucx_testkit::{attr, by_key, mock};
use ucx_webex::{WebexCredentials, WebexStatus, WebexUsers};
use wiremock::matchers::{
    body_string_contains, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

async fn users_snapshot(server: &MockServer) -> Result<Snapshot, SourceError> {
    WebexUsers::new(config(server))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
}

/// People page 1, linking to `link`.
async fn mount_first_page(server: &MockServer, link: &str) {
    Mock::given(path("/v1/people"))
        .and(query_param_is_missing("after"))
        .respond_with(json("people-page1.json").insert_header("Link", link))
        .mount(server)
        .await;
}

#[tokio::test]
async fn people_are_read_over_all_pages_with_the_attributes_the_rules_use() {
    let server = full_server().await;
    let users = WebexUsers::new(config(&server)).unwrap();
    assert_eq!(users.source_id().as_str(), format!("webex-users:{ORG}"));
    let snap = users.snapshot(ListRequest::all()).await.unwrap();
    assert!(snap.complete);
    let recs = by_key(snap.records);
    assert_eq!(
        recs.keys().collect::<Vec<_>>(),
        [
            "alice.anders@example.com",
            "brian.baker@example.com",
            "carol.chen@example.com",
            "dmitri.diaz@example.com",
            "erin.evans@example.com"
        ]
    );
    let alice = &recs["alice.anders@example.com"];
    assert_eq!(
        alice.stable_id.as_deref(),
        Some("31f63033-77cb-5b42-8673-6d3ebdeac9f0")
    );
    for (name, want) in [
        ("email", "alice.anders@example.com"),
        ("firstName", "Alice"),
        ("lastName", "Anders"),
        ("displayName", "Alice Anders"),
        ("extension", "1001"),
        ("esn", "81011001"),
        ("routingPrefix", "8101"),
        ("phoneNumber", "+13035550101"),
        ("workPhone", "+13035550101"),
        ("department", "Sales"),
        ("title", "Account Executive"),
        ("location.name", "HQ Denver"),
        ("location", "HQ Denver"),
        ("organization.name", "Example Corp"),
        ("orgId", ORG),
        ("locality", "Denver"),
        ("postalCode", "80202"),
        ("country", "US"),
        ("commonIdentityId", "31f63033-77cb-5b42-8673-6d3ebdeac9f0"),
        ("userType", "user"),
    ] {
        assert_eq!(attr(alice, name), Some(want), "alice {name}");
    }
    assert!(
        attr(alice, "nativeUserId")
            .unwrap()
            .starts_with("Y2lzY29zcGFyazovL3VzL1BFT1BMRS8")
    );
    // The test server answers the fixture's avatar URLs itself (nothing leaves loopback).
    assert!(
        attr(alice, "avatarUrl")
            .unwrap()
            .starts_with(&format!("{}/avatars/Avtr~V1~", server.uri()))
    );
    let brian = &recs["brian.baker@example.com"];
    assert_eq!(
        attr(brian, "mobilePhone"),
        Some("+17205550142"),
        "spaces removed"
    );
    assert_eq!(attr(brian, "phoneNumber"), None, "extension only");
    assert_eq!(attr(brian, "esn"), Some("81011002"));
    let carol = &recs["carol.chen@example.com"];
    assert_eq!(attr(carol, "extension"), None);
    assert_eq!(attr(carol, "esn"), None);
    assert_eq!(attr(carol, "location"), None);
    let dmitri = &recs["dmitri.diaz@example.com"];
    assert_eq!(attr(dmitri, "faxNumber"), Some("+15125550199"));
    assert_eq!(attr(dmitri, "esn"), Some("81022001"));
    assert_eq!(attr(dmitri, "location.name"), Some("Branch Austin"));
}

#[tokio::test]
async fn a_next_link_that_drops_parameters_gets_them_back() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    let next = format!(
        "<{}/v1/people?max=100&after=P2>; rel=\"next\"",
        server.uri()
    );
    mount_first_page(&server, next.as_str()).await;
    Mock::given(path("/v1/people"))
        .and(query_param("after", "P2"))
        .and(query_param("callingData", "true"))
        .and(query_param("excludeStatus", "true"))
        .respond_with(json("people-page2.json"))
        .expect(1)
        .mount(&server)
        .await;
    mock::mount_catch_all(&server).await;
    let snap = users_snapshot(&server).await.unwrap();
    assert_eq!(snap.records.len(), 5);
    // Without calling data page 2 would have lacked extensions.
    let recs = by_key(snap.records);
    assert_eq!(
        attr(&recs["erin.evans@example.com"], "extension"),
        Some("2005")
    );
}

#[tokio::test]
async fn an_empty_page_with_a_next_link_does_not_end_the_listing() {
    // Webex answers an empty page with a next link when people are deleted mid-listing: the
    // people after it must still be read, or a complete-looking snapshot deletes them.
    let server = MockServer::start().await;
    mount_directory(&server).await;
    let to = |after: &str| {
        format!(
            "<{}/v1/people?callingData=true&excludeStatus=true&max=100&after={after}>; rel=\"next\"",
            server.uri()
        )
    };
    mount_first_page(&server, to("P2").as_str()).await;
    Mock::given(path("/v1/people"))
        .and(query_param("after", "P2"))
        .respond_with(
            body(serde_json::json!({"items": []})).insert_header("Link", to("P3").as_str()),
        )
        .mount(&server)
        .await;
    Mock::given(path("/v1/people"))
        .and(query_param("after", "P3"))
        .respond_with(json("people-page2.json"))
        .expect(1)
        .mount(&server)
        .await;
    let snap = users_snapshot(&server).await.unwrap();
    assert_eq!(snap.records.len(), 5);
}

#[tokio::test]
async fn a_next_link_cycle_is_an_error_in_bounded_time() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    let to = |after: &str| {
        format!(
            "<{}/v1/people?callingData=true&excludeStatus=true&max=100&after={after}>; rel=\"next\"",
            server.uri()
        )
    };
    mount_first_page(&server, to("P2").as_str()).await;
    // P2 links to P3, P3 back to P2.
    for (page, next) in [("P2", "P3"), ("P3", "P2")] {
        Mock::given(path("/v1/people"))
            .and(query_param("after", page))
            .respond_with(json("people-page2.json").insert_header("Link", to(next).as_str()))
            .expect(1)
            .mount(&server)
            .await;
    }
    let started = Instant::now();
    let err = users_snapshot(&server).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(
        err.to_string().contains("repeats a page already read"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));

    // Endless empty pages, each with a new link: refused after 50 in a row.
    let server = MockServer::start().await;
    mount_directory(&server).await;
    struct Endless(String);
    impl Respond for Endless {
        fn respond(&self, r: &Request) -> ResponseTemplate {
            let n: u64 = r
                .url
                .query_pairs()
                .find(|(k, _)| k == "after")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            body(serde_json::json!({"items": []})).insert_header(
                "Link",
                format!(
                    "<{}/v1/people?max=100&after={}>; rel=\"next\"",
                    self.0,
                    n + 1
                )
                .as_str(),
            )
        }
    }
    Mock::given(path("/v1/people"))
        .respond_with(Endless(server.uri()))
        .mount(&server)
        .await;
    let err = users_snapshot(&server).await.unwrap_err();
    assert!(err.to_string().contains("empty pages in a row"), "{err}");
    assert_eq!(server.received_requests().await.unwrap().len() - 3, 51);
}

/// Serves `first` once, then `then`, counting requests.
struct Once(ResponseTemplate, ResponseTemplate, Arc<AtomicUsize>);

impl Respond for Once {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        if self.2.fetch_add(1, Ordering::SeqCst) == 0 {
            self.0.clone()
        } else {
            self.1.clone()
        }
    }
}

#[tokio::test]
async fn throttled_pages_are_retried_for_every_retry_after_form() {
    type Form = (&'static str, fn() -> String, Duration);
    let forms: [Form; 4] = [
        ("seconds", || "1".into(), Duration::from_millis(950)),
        ("fractional", || "0.7".into(), Duration::from_millis(650)),
        ("http date", || httpdate_in(3), Duration::from_millis(1500)),
        ("malformed", || "rand(30),add(30)".into(), Duration::ZERO),
    ];
    for (label, value, at_least) in forms {
        let server = MockServer::start().await;
        mount_directory(&server).await;
        let count = Arc::new(AtomicUsize::new(0));
        Mock::given(path("/v1/people"))
            .respond_with(Once(
                mock::too_many_requests(&value()).insert_header("TrackingID", "ROUTER_429"),
                json("people-page2.json"),
                count.clone(),
            ))
            .mount(&server)
            .await;
        let started = Instant::now();
        let snap = users_snapshot(&server).await.unwrap();
        assert_eq!(snap.records.len(), 2, "{label}");
        assert_eq!(count.load(Ordering::SeqCst), 2, "{label}");
        assert!(
            started.elapsed() >= at_least,
            "{label}: {:?}",
            started.elapsed()
        );
        if label == "malformed" {
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "fell back to backoff"
            );
        }
    }
}

fn httpdate_in(secs: u64) -> String {
    httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs))
}

#[tokio::test]
async fn a_504_is_asked_again_with_a_smaller_page() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    Mock::given(path("/v1/people"))
        .and(query_param("max", "100"))
        .respond_with(ResponseTemplate::new(504).set_body_string(
            r#"{"message":"Gateway Timeout. If your query uses max parameter, please try to reduce it.","trackingId":"ROUTER_504"}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1/people"))
        .and(query_param("max", "50"))
        .and(query_param("callingData", "true"))
        .respond_with(json("people-page2.json"))
        .expect(1)
        .mount(&server)
        .await;
    mock::mount_catch_all(&server).await;
    let snap = users_snapshot(&server).await.unwrap();
    assert_eq!(snap.records.len(), 2);
}

#[tokio::test]
async fn a_401_refreshes_the_service_app_token_and_replays() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    let tokens = Arc::new(AtomicUsize::new(0));
    let counter = tokens.clone();
    Mock::given(method("POST"))
        .and(path("/v1/access_token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("client_id=C0ffee"))
        .respond_with(move |_: &Request| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            body(serde_json::json!({
                "access_token": format!("access-{n}"),
                "expires_in": 1209599,
                "refresh_token": "rotated",
                "token_type": "Bearer"
            }))
        })
        .mount(&server)
        .await;
    Mock::given(path("/v1/people"))
        .and(header("authorization", "Bearer access-1"))
        .respond_with(
            ResponseTemplate::new(401).set_body_raw(fixture("error-401.json"), "application/json"),
        )
        .mount(&server)
        .await;
    Mock::given(path("/v1/people"))
        .and(header("authorization", "Bearer access-2"))
        .respond_with(json("people-page2.json"))
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.credentials = WebexCredentials::RefreshToken {
        client_id: "C0ffee".into(),
        client_secret: SecretString::from("client-secret-value"),
        refresh_token: SecretString::from("refresh-token-value"),
    };
    let snap = WebexUsers::new(c)
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    assert_eq!(snap.records.len(), 2);
    assert_eq!(tokens.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn server_errors_that_do_not_stop_fail_the_snapshot() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    let next = format!(
        "<{}/v1/people?callingData=true&excludeStatus=true&max=100&after=P2>; rel=\"next\"",
        server.uri()
    );
    mount_first_page(&server, next.as_str()).await;
    Mock::given(path("/v1/people"))
        .and(query_param("after", "P2"))
        .respond_with(
            ResponseTemplate::new(502)
                .insert_header("TrackingID", "ROUTER_502")
                .set_body_string(r#"{"message":"Bad Gateway"}"#),
        )
        // Four attempts (the fast test policy), for the snapshot and again for the listing.
        .expect(8)
        .mount(&server)
        .await;
    let users = WebexUsers::new(config(&server)).unwrap();
    let err = users.snapshot(ListRequest::all()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable);
    assert_eq!(err.tracking_id(), Some("ROUTER_502"));
    assert_eq!(err.message(), Some("Bad Gateway"));
    // The stream gave the first page's records, then the error, then nothing.
    let items: Vec<_> = users.list(ListRequest::all()).collect().await;
    assert_eq!(items.len(), 4);
    assert!(items[3].is_err());
}

#[tokio::test]
async fn malformed_pages_are_protocol_errors() {
    for bad in [
        r#"{"items": [{"id": "x""#,
        r#"{"items": "not a list"}"#,
        "<html>oops</html>",
    ] {
        let server = MockServer::start().await;
        mount_directory(&server).await;
        Mock::given(path("/v1/people"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(bad, "application/json"))
            .mount(&server)
            .await;
        let err = users_snapshot(&server).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{bad}: {err}");
    }
}

#[tokio::test]
async fn odd_but_valid_values_are_accepted() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    Mock::given(path("/v1/people"))
        .respond_with(body(serde_json::json!({
            "items": [
                {
                    "id": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9BQkNERUYwMS0xMjM0LTEyMzQtMTIzNC0xMjM0NTY3ODkwQUI=",
                    "emails": ["Odd.Person@Example.COM"],
                    "phoneNumbers": [{"type": "enterprise", "value": "+1 (303) 555-0177", "primary": "true"},
                                     {"type": "work", "value": "+1 (303) 555-0178", "primary": "TRUE"}],
                    "extension": 4242,
                    "loginEnabled": "true",
                    "invitePending": "maybe",
                    "status": "aNewPresenceState",
                    "addresses": null,
                    "type": "person",
                    "someFutureField": {"nested": true}
                },
                {"id": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9ib3Q", "emails": ["bot@webex.bot"], "type": "bot"},
                {"id": "Y2lzY29zcGFyazovL3VzL1BFT1BMRS9ub2VtYWls", "emails": [], "displayName": "No Mail"}
            ]
        })))
        .mount(&server)
        .await;
    let snap = users_snapshot(&server).await.unwrap();
    assert_eq!(
        snap.records.len(),
        1,
        "bots and people without email are left out"
    );
    let r = &snap.records[0];
    assert_eq!(r.key.as_str(), "odd.person@example.com");
    assert_eq!(
        r.stable_id.as_deref(),
        Some("abcdef01-1234-1234-1234-1234567890ab")
    );
    assert_eq!(attr(r, "extension"), Some("4242"));
    assert_eq!(attr(r, "phoneNumber"), Some("+13035550178"));
}

#[tokio::test]
async fn organisations_are_separate_sources_and_records_carry_their_org() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    let other = "0ae87ade-8c8a-4952-af08-318798958d0c";
    let other_b64 = ucx_webex::WebexId::encode("ORGANIZATION", other);
    let org_b64 = ucx_webex::WebexId::encode("ORGANIZATION", ORG);
    Mock::given(path("/v1/people"))
        .and(query_param("orgId", org_b64.as_str()))
        .respond_with(json("people-page1.json"))
        .mount(&server)
        .await;
    let mut person: serde_json::Value =
        serde_json::from_str(&fixture("people-page2.json")).unwrap();
    for p in person["items"].as_array_mut().unwrap() {
        p["orgId"] = serde_json::Value::String(other_b64.clone());
    }
    Mock::given(path("/v1/people"))
        .and(query_param("orgId", other_b64.as_str()))
        .respond_with(body(person))
        .mount(&server)
        .await;
    mock::mount_catch_all(&server).await;
    let mut a = config(&server);
    a.send_org_id = true;
    let mut b = config(&server).with_org_id(other);
    b.send_org_id = true;
    b.organization_name = Some("Customer B".into());
    let (a, b) = (WebexUsers::new(a).unwrap(), WebexUsers::new(b).unwrap());
    assert_ne!(a.source_id(), b.source_id());
    let sa = a.snapshot(ListRequest::all()).await.unwrap();
    let sb = b.snapshot(ListRequest::all()).await.unwrap();
    assert_eq!((sa.records.len(), sb.records.len()), (3, 2));
    assert!(sa.records.iter().all(|r| attr(r, "orgId") == Some(ORG)));
    assert!(sb.records.iter().all(|r| attr(r, "orgId") == Some(other)));
    assert!(
        sb.records
            .iter()
            .all(|r| attr(r, "organization.name") == Some("Customer B"))
    );
}

#[tokio::test]
async fn an_email_filter_is_pushed_down() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    Mock::given(path("/v1/people"))
        .and(query_param("email", "dmitri.diaz@example.com"))
        .respond_with(json("people-page2.json"))
        .expect(1)
        .mount(&server)
        .await;
    mock::mount_catch_all(&server).await;
    let filter =
        ucx_filter::Filter::parse("(&(department=Sales)(email=dmitri.diaz@example.com))").unwrap();
    let request = ListRequest {
        filter: Some(filter),
        ..ListRequest::all()
    };
    let snap = WebexUsers::new(config(&server))
        .unwrap()
        .snapshot(request)
        .await
        .unwrap();
    assert_eq!(
        snap.records.len(),
        2,
        "the source's answer is returned; the core filters it locally"
    );
    let wild = ucx_filter::Filter::parse("(email=*@example.com)").unwrap();
    assert_eq!(ucx_webex::email_push_down(&wild), None);
    let or = ucx_filter::Filter::parse("(|(email=a@x)(email=b@x))").unwrap();
    assert_eq!(ucx_webex::email_push_down(&or), None);
}

#[tokio::test]
async fn external_ids_come_from_scim_when_asked() {
    let server = full_server().await;
    Mock::given(path(format!("/identity/scim/{ORG}/v2/Users")))
        .and(query_param("startIndex", "1"))
        .respond_with(json("scim-users-page1.json"))
        .mount(&server)
        .await;
    Mock::given(path(format!("/identity/scim/{ORG}/v2/Users")))
        .and(query_param("startIndex", "4"))
        .respond_with(json("scim-users-page2.json"))
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.include_external_id = true;
    let recs = by_key(
        WebexUsers::new(c)
            .unwrap()
            .snapshot(ListRequest::all())
            .await
            .unwrap()
            .records,
    );
    assert_eq!(
        attr(&recs["alice.anders@example.com"], "externalId"),
        Some("8c1f2a0e-5b7d-4f3a-9e21-4d6b0f7a1c11")
    );
    assert_eq!(
        attr(&recs["erin.evans@example.com"], "externalId"),
        Some("5b3e8d17-2a9c-4f61-a0d4-9c7e1b2f3a55")
    );
    assert_eq!(attr(&recs["carol.chen@example.com"], "externalId"), None);
}

#[tokio::test]
async fn check_reports_the_product_status_messages() {
    // Bad client id or secret.
    let server = MockServer::start().await;
    Mock::given(path("/v1/access_token"))
        .respond_with(ResponseTemplate::new(401).set_body_string(
            r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
        ))
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.credentials = WebexCredentials::RefreshToken {
        client_id: "wrong".into(),
        client_secret: SecretString::from("wrong-secret"),
        refresh_token: SecretString::from("r"),
    };
    let err = WebexUsers::new(c).unwrap().check().await.unwrap_err();
    assert_eq!(WebexStatus::of(&err), WebexStatus::ClientMisconfigured);
    assert!(
        err.to_string()
            .contains("Client ID or Client Secret are misconfigured"),
        "{err}"
    );
    assert!(!format!("{err:?}").contains("wrong-secret"));

    // The app is not authorised (a revoked refresh token).
    let server = MockServer::start().await;
    Mock::given(path("/v1/access_token"))
        .respond_with(ResponseTemplate::new(400).set_body_string(
            r#"{"error":"invalid_grant","error_description":"The refresh token provided is expired, revoked, malformed, or invalid."}"#,
        ))
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.credentials = WebexCredentials::RefreshToken {
        client_id: "C0ffee".into(),
        client_secret: SecretString::from("s"),
        refresh_token: SecretString::from("revoked"),
    };
    let err = WebexUsers::new(c).unwrap().check().await.unwrap_err();
    assert_eq!(WebexStatus::of(&err), WebexStatus::NotAuthorized);
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(
        err.to_string().contains("Check OAuth2 token enablement"),
        "{err}"
    );

    // A token without admin rights.
    let server = MockServer::start().await;
    Mock::given(path("/v1/people"))
        .respond_with(
            ResponseTemplate::new(403).set_body_string(
                r#"{"message":"Insufficient privileges","trackingId":"ROUTER_403"}"#,
            ),
        )
        .mount(&server)
        .await;
    let err = WebexUsers::new(config(&server))
        .unwrap()
        .check()
        .await
        .unwrap_err();
    assert_eq!(WebexStatus::of(&err), WebexStatus::NotAuthorized);
    assert_eq!(err.tracking_id(), Some("ROUTER_403"));

    // Nothing listening.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mut c = config(&server).with_base_url(format!("http://{addr}/v1/"));
    c.http.retry = ucx_http::RetryPolicy::none();
    let err = WebexUsers::new(c).unwrap().check().await.unwrap_err();
    assert_eq!(WebexStatus::of(&err), WebexStatus::Unreachable);
    assert!(err.to_string().contains("Webex Cloud unreachable"), "{err}");

    // Healthy.
    let server = full_server().await;
    WebexUsers::new(config(&server))
        .unwrap()
        .check()
        .await
        .unwrap();
}

#[test]
fn settings_errors_name_the_key_and_secrets_stay_hidden() {
    let c =
        ucx_webex::WebexConfig::new(WebexCredentials::AccessToken(SecretString::from("pat-123")));
    let err = WebexUsers::new(c.clone().with_base_url("not a url")).unwrap_err();
    assert_eq!(err.key, "base_url");
    let err = WebexUsers::new(c.clone().with_org_id("nonsense")).unwrap_err();
    assert_eq!(err.key, "org_id");
    let mut bad = c.clone();
    bad.page_size = 0;
    assert_eq!(WebexUsers::new(bad).unwrap_err().key, "page_size");
    let users = WebexUsers::new(c).unwrap();
    assert!(!format!("{users:?}").contains("pat-123"));
    let creds = WebexCredentials::RefreshToken {
        client_id: "id".into(),
        client_secret: SecretString::from("cs-456"),
        refresh_token: SecretString::from("rt-789"),
    };
    let text = format!("{creds:?}");
    assert!(
        !text.contains("cs-456") && !text.contains("rt-789"),
        "{text}"
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_not_followed() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    Mock::given(path("/v1/people"))
        .respond_with(json("people-page1.json").insert_header(
            "Link",
            "<https://attacker.example.net/v1/people?after=P2>; rel=\"next\"",
        ))
        .mount(&server)
        .await;
    let err = users_snapshot(&server).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(err.to_string().contains("another server"), "{err}");
}

/// A pushed-down email with quotes, `--`, `%`, `&` and `+` reaches Webex as that one value:
/// URL-encoded, never splitting into other parameters.
#[tokio::test]
async fn a_hostile_email_is_pushed_down_as_one_encoded_value() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    let hostile = "o'brien--x%27+y&max=1@example.com";
    Mock::given(path("/v1/people"))
        .and(query_param("email", hostile))
        .respond_with(json("people-page2.json"))
        .expect(1)
        .mount(&server)
        .await;
    mock::mount_catch_all(&server).await;
    let filter = ucx_filter::Filter::parse(&format!("(email={hostile})")).unwrap();
    let request = ListRequest {
        filter: Some(filter),
        ..ListRequest::all()
    };
    WebexUsers::new(config(&server))
        .unwrap()
        .snapshot(request)
        .await
        .unwrap();
    let asked = server.received_requests().await.unwrap();
    let people = asked.iter().find(|r| r.url.path() == "/v1/people").unwrap();
    assert_eq!(
        people.url.query_pairs().filter(|(k, _)| k == "max").count(),
        1,
        "the value did not add a parameter: {}",
        people.url
    );
}
