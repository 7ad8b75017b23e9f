//! The Entra ID source against a mock identity platform and Graph serving the fixtures.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use support::*;
use ucx_entra::{EntraCredential, EntraUsers, Scope};
use ucx_http::secrecy::SecretString;
use ucx_sync_core::{Cursor, ErrorKind, ListRequest, SourceAdapter, SourceAdapterExt};
use ucx_testkit::{attr, by_key, mock};
use wiremock::matchers::{body_string_contains, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_users(&server).await;
    server
}

#[tokio::test]
async fn users_are_read_over_all_pages_with_the_rules_attributes() {
    let server = server().await;
    mock::mount_catch_all(&server).await;
    let users = EntraUsers::new(config(&server)).unwrap();
    assert_eq!(users.source_id().as_str(), format!("entra:{TENANT}"));
    let snap = users.snapshot(ListRequest::all()).await.unwrap();
    let recs = by_key(snap.records);
    assert_eq!(recs.len(), 7, "{:?}", recs.keys());
    let avery = &recs["avery.lindqvist@example.com"];
    assert_eq!(
        avery.stable_id.as_deref(),
        Some("3f2a9c4e-1b7d-4e8a-9f6c-2d5b8e1a7c03")
    );
    for (name, want) in [
        ("email", "avery.lindqvist@example.com"),
        ("givenName", "Avery"),
        ("surname", "Lindqvist"),
        ("department", "Sales"),
        ("officeLocation", "NYC-12/1204"),
        ("location", "New York"),
        ("phoneNumber", "+1 212 555 0142"),
        ("mobilePhone", "+1 917 555 0188"),
        ("jobTitle", "Account Executive"),
        ("employeeId", "100231"),
        ("onPremisesSamAccountName", "alindqvist"),
        ("accountEnabled", "true"),
        ("accountType", "Member"),
        ("userType", "user"),
    ] {
        assert_eq!(attr(avery, name), Some(want), "avery {name}");
    }
    assert_eq!(attr(avery, "faxNumber"), None, "null is absent");
    // mail differs from the UPN: the key is the UPN, email the mail.
    let bruno = &recs["bcarvalho@example.com"];
    assert_eq!(attr(bruno, "email"), Some("bruno.carvalho@example.com"));
    // A guest keeps its #EXT# UPN as key.
    assert!(recs.contains_key("pat.morgan_fabrikam.example#ext#@example.onmicrosoft.com"));

    // Every page carried the token; the first asked for the selected properties.
    let requests = server.received_requests().await.unwrap();
    let graph: Vec<_> = requests
        .iter()
        .filter(|r| r.url.path() == "/v1.0/users")
        .collect();
    assert_eq!(graph.len(), 2);
    for r in &graph {
        assert!(
            r.headers["authorization"]
                .to_str()
                .unwrap()
                .starts_with("Bearer eyJ")
        );
        assert!(r.url.query().unwrap().contains("select="));
    }
    assert!(
        graph[0].url.query().unwrap().contains("%24top=999"),
        "{}",
        graph[0].url
    );
}

#[tokio::test]
async fn guests_and_disabled_accounts_can_be_left_out() {
    let server = server().await;
    let mut c = config(&server);
    c.include_guests = false;
    c.include_disabled = false;
    let snap = EntraUsers::new(c)
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    let recs = by_key(snap.records);
    assert_eq!(recs.len(), 4, "{:?}", recs.keys());
    assert!(!recs.contains_key("dana.okafor@example.com"));
    assert!(!recs.contains_key("baltic@example.com"));
}

#[tokio::test]
async fn an_expired_page_token_restarts_the_listing_without_duplicates() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/v1.0/users"))
        .and(query_param("$skiptoken", "RFNwdAIAAQAAABc6ZGFuYS5va2Fmb3JAZXhhbXBsZS5jb20pVXNlcl9lOWI0YzdhMi02ZjNkLTRiMWUtOGE1Yy0zZDdmMmU5YjFjNjC5AAAAAAAAAAAA"))
        .respond_with(error(400, "error-400-expired-page-token.json"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_users(&server).await;
    let snap = EntraUsers::new(config(&server))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    assert_eq!(snap.records.len(), 7);
    let first_pages = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| {
            r.url.path() == "/v1.0/users" && !r.url.query().unwrap_or("").contains("skiptoken")
        })
        .count();
    assert_eq!(first_pages, 2, "the listing started over once");
}

#[tokio::test]
async fn throttling_is_retried_with_fractional_or_absent_retry_after() {
    for (label, template, at_least) in [
        (
            "fractional",
            error(429, "error-429.json").insert_header("Retry-After", "0.6"),
            Duration::from_millis(550),
        ),
        (
            "absent",
            error(429, "error-429-identity.json"),
            Duration::ZERO,
        ),
        (
            "503",
            ResponseTemplate::new(503).insert_header("Retry-After", "0.2"),
            Duration::from_millis(150),
        ),
    ] {
        let server = MockServer::start().await;
        mount_token(&server).await;
        Mock::given(path("/v1.0/users"))
            .respond_with(template)
            .up_to_n_times(1)
            .with_priority(1)
            .mount(&server)
            .await;
        mount_users(&server).await;
        let started = Instant::now();
        let snap = EntraUsers::new(config(&server))
            .unwrap()
            .snapshot(ListRequest::all())
            .await
            .unwrap();
        assert_eq!(snap.records.len(), 7, "{label}");
        assert!(
            started.elapsed() >= at_least,
            "{label}: {:?}",
            started.elapsed()
        );
    }
}

#[tokio::test]
async fn a_missing_admin_consent_says_to_grant_it() {
    // The token without a roles claim.
    let server = MockServer::start().await;
    let payload = base64_url(r#"{"aud":"https://graph.microsoft.com","appid":"x","idtyp":"app"}"#);
    Mock::given(path(token_path()))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"{{"token_type":"Bearer","expires_in":3599,"access_token":"eyJhbGciOiJub25lIn0.{payload}.sig"}}"#),
            "application/json",
        ))
        .mount(&server)
        .await;
    let err = EntraUsers::new(config(&server))
        .unwrap()
        .check()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert!(err.to_string().contains("grant admin consent"), "{err}");

    // Graph's refusal.
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/v1.0/users"))
        .respond_with(error(403, "error-403.json"))
        .mount(&server)
        .await;
    let users = EntraUsers::new(config(&server)).unwrap();
    let err = users.check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert!(err.to_string().contains("grant admin consent"), "{err}");
    assert_eq!(
        err.tracking_id(),
        Some("b521939a-779a-42a8-8695-bdaf8086dc37")
    );
    let err = users.snapshot(ListRequest::all()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
}

fn base64_url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[tokio::test]
async fn a_refused_secret_is_an_auth_error_without_the_secret() {
    let server = MockServer::start().await;
    Mock::given(path(token_path()))
        .respond_with(error(401, "token-error-invalid-client.json"))
        .expect(1)
        .mount(&server)
        .await;
    let users = EntraUsers::new(config(&server)).unwrap();
    let err = users.check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    assert!(err.to_string().contains("AADSTS7000215"), "{err}");
    assert_eq!(
        err.tracking_id(),
        Some("899d989b-0c67-41a2-a179-4b9b46966568")
    );
    let text = format!("{err} {err:?} {users:?}");
    assert!(!text.contains(SECRET), "{text}");
}

#[tokio::test]
async fn the_token_request_is_the_client_credentials_grant() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(body_string_contains("grant_type=client_credentials"))
        .and(body_string_contains(format!("client_id={CLIENT}")))
        .and(body_string_contains(
            "scope=https%3A%2F%2Fgraph.microsoft.com%2F.default",
        ))
        .and(body_string_contains(format!("client_secret={SECRET}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("token-response.json"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;
    mount_users(&server).await;
    let users = EntraUsers::new(config(&server)).unwrap();
    users.snapshot(ListRequest::all()).await.unwrap();
    // The token is reused for the second listing.
    users.snapshot(ListRequest::all()).await.unwrap();
}

#[tokio::test]
async fn a_certificate_signs_the_client_assertion() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(body_string_contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(fixture("token-response.json"), "application/json"))
        .mount(&server)
        .await;
    mount_users(&server).await;
    let mut c = config(&server);
    c.credential = EntraCredential::Certificate {
        certificate_pem: fixture("test-app-cert.pem"),
        private_key_pem: SecretString::from(fixture("test-app-key.pem")),
    };
    EntraUsers::new(c)
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let body = String::from_utf8_lossy(&requests[0].body).into_owned();
    assert!(!body.contains("client_secret"));
    let assertion = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("client_assertion="))
        .unwrap();
    // Verify the signature with the certificate's public key, and the claims.
    let key =
        jsonwebtoken::DecodingKey::from_rsa_pem(fixture("test-app-pub.pem").as_bytes()).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::PS256);
    let aud = format!("{}/{TENANT}/oauth2/v2.0/token", server.uri());
    validation.set_audience(&[aud.as_str()]);
    validation.set_issuer(&[CLIENT]);
    let data = jsonwebtoken::decode::<serde_json::Value>(assertion, &key, &validation).unwrap();
    assert_eq!(data.claims["sub"], CLIENT);
    assert!(data.header.x5t_s256.is_some());
}

#[tokio::test]
async fn delta_gives_changes_and_removals_and_refills_when_its_token_expires() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/v1.0/users/delta"))
        .and(query_param("$select", "id,userPrincipalName,mail,givenName,surname,displayName,department,officeLocation,city,streetAddress,postalCode,state,country,businessPhones,mobilePhone,faxNumber,jobTitle,employeeId,accountEnabled,onPremisesSamAccountName,userType"))
        .respond_with(graph(&server, "users-delta-initial.json"))
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users/delta"))
        .and(query_param("$skiptoken", "DxhMrjr0nsuli68dEpBt0ZUmLaTCGdEooaPaox9nLNYxye6NWeMl3G73PAqY-6kso2XeI7J0grk2lERZafMFQiLl3CeTd9e-Y_la5KSultP22qwKZUcFXQ"))
        .respond_with(graph(&server, "users-delta-latest.json"))
        .mount(&server)
        .await;
    let latest = fixture("users-delta-latest.json");
    let token = latest
        .split("$deltatoken=")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    Mock::given(path("/v1.0/users/delta"))
        .and(query_param("$deltatoken", token.as_str()))
        .respond_with(graph(&server, "users-delta-page.json"))
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users/delta"))
        .and(query_param("$deltatoken", "expired"))
        .respond_with(error(400, "error-400-syncstatenotfound.json"))
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users/delta"))
        .and(query_param("$deltatoken", "gone"))
        .respond_with(ResponseTemplate::new(410))
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users/delta"))
        .and(query_param("$deltatoken", "reset"))
        .respond_with(ResponseTemplate::new(400).set_body_raw(
            r#"{"error":{"code":"resyncRequired","message":"The delta token is no longer valid, and the app must reset the sync state.","innerError":{"request-id":"8f0c3a51-2d4e-4b6f-9a17-3c5e7d9b1f20"}}}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    let users = EntraUsers::new(config(&server)).unwrap();
    assert!(users.capabilities().delta);

    let first = users.changes(&Cursor(String::new())).await.unwrap();
    assert!(first.full);
    assert_eq!(first.upserts.len(), 3);
    assert_eq!(first.removed_ids, ["0d6b8e3f-5c2a-4f9d-b8e1-6a3c9f2d7e15"]);
    let cursor = first.cursor.unwrap();
    assert!(cursor.0.contains(&token));

    let next = users.changes(&cursor).await.unwrap();
    assert!(!next.full);
    let keys: Vec<_> = next
        .upserts
        .iter()
        .map(|r| r.key.as_str().to_owned())
        .collect();
    assert_eq!(
        keys,
        [
            "avery.lindqvist@example.com",
            "eitan.shapiro@example.com",
            "zoe.obriain@example.com"
        ]
    );
    assert_eq!(
        next.removed_ids,
        [
            "8c1e5f2a-4d9b-4a7e-b3c6-9e2f1d8a5b47",
            "e9b4c7a2-6f3d-4b1e-8a5c-3d7f2e9b1c60"
        ]
    );
    assert!(next.cursor.unwrap().0.contains("WCc8"));

    for stale in ["expired", "gone", "reset"] {
        let link = format!("{}/v1.0/users/delta?$deltatoken={stale}", server.uri());
        let again = users.changes(&Cursor(link)).await.unwrap();
        assert!(again.full, "{stale}");
        assert_eq!(again.upserts.len(), 3, "{stale}");
    }
}

#[tokio::test]
async fn a_delta_link_to_another_host_is_refused() {
    let server = server().await;
    let users = EntraUsers::new(config(&server)).unwrap();
    let err = users
        .changes(&Cursor(
            "https://attacker.example.net/v1.0/users/delta?$deltatoken=x".into(),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn group_scope_reads_members_directly_or_transitively() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path(
        "/v1.0/groups/g-sales/transitiveMembers/microsoft.graph.user",
    ))
    .respond_with(graph(&server, "group-transitive-members.json"))
    .expect(1)
    .mount(&server)
    .await;
    Mock::given(path("/v1.0/groups/g-emea/members/microsoft.graph.user"))
        .respond_with(graph(&server, "group-transitive-members-mixed.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path(
        "/v1.0/groups/g-emea/transitiveMembers/microsoft.graph.user",
    ))
    .respond_with(graph(&server, "group-transitive-members-mixed.json"))
    .expect(1)
    .mount(&server)
    .await;
    mock::mount_catch_all(&server).await;

    let mut c = config(&server);
    c.scope = Scope::Groups(vec!["g-sales".into(), "g-emea".into()]);
    let users = EntraUsers::new(c.clone()).unwrap();
    assert!(!users.capabilities().delta);
    let recs = by_key(users.snapshot(ListRequest::all()).await.unwrap().records);
    // Four members of the first group; the second adds nobody new (and its group, device and
    // contact members are not users).
    assert_eq!(recs.len(), 4, "{:?}", recs.keys());

    c.transitive = false;
    c.scope = Scope::Groups(vec!["g-emea".into()]);
    let recs = by_key(
        EntraUsers::new(c)
            .unwrap()
            .snapshot(ListRequest::all())
            .await
            .unwrap()
            .records,
    );
    assert_eq!(
        recs.keys().collect::<Vec<_>>(),
        [
            "avery.lindqvist@example.com",
            "wei.chen@example.com",
            "zoe.obriain@example.com"
        ]
    );
}

#[tokio::test]
async fn application_scope_reads_assigned_users_and_group_members() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/v1.0/servicePrincipals/sp-1/appRoleAssignedTo"))
        .respond_with(graph(&server, "app-role-assigned-to.json"))
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users"))
        .and(query_param(
            "$filter",
            "id in ('3f2a9c4e-1b7d-4e8a-9f6c-2d5b8e1a7c03','5a7d2e9f-3c1b-4f8e-a6d2-7b4c9e1f3a58')",
        ))
        .respond_with(graph(&server, "group-transitive-members.json"))
        .expect(1)
        .mount(&server)
        .await;
    for g in [
        "4a6e9d2c-7b3f-4e1a-8d5b-2c9f6e3a1d15",
        "6f2d8b5e-3a9c-4d7f-b1e6-9a4c2f8d5b26",
    ] {
        Mock::given(path(format!(
            "/v1.0/groups/{g}/transitiveMembers/microsoft.graph.user"
        )))
        .respond_with(graph(&server, "group-transitive-members-mixed.json"))
        .expect(1)
        .mount(&server)
        .await;
    }
    mock::mount_catch_all(&server).await;
    let mut c = config(&server);
    c.scope = Scope::Application("sp-1".into());
    let snap = EntraUsers::new(c)
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    assert_eq!(snap.records.len(), 4);
}

#[tokio::test]
async fn photos_within_the_cap() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/v1.0/users/u1/photo/$value"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("content-type", "image/jpeg")
                .set_body_bytes(vec![0xFF, 0xD8, 0xFF, 0xE0]),
        )
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users/u2/photo/$value"))
        .respond_with(error(404, "error-404-photo.json"))
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users/u3/photo/$value"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![0u8; 5000]))
        .mount(&server)
        .await;
    let mut c = config(&server);
    c.photo_max_bytes = 4096;
    let users = EntraUsers::new(c).unwrap();
    let photo = users.client().photo("u1").await.unwrap().unwrap();
    assert_eq!(photo.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(photo.bytes.len(), 4);
    assert!(users.client().photo("u2").await.unwrap().is_none());
    let err = users.client().photo("u3").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
}

#[tokio::test]
async fn malformed_pages_are_protocol_errors() {
    for bad in [
        r#"{"value": [{"id": "x""#,
        r#"{"value": "nope"}"#,
        "<html></html>",
    ] {
        let server = MockServer::start().await;
        mount_token(&server).await;
        Mock::given(path("/v1.0/users"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(bad, "application/json"))
            .mount(&server)
            .await;
        let err = EntraUsers::new(config(&server))
            .unwrap()
            .snapshot(ListRequest::all())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{bad}");
    }
}

#[tokio::test]
async fn a_safe_part_of_the_filter_is_pushed_down() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/v1.0/users"))
        .and(query_param(
            "$filter",
            "(startsWith(mail,'a') or startsWith(userPrincipalName,'a'))",
        ))
        .respond_with(graph(&server, "users-page2.json"))
        .expect(1)
        .mount(&server)
        .await;
    mock::mount_catch_all(&server).await;
    let filter =
        ucx_filter::Filter::parse("(&(department=O'Brien & Co)(email=a*)(officeLocation=*HQ))")
            .unwrap();
    let request = ListRequest {
        filter: Some(filter),
        ..ListRequest::all()
    };
    let snap = EntraUsers::new(config(&server))
        .unwrap()
        .snapshot(request)
        .await
        .unwrap();
    assert_eq!(snap.records.len(), 3);
    // OR and NOT are never pushed down (they could exclude a matching user), nor free-text
    // fields such as department: LDAP folds their spaces, Graph does not.
    let or = ucx_filter::Filter::parse("(|(department=a)(department=b))").unwrap();
    assert_eq!(ucx_entra::odata_filter(&or), None);
    let not = ucx_filter::Filter::parse("(!(department=a))").unwrap();
    assert_eq!(ucx_entra::odata_filter(&not), None);
}

#[tokio::test]
async fn the_stream_ends_after_a_failing_page() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    Mock::given(path("/v1.0/users"))
        .and(query_param("$skiptoken", "RFNwdAIAAQAAABc6ZGFuYS5va2Fmb3JAZXhhbXBsZS5jb20pVXNlcl9lOWI0YzdhMi02ZjNkLTRiMWUtOGE1Yy0zZDdmMmU5YjFjNjC5AAAAAAAAAAAA"))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .mount(&server)
        .await;
    mount_users(&server).await;
    let items: Vec<_> = EntraUsers::new(config(&server))
        .unwrap()
        .list(ListRequest::all())
        .collect()
        .await;
    assert_eq!(items.len(), 5, "four users, then the error");
    assert!(items[4].is_err());
}

#[test]
fn settings_errors_name_the_key_and_clouds_have_their_roots() {
    use ucx_entra::{Cloud, EntraConfig};
    let secret = || EntraCredential::Secret(SecretString::from("s"));
    let err = EntraUsers::new(EntraConfig::new("", CLIENT, secret())).unwrap_err();
    assert_eq!(err.key, "tenant");
    let err = EntraUsers::new(EntraConfig::new(TENANT, " ", secret())).unwrap_err();
    assert_eq!(err.key, "client_id");
    let mut c = EntraConfig::new(TENANT, CLIENT, secret());
    c.scope = Scope::Groups(vec![]);
    assert_eq!(EntraUsers::new(c).unwrap_err().key, "scope.groups");
    let c = EntraConfig::new(
        TENANT,
        CLIENT,
        EntraCredential::Certificate {
            certificate_pem: fixture("test-app-cert.pem"),
            private_key_pem: SecretString::from("not a key"),
        },
    );
    let err = EntraUsers::new(c).unwrap_err();
    assert_eq!(err.key, "credential.private_key");
    assert!(!format!("{err}").contains("not a key"));
    assert_eq!(Cloud::UsGovDod.graph(), "https://dod-graph.microsoft.us/");
    assert_eq!(Cloud::China.authority(), "https://login.chinacloudapi.cn/");
}

/// Values with quotes, `--` and `%` are quoted for OData (`'` doubled) and stay inside their
/// string literal; a field Graph cannot filter on as LDAP does is left to the local filter.
#[test]
fn hostile_values_stay_inside_their_odata_literal() {
    let f = ucx_filter::Filter::parse(
        r"(&(mail=x'or1eq1--)(userPrincipalName=100%)(email=a'b*)(officeLocation=\28HQ\29))",
    )
    .unwrap();
    assert_eq!(
        ucx_entra::odata_filter(&f).as_deref(),
        Some(
            "mail eq 'x''or1eq1--' and userPrincipalName eq '100%' and (startsWith(mail,'a''b') or startsWith(userPrincipalName,'a''b'))"
        )
    );
}

#[tokio::test]
async fn an_empty_page_with_a_next_link_goes_on_and_a_cycle_is_an_error() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let page = |items: serde_json::Value, next: &str| {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "value": items,
            "@odata.nextLink": format!("{}/v1.0/users?$skiptoken={next}", server.uri()),
        }))
    };
    let user = serde_json::json!([{
        "id": "0a1b2c3d-0000-4000-8000-000000000001",
        "userPrincipalName": "late@example.com",
        "accountEnabled": true,
        "userType": "Member"
    }]);
    // The first page is empty but links on; the second links back to the first's link.
    Mock::given(path("/v1.0/users"))
        .and(query_param("$skiptoken", "A"))
        .respond_with(page(user, "B"))
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users"))
        .and(query_param("$skiptoken", "B"))
        .respond_with(page(serde_json::json!([]), "A"))
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users"))
        .respond_with(page(serde_json::json!([]), "A"))
        .with_priority(10)
        .mount(&server)
        .await;
    let started = Instant::now();
    let items: Vec<_> = EntraUsers::new(config(&server))
        .unwrap()
        .list(ListRequest::all())
        .collect()
        .await;
    // The user after the empty page is read; the cycle back to page A ends in an error, so the
    // listing is never taken as complete.
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(
        items[0]
            .as_ref()
            .is_ok_and(|r| r.key.as_str() == "late@example.com")
    );
    let err = items[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Protocol);
    assert!(
        err.to_string().contains("repeats a page already read"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn pictures_are_fetched_checked_and_revalidated_with_their_etag() {
    use ucx_sync_core::{Fetched, PictureError};
    use wiremock::matchers::header;
    let server = MockServer::start().await;
    mount_token(&server).await;
    let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10];
    // Asked again with the ETag it sent: 304, no body.
    Mock::given(path("/v1.0/users/u1/photo/$value"))
        .and(header("if-none-match", "\"BA09D118\""))
        .respond_with(ResponseTemplate::new(304))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users/u1/photo/$value"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("etag", "\"BA09D118\"")
                .set_body_bytes(jpeg.clone()),
        )
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users/u2/photo/$value"))
        .respond_with(error(404, "error-404-photo.json"))
        .mount(&server)
        .await;
    Mock::given(path("/v1.0/users/u3/photo/$value"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![0xFFu8; 300 * 1024]))
        .mount(&server)
        .await;
    assert!(
        EntraUsers::new(config(&server))
            .unwrap()
            .pictures()
            .is_none(),
        "off by default"
    );
    let mut c = config(&server);
    c.pictures = true;
    let users = EntraUsers::new(c).unwrap();
    let pictures = users.pictures().expect("switched on");
    assert!(pictures.revalidates(), "a photo URL never changes");
    let Fetched::Image(p) = pictures.fetch("u1", None).await.unwrap() else {
        panic!("an image")
    };
    assert_eq!(
        (p.bytes.as_ref(), p.etag.as_deref()),
        (&jpeg[..], Some("\"BA09D118\""))
    );
    assert_eq!(
        pictures.fetch("u1", Some("\"BA09D118\"")).await.unwrap(),
        Fetched::NotModified
    );
    assert_eq!(pictures.fetch("u2", None).await.unwrap(), Fetched::Absent);
    assert!(matches!(
        pictures.fetch("u3", None).await,
        Err(PictureError::TooLarge { limit: 204_800 })
    ));
}

#[tokio::test]
async fn a_bookmark_is_the_delta_link_of_now_without_reading_the_tenant() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    let link = format!("{}/v1.0/users/delta?$deltatoken=now-token", server.uri());
    Mock::given(path("/v1.0/users/delta"))
        .and(query_param("$deltatoken", "latest"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
            "@odata.deltaLink": link,
            "value": []
        })))
        .expect(1)
        .mount(&server)
        .await;
    let users = EntraUsers::new(config(&server)).unwrap();
    assert_eq!(users.change_bookmark().await.unwrap(), Some(Cursor(link)));
    // A scoped source follows no feed.
    let mut c = config(&server);
    c.scope = Scope::Groups(vec!["g1".into()]);
    assert_eq!(
        EntraUsers::new(c).unwrap().change_bookmark().await.unwrap(),
        None
    );
}
