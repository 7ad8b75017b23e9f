//! The CUCM source against a mock publisher serving the AXL fixtures: paging, CUCM's size and
//! throttling faults, version fall-back, authentication, malformed answers, devices, change
//! notification and a resumed fill.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use futures::StreamExt;
use support::*;
use ucx_cucm::{AxlVersion, CucmUsers, FillCursor};
use ucx_sync_core::{Cursor, ErrorKind, ListRequest, SourceAdapter, SourceAdapterExt};
use ucx_testkit::{attr, by_key, mock};
use wiremock::matchers::{body_string_contains, header, header_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn users_are_read_over_pages_with_devices_and_sip_uris() {
    let server = MockServer::start().await;
    mount_users(&server).await;
    mock::mount_catch_all(&server).await;
    let users = CucmUsers::new(config(&server)).unwrap();
    assert_eq!(users.source_id().as_str(), "cucm:127.0.0.1");
    let snap = users.snapshot(ListRequest::all()).await.unwrap();
    let recs = by_key(snap.records);
    assert_eq!(
        recs.keys().collect::<Vec<_>>(),
        ["ajones", "bsmith", "cnguyen", "dgarcia"]
    );
    let alice = &recs["ajones"];
    assert_eq!(alice.stable_id.as_deref(), Some(ALICE));
    for (name, want) in [
        ("userid", "ajones"),
        ("firstName", "Alice"),
        ("lastName", "Jones"),
        ("mail", "alice.jones@example.com"),
        ("email", "alice.jones@example.com"),
        ("department", "Engineering"),
        ("primaryExtension", "1001"),
        ("partition", "PT_Internal"),
        ("telephoneNumber", "+1 202 555 0101"),
        ("mobileNumber", "+1 202 555 0151"),
        ("directoryUri", "alice.jones@example.com"),
        ("msSipUri", "sip:alice.jones@example.com"),
        ("deviceName", "CSFAJONES"),
        ("uuid", ALICE),
        ("userType", "user"),
    ] {
        assert_eq!(attr(alice, name), Some(want), "alice {name}");
    }
    assert_eq!(
        alice.attributes.get("devices").collect::<Vec<_>>(),
        ["CSFAJONES", "SEP0A1B2C3D4E01"]
    );
    let bob = &recs["bsmith"];
    assert_eq!(attr(bob, "pager"), Some("+1 202 555 0172"));
    // No mail id (a user managed only in CUCM): the email is composed from the domain.
    let chi = &recs["cnguyen"];
    assert_eq!(attr(chi, "mail"), None);
    assert_eq!(attr(chi, "email"), Some("cnguyen@example.com"));
    assert_eq!(attr(chi, "deviceName"), None);
    // The E.164 pattern comes back escaped.
    let dana = &recs["dgarcia"];
    assert_eq!(attr(dana, "primaryExtension"), Some("+12025550104"));
    assert_eq!(attr(dana, "partition"), Some("PT_E164"));
    assert_eq!(attr(dana, "deviceName"), Some("CSFDGARCIA"));
}

#[tokio::test]
async fn requests_carry_the_version_credentials_and_one_at_a_time() {
    let server = MockServer::start().await;
    mount_users(&server).await;
    let users = CucmUsers::new(config(&server)).unwrap();
    users.snapshot(ListRequest::all()).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert!(!requests.is_empty());
    for r in &requests {
        let action = r.headers["soapaction"].to_str().unwrap();
        assert!(action.starts_with("\"CUCM:DB ver=15.0 "), "{action}");
        let body = String::from_utf8_lossy(&r.body);
        assert!(body.contains("xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\""));
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/xml")
        );
        assert!(
            r.headers["authorization"]
                .to_str()
                .unwrap()
                .starts_with("Basic ")
        );
    }
}

#[tokio::test]
async fn an_empty_result_is_an_empty_complete_snapshot() {
    let server = MockServer::start().await;
    op("listUser")
        .respond_with(soap("listUser-empty.xml"))
        .mount(&server)
        .await;
    // The keyset check after the fill finds no pkid either.
    op("executeSQLQuery")
        .respond_with(soap("sql-empty.xml"))
        .mount(&server)
        .await;
    mock::mount_catch_all(&server).await;
    let snap = CucmUsers::new(config(&server))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    assert!(snap.complete);
    assert!(snap.records.is_empty());
}

#[tokio::test]
async fn a_query_too_large_is_asked_again_with_a_smaller_page() {
    let server = MockServer::start().await;
    op("listUser")
        .and(body_string_contains("<first>1000</first>"))
        .respond_with(fault("fault-query-too-large.xml"))
        .expect(1)
        .mount(&server)
        .await;
    op("listUser")
        .and(body_string_contains("<first>500</first>"))
        .and(body_string_contains("<skip>0</skip>"))
        .respond_with(soap("listUser-page1.xml"))
        .expect(1)
        .mount(&server)
        .await;
    mount_extras(&server).await;
    mock::mount_catch_all(&server).await;
    let mut c = config(&server);
    c.page_size = 1000;
    let users = CucmUsers::new(c).unwrap();
    let pages: Vec<_> = users
        .fill(FillCursor {
            skip: 0,
            page_size: 1000,
        })
        .collect()
        .await;
    assert_eq!(pages.len(), 1);
    let page = pages[0].as_ref().unwrap();
    assert_eq!(page.records.len(), 3);
    assert_eq!(
        page.total,
        Some(12480),
        "the total from the fault, for progress"
    );
    assert_eq!(page.next, None, "3 of 500: the last page");
}

#[tokio::test]
async fn throttling_faults_are_retried() {
    let server = MockServer::start().await;
    op("listUser")
        .respond_with(fault("fault-throttle.xml"))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    op("listUser")
        .and(body_string_contains("<skip>0</skip>"))
        .respond_with(soap("listUser-page1.xml"))
        .mount(&server)
        .await;
    op("listUser")
        .and(body_string_contains("<skip>3</skip>"))
        .respond_with(soap("listUser-empty.xml"))
        .mount(&server)
        .await;
    mount_extras(&server).await;
    let snap = CucmUsers::new(config(&server))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    assert_eq!(snap.records.len(), 3);

    // 503 (write throttling, or a busy node) too.
    let server = MockServer::start().await;
    op("listUser")
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    op("listUser")
        .respond_with(soap("listUser-empty.xml"))
        .mount(&server)
        .await;
    op("executeSQLQuery")
        .respond_with(soap("sql-empty.xml"))
        .mount(&server)
        .await;
    CucmUsers::new(config(&server))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
}

#[tokio::test]
async fn other_faults_are_typed_errors_with_the_axl_code() {
    let server = MockServer::start().await;
    op("listUser")
        .respond_with(fault("fault-user-not-found.xml"))
        .expect(1)
        .mount(&server)
        .await;
    let err = CucmUsers::new(config(&server))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("axlcode 5007"), "{err}");
    assert!(
        err.to_string().contains("The specified User was not found"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unsupported_version_falls_back_once_and_is_remembered() {
    let server = MockServer::start().await;
    op("getCCMVersion")
        .and(header("soapaction", "\"CUCM:DB ver=15.0 getCCMVersion\""))
        .respond_with(
            ResponseTemplate::new(599).set_body_raw(fixture("http-599.html"), "text/html"),
        )
        .expect(1)
        .mount(&server)
        .await;
    op("getCCMVersion")
        .and(header("soapaction", "\"CUCM:DB ver=14.0 getCCMVersion\""))
        .and(body_string_contains("http://www.cisco.com/AXL/API/14.0"))
        .respond_with(soap("getCCMVersion.xml"))
        .expect(2)
        .mount(&server)
        .await;
    let users = CucmUsers::new(config(&server)).unwrap();
    assert_eq!(
        users.client().ccm_version().await.unwrap(),
        "14.0.1.13900(155)"
    );
    assert_eq!(users.client().version(), AxlVersion::V14_0);
    users.check().await.unwrap();

    // A cluster refusing every version fails after one fall-back, with its message.
    let server = MockServer::start().await;
    op("getCCMVersion")
        .respond_with(
            ResponseTemplate::new(599).set_body_raw(fixture("http-599.html"), "text/html"),
        )
        .expect(2)
        .mount(&server)
        .await;
    let err = CucmUsers::new(config(&server))
        .unwrap()
        .check()
        .await
        .unwrap_err();
    assert!(err.to_string().contains("Incorrect axl version"), "{err}");
}

#[tokio::test]
async fn a_cluster_on_11_5_is_read_in_its_own_schema() {
    // CUCM 11.5 refuses 15.0 with its list; every later request speaks 11.5 and the fill is
    // the same as on a current cluster.
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::method("POST"))
        .and(header_regex("soapaction", "ver=15.0"))
        .respond_with(ResponseTemplate::new(599).set_body_raw(
            "<html><body><h1>HTTP Status 599 - Incorrect axl version. Supported axl versions are 10.5, 11.0 and 11.5</h1></body></html>",
            "text/html",
        ))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    mount_users(&server).await;
    let users = CucmUsers::new(config(&server)).unwrap();
    let snap = users.snapshot(ListRequest::all()).await.unwrap();
    assert_eq!(users.client().version(), AxlVersion::V11_5);
    let keys: Vec<&str> = snap.records.iter().map(|r| r.key.as_str()).collect();
    let on_15 = MockServer::start().await;
    mount_users(&on_15).await;
    let current = CucmUsers::new(config(&on_15))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    assert_eq!(snap.records, current.records, "the same users as from 15.0");
    assert!(keys.len() > 3, "more than one page: {keys:?}");
    for r in server.received_requests().await.unwrap().iter().skip(1) {
        let action = r.headers.get("soapaction").unwrap().to_str().unwrap();
        assert!(action.starts_with("\"CUCM:DB ver=11.5 "), "{action}");
        let body = String::from_utf8_lossy(&r.body);
        assert!(body.contains("http://www.cisco.com/AXL/API/11.5"), "{body}");
    }
}

#[test]
fn versions_are_read_from_the_refusal() {
    use AxlVersion::*;
    let f = |tried, msg| AxlVersion::fallback(tried, msg);
    assert_eq!(
        f(V15_0, "Supported axl versions are 12.x, 14.0 and 15.0"),
        Some(V14_0)
    );
    assert_eq!(
        f(V15_0, "Supported axl versions: 11.5,12.5,14"),
        Some(V14_0)
    );
    assert_eq!(
        f(V14_0, "Supported axl versions: 10.5, 11.0, 12.5"),
        Some(V12_5)
    );
    assert_eq!(
        f(V15_0, "Incorrect axl version"),
        Some(V14_0),
        "no list: next older"
    );
    assert_eq!(f(V12_5, "Supported axl versions: 9.1"), None);
    // Clusters still on 11.x and 12.0.
    assert_eq!(
        f(V15_0, "Supported axl versions are 10.5, 11.0 and 11.5"),
        Some(V11_5)
    );
    assert_eq!(f(V15_0, "Supported axl versions: 11.x,12.0"), Some(V12_0));
    assert_eq!(f(V12_5, "Incorrect axl version"), Some(V12_0));
    assert_eq!(f(V11_0, "Incorrect axl version"), None, "nothing older");
    assert_eq!(AxlVersion::parse("11.x"), Some(V11_5));
    assert_eq!(AxlVersion::parse("12.0"), Some(V12_0));
}

#[tokio::test]
async fn credentials_and_roles_are_reported() {
    let server = MockServer::start().await;
    op("getCCMVersion")
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string("<html><body>HTTP Status 401 - Unauthorized</body></html>"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let users = CucmUsers::new(config(&server)).unwrap();
    let err = users.check().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth);
    let text = format!("{err} {err:?} {users:?}");
    assert!(!text.contains(PASSWORD), "{text}");

    let server = MockServer::start().await;
    op("getCCMVersion")
        .respond_with(ResponseTemplate::new(403))
        .expect(1)
        .mount(&server)
        .await;
    let err = CucmUsers::new(config(&server))
        .unwrap()
        .check()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Forbidden);
    assert!(err.to_string().contains("Standard AXL"), "{err}");
}

#[tokio::test]
async fn malformed_answers_are_protocol_errors() {
    for bad in [
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ns:listUserResponse><return><user>",
        "<html><body>Welcome to nginx</body></html>",
        "not xml at all <<<",
        "<?xml version=\"1.0\"?><!DOCTYPE lol [<!ENTITY x \"boom\">]><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ns:listUserResponse xmlns:ns=\"x\"><return/></ns:listUserResponse></soapenv:Body></soapenv:Envelope>",
    ] {
        let server = MockServer::start().await;
        op("listUser")
            .respond_with(ResponseTemplate::new(200).set_body_raw(bad, "text/xml"))
            .mount(&server)
            .await;
        let err = CucmUsers::new(config(&server))
            .unwrap()
            .snapshot(ListRequest::all())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{bad}: {err}");
    }
}

#[tokio::test]
async fn tolerant_of_order_unknown_elements_case_and_booleans() {
    let server = MockServer::start().await;
    let body = r#"<?xml version='1.0' encoding='UTF-8'?><S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body><axl:listUserResponse xmlns:axl="http://www.cisco.com/AXL/API/12.5" sequence="7"><return><user uuid="{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}"><futureElement><nested>x</nested></futureElement><userid>ZED</userid><enableCti>t</enableCti><lastName>Zed &amp; Co</lastName><primaryExtension><routePartitionName/><pattern>\+4930123</pattern></primaryExtension><mailid></mailid></user></return></axl:listUserResponse></S:Body></S:Envelope>"#;
    op("listUser")
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/xml"))
        .mount(&server)
        .await;
    mount_extras(&server).await;
    let mut c = config(&server);
    c.email_domain = None;
    let snap = CucmUsers::new(c)
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    let r = &snap.records[0];
    assert_eq!(r.key.as_str(), "zed");
    assert_eq!(
        r.stable_id.as_deref(),
        Some("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")
    );
    assert_eq!(attr(r, "lastName"), Some("Zed & Co"));
    assert_eq!(attr(r, "primaryExtension"), Some("+4930123"));
    assert_eq!(attr(r, "partition"), None);
    assert_eq!(
        attr(r, "email"),
        None,
        "no mail id and no domain configured"
    );
}

#[tokio::test]
async fn a_fill_resumes_from_its_last_page() {
    let server = MockServer::start().await;
    op("listUser")
        .and(body_string_contains("<skip>0</skip>"))
        .respond_with(soap("listUser-page1.xml"))
        .expect(1)
        .mount(&server)
        .await;
    // The second page fails for good the first time round (four attempts).
    op("listUser")
        .and(body_string_contains("<skip>3</skip>"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(4)
        .with_priority(1)
        .mount(&server)
        .await;
    op("listUser")
        .and(body_string_contains("<skip>3</skip>"))
        .respond_with(soap("listUser-page2-last.xml"))
        .mount(&server)
        .await;
    mount_extras(&server).await;
    let users = CucmUsers::new(config(&server)).unwrap();
    let start = FillCursor {
        skip: 0,
        page_size: 3,
    };
    let mut kept = Vec::new();
    let mut resume = None;
    let mut pages = users.fill(start);
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => {
                kept.extend(p.records);
                resume = p.next;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Unavailable);
                break;
            }
        }
    }
    assert_eq!(kept.len(), 3);
    let resume = resume.unwrap();
    assert_eq!(
        resume,
        FillCursor {
            skip: 3,
            page_size: 3
        }
    );
    // The cursor survives a restart as text.
    let stored = resume.to_cursor();
    assert_eq!(stored, Cursor("fill:3:3".into()));
    let resume = FillCursor::from_cursor(&stored).unwrap();
    let mut pages = users.fill(resume);
    while let Some(page) = pages.next().await {
        let p = page.unwrap();
        assert_eq!(p.read, 4);
        kept.extend(p.records);
    }
    assert_eq!(
        kept.len(),
        4,
        "page 1 was not read again (its mock expects one call)"
    );
}

#[tokio::test]
async fn list_change_gives_adds_updates_and_removals() {
    let server = MockServer::start().await;
    op("listChange")
        .and(body_string_contains("queueId=\"Qx7pLm2a\">11146<"))
        .respond_with(soap("listChange-poll.xml"))
        .expect(1)
        .mount(&server)
        .await;
    op("listChange")
        .respond_with(soap("listChange-initial.xml"))
        .with_priority(10)
        .mount(&server)
        .await;
    op("getUser")
        .and(body_string_contains(
            "{3F2A9C10-5B7E-4D21-8A6C-0E1F2A3B4C05}",
        ))
        .respond_with(soap("getUser-eadams.xml"))
        .mount(&server)
        .await;
    op("getUser")
        .and(body_string_contains(
            "{3F2A9C10-5B7E-4D21-8A6C-0E1F2A3B4C02}",
        ))
        .respond_with(soap("getUser-bsmith.xml"))
        .mount(&server)
        .await;
    mount_extras(&server).await;
    mock::mount_catch_all(&server).await;
    let users = CucmUsers::new(config(&server)).unwrap();
    // An empty cursor takes the bookmark.
    let first = users.changes(&Cursor(String::new())).await.unwrap();
    assert_eq!(first.cursor, Some(Cursor("Qx7pLm2a:11146".into())));
    assert!(first.upserts.is_empty() && !first.full);
    let set = users.changes(&first.cursor.unwrap()).await.unwrap();
    assert_eq!(set.cursor, Some(Cursor("Qx7pLm2a:11151".into())));
    assert!(!set.full);
    let upserts = by_key(set.upserts);
    assert_eq!(upserts.keys().collect::<Vec<_>>(), ["bsmith", "eadams"]);
    assert_eq!(attr(&upserts["bsmith"], "department"), Some("Sales EMEA"));
    assert_eq!(
        attr(&upserts["eadams"], "deviceName"),
        Some("SEP0A1B2C3D4E05")
    );
    assert_eq!(set.removed_ids, ["3f2a9c10-5b7e-4d21-8a6c-0e1f2a3b4c03"]);
}

#[tokio::test]
async fn a_user_gone_before_it_is_read_is_a_removal() {
    let server = MockServer::start().await;
    op("listChange")
        .respond_with(soap("listChange-poll.xml"))
        .mount(&server)
        .await;
    op("getUser")
        .respond_with(fault("fault-user-not-found.xml"))
        .mount(&server)
        .await;
    let users = CucmUsers::new(config(&server)).unwrap();
    let set = users
        .changes(&Cursor("Qx7pLm2a:11146".into()))
        .await
        .unwrap();
    assert!(set.upserts.is_empty());
    assert_eq!(set.removed_ids.len(), 3);
}

#[tokio::test]
async fn a_stale_queue_falls_back_to_a_full_refill() {
    let server = MockServer::start().await;
    op("listChange")
        .and(body_string_contains("startChangeId"))
        .respond_with(fault("fault-queue-mismatch.xml"))
        .expect(1)
        .mount(&server)
        .await;
    op("listChange")
        .respond_with(soap("listChange-initial.xml"))
        .with_priority(10)
        .mount(&server)
        .await;
    mount_users(&server).await;
    let users = CucmUsers::new(config(&server)).unwrap();
    let set = users.changes(&Cursor("OLDQUEUE:500".into())).await.unwrap();
    assert!(set.full);
    assert_eq!(set.upserts.len(), 4);
    assert_eq!(set.cursor, Some(Cursor("Qx7pLm2a:11146".into())));
}

#[tokio::test]
async fn an_evicted_bookmark_refills() {
    let server = MockServer::start().await;
    op("listChange")
        .respond_with(soap("listChange-poll.xml"))
        .mount(&server)
        .await;
    mount_users(&server).await;
    let users = CucmUsers::new(config(&server)).unwrap();
    // The poll answer's firstChangeId is 1: a bookmark at 0 has left the queue.
    let set = users.changes(&Cursor("Qx7pLm2a:0".into())).await.unwrap();
    assert!(set.full);
    assert_eq!(set.upserts.len(), 4);
}

#[tokio::test]
async fn the_session_cookie_is_sent_back() {
    let server = MockServer::start().await;
    op("getCCMVersion")
        .and(header_regex("cookie", "JSESSIONIDSSO=ABC123"))
        .respond_with(soap("getCCMVersion.xml"))
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    op("getCCMVersion")
        .respond_with(soap("getCCMVersion.xml").insert_header(
            "Set-Cookie",
            "JSESSIONIDSSO=ABC123; Path=/; Secure; HttpOnly",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let users = CucmUsers::new(config(&server)).unwrap();
    users.check().await.unwrap();
    users.check().await.unwrap();
}

#[test]
fn settings_errors_name_the_key() {
    use ucx_cucm::CucmConfig;
    use ucx_http::secrecy::SecretString;
    let c = CucmConfig::new("", "u", SecretString::from("p"));
    assert_eq!(CucmUsers::new(c).unwrap_err().key, "publisher");
    let c = CucmConfig::new("cucm.example.com", " ", SecretString::from("p"));
    assert_eq!(CucmUsers::new(c).unwrap_err().key, "username");
    let mut c = CucmConfig::new("cucm.example.com", "u", SecretString::from("p"));
    c.email_domain = Some("user@example.com".into());
    assert_eq!(CucmUsers::new(c).unwrap_err().key, "email_domain");
    let c = CucmConfig::new("cucm.example.com", "u", SecretString::from("p"));
    let users = CucmUsers::new(c).unwrap();
    assert_eq!(users.source_id().as_str(), "cucm:cucm.example.com");
    assert!(format!("{users:?}").contains("https://cucm.example.com:8443/axl/"));
}

#[tokio::test]
async fn fixture_users_map_through_the_builtin_cucm_rules() {
    use ucx_sync_core::RecordMapper;
    let server = MockServer::start().await;
    mount_users(&server).await;
    let snap = CucmUsers::new(config(&server))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    // The source's `email_domain` alone composes the address: no rule parameter needed.
    let rules = ucx_mapping::RuleSet::builtin("cucm").unwrap();
    let recs = by_key(snap.records);
    let alice = rules.map(&recs["ajones"]).unwrap();
    let get = |d: &ucx_sync_core::Desired, f: &str| d.always.get_str(f).map(str::to_owned);
    assert_eq!(get(&alice, "pbx_username").as_deref(), Some("ajones"));
    assert_eq!(get(&alice, "device_name").as_deref(), Some("CSFAJONES"));
    assert_eq!(
        get(&alice, "first_extension_number").as_deref(),
        Some("+1 202 555 0101")
    );
    assert_eq!(
        get(&alice, "first_extension_number_alias").as_deref(),
        Some("sip:alice.jones@example.com")
    );
    // Scenario 3: no mail id in CUCM, so userid@domain is the email, SSO id, voicemail address
    // and fax-to-email address.
    let chi = rules.map(&recs["cnguyen"]).unwrap();
    for f in [
        "email",
        "sso_id",
        "voicemail_address",
        "fax_to_email_address",
    ] {
        assert_eq!(get(&chi, f).as_deref(), Some("cnguyen@example.com"), "{f}");
    }
    // No office in AXL: a value set by hand is kept, not cleared every run.
    assert_eq!(get(&chi, "office_location"), None);
}

#[tokio::test]
async fn numbers_overlapping_in_different_partitions_are_all_imported() {
    use ucx_sync_core::{DiffOptions, RecordMapper, SourceId, diff};
    // Two sites dial 1000 in their own partition (seed 002: partition and Site Name exist for
    // overlapping dial plans). Both users are imported, each with its own number.
    let user = |n: u32, id: &str, partition: &str| {
        format!(
            "<user uuid=\"{{3F2A9C10-5B7E-4D21-8A6C-00000000000{n}}}\"><firstName>U{n}</firstName><lastName>L{n}</lastName>\
<userid>{id}</userid><mailid>{id}@example.com</mailid><department>Site {n}</department>\
<primaryExtension><pattern>1000</pattern><routePartitionName>{partition}</routePartitionName></primaryExtension>\
<telephoneNumber>1000</telephoneNumber></user>"
        )
    };
    let body = format!(
        "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><ns:listUserResponse xmlns:ns=\"http://www.cisco.com/AXL/API/14.0\"><return>{}{}</return></ns:listUserResponse></soapenv:Body></soapenv:Envelope>",
        user(1, "hq1000", "PT_HQ"),
        user(2, "br1000", "PT_BRANCH")
    );
    let server = MockServer::start().await;
    op("listUser")
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "text/xml;charset=UTF-8"))
        .mount(&server)
        .await;
    op("executeSQLQuery")
        .respond_with(soap("sql-empty.xml"))
        .mount(&server)
        .await;
    let snap = CucmUsers::new(config(&server))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    assert_eq!(snap.records.len(), 2);
    let rules = ucx_mapping::RuleSet::builtin_with("cucm", &Default::default()).unwrap();
    let plan = diff(
        &SourceId::new("cucm:test"),
        &[],
        snap.records.iter().map(|r| rules.map(r)),
        true,
        &DiffOptions::default(),
    );
    assert_eq!(
        (plan.counts.add, plan.counts.conflict, plan.counts.held_back),
        (2, 0, 0),
        "{plan:#?}"
    );
    for a in &plan.adds {
        assert_eq!(
            a.fields.get_str("first_extension_number"),
            Some("1000"),
            "{}",
            a.key
        );
    }
}
