//! The virtual-objects and fax-workspaces sources, avatars and id decoding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;

use support::*;
use ucx_sync_core::{ListRequest, ObjectKind, SourceAdapter, SourceAdapterExt, SourceRecord};
use ucx_testkit::mock;
use ucx_webex::{
    AvatarError, FaxRule, ImageFormat, WebexFaxWorkspaces, WebexId, WebexUsers, WebexVirtualObjects,
};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

async fn server() -> MockServer {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    mount_virtual(&server).await;
    mock::mount_catch_all(&server).await;
    server
}

fn by_name(records: &[SourceRecord]) -> BTreeMap<String, &SourceRecord> {
    records
        .iter()
        .map(|r| (r.attributes.first("name").unwrap_or("?").to_owned(), r))
        .collect()
}

#[tokio::test]
async fn every_virtual_object_list_is_read() {
    let server = server().await;
    let source = WebexVirtualObjects::new(config(&server)).unwrap();
    assert_eq!(source.source_id().as_str(), format!("webex-virtual:{ORG}"));
    let snap = source.snapshot(ListRequest::all()).await.unwrap();
    let recs = by_name(&snap.records);
    let kinds: BTreeMap<&str, ObjectKind> =
        recs.iter().map(|(k, r)| (k.as_str(), r.kind)).collect();
    assert_eq!(
        kinds,
        BTreeMap::from([
            ("Sales Team", ObjectKind::HuntGroup),
            ("Night Ops", ObjectKind::HuntGroup),
            ("IT Helpdesk", ObjectKind::HuntGroup),
            ("Customer Support", ObjectKind::CallQueue),
            ("Billing", ObjectKind::CallQueue),
            ("Main Menu", ObjectKind::AutoAttendant),
            ("Austin Main", ObjectKind::AutoAttendant),
            ("Reception Line", ObjectKind::VirtualLine),
            ("Overflow Line", ObjectKind::VirtualLine),
            ("DEN-3 Boardroom", ObjectKind::Workspace),
            ("DEN Lobby Phone", ObjectKind::Workspace),
        ]),
        "the fax workspace is left to the fax source; the Free Calling room is not a calling object"
    );
    let sales = recs["Sales Team"];
    assert_eq!(sales.attributes.first("phoneNumber"), Some("+13035550110"));
    assert_eq!(sales.attributes.first("esn"), Some("81011100"));
    assert_eq!(sales.attributes.first("location.name"), Some("HQ Denver"));
    assert_eq!(sales.attributes.first("userType"), Some("hunt-group"));
    assert_eq!(
        sales.attributes.first("organization.name"),
        Some("Example Corp")
    );
    // Keyed by the decoded id, lower-cased.
    let decoded = WebexId::decode(sales.attributes.first("nativeUserId").unwrap()).unwrap();
    assert_eq!(decoded.kind, "HUNT_GROUP");
    assert_eq!(sales.key.as_str(), decoded.segment);
    // The queue list has no ESN: routing prefix of its location + extension.
    let billing = recs["Billing"];
    assert_eq!(billing.attributes.first("esn"), Some("81022200"));
    assert_eq!(
        billing.attributes.first("queueType"),
        Some("customer-experience-basic")
    );
    let line = recs["Reception Line"];
    assert_eq!(line.attributes.first("firstName"), Some("Reception"));
    assert_eq!(line.attributes.first("phoneNumber"), Some("+13035550130"));
    let lobby = recs["DEN Lobby Phone"];
    assert_eq!(lobby.attributes.first("phoneNumber"), Some("+13035550140"));
    assert_eq!(lobby.attributes.first("extension"), Some("1400"));
    assert_eq!(lobby.attributes.first("esn"), Some("81011400"));
    let board = recs["DEN-3 Boardroom"];
    assert_eq!(board.attributes.first("phoneNumber"), None);
    assert_eq!(board.attributes.first("extension"), Some("1450"));
}

#[tokio::test]
async fn customer_assist_queues_only_with_the_option() {
    let server = server().await;
    let queues = |include: bool| {
        let mut c = config(&server);
        c.include_cx_queues = include;
        async move {
            WebexVirtualObjects::new(c)
                .unwrap()
                .snapshot(ListRequest {
                    kinds: vec![ObjectKind::CallQueue],
                    ..ListRequest::all()
                })
                .await
                .unwrap()
                .records
        }
    };
    let off = queues(false).await;
    assert_eq!(off.len(), 2);
    let on = queues(true).await;
    assert_eq!(on.len(), 3);
    let premium = on
        .iter()
        .find(|r| r.attributes.first("name") == Some("Premium Care"))
        .unwrap();
    assert_eq!(
        premium.attributes.first("queueType"),
        Some("customer-assist")
    );
    assert_eq!(premium.attributes.first("esn"), Some("81011250"));
}

#[tokio::test]
async fn only_the_kinds_asked_for_are_listed() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    Mock::given(path("/v1/telephony/config/autoAttendants"))
        .respond_with(json("auto-attendants.json"))
        .expect(1)
        .mount(&server)
        .await;
    mock::mount_catch_all(&server).await;
    let snap = WebexVirtualObjects::new(config(&server))
        .unwrap()
        .snapshot(ListRequest {
            kinds: vec![ObjectKind::AutoAttendant],
            ..ListRequest::all()
        })
        .await
        .unwrap();
    assert_eq!(snap.records.len(), 2);
}

#[tokio::test]
async fn fax_workspaces_follow_the_rule() {
    let server = server().await;
    let fax = WebexFaxWorkspaces::new(config(&server)).unwrap();
    assert_eq!(fax.source_id().as_str(), format!("webex-fax:{ORG}"));
    let snap = fax.snapshot(ListRequest::all()).await.unwrap();
    assert_eq!(snap.records.len(), 1);
    let r = &snap.records[0];
    assert_eq!(r.kind, ObjectKind::FaxWorkspace);
    assert_eq!(r.attributes.first("name"), Some("DEN Accounting Fax"));
    assert_eq!(r.attributes.first("faxNumber"), Some("+13035550150"));
    assert_eq!(r.attributes.first("userType"), Some("fax-workspace"));

    // By FAX number only: the lobby phone owns a FAX-type number in this numbers listing.
    let server = MockServer::start().await;
    mount_directory(&server).await;
    Mock::given(path("/v1/telephony/config/numbers"))
        .respond_with(body(serde_json::json!({"phoneNumbers": [
            {"phoneNumber": "+13035550140", "phoneNumberType": "FAX",
             "owner": {"id": "Y2lzY29zcGFyazovL3VzL1BMQUNFL2UxMWM4OTRiLTg1NjEtNTI3Ni05NDdjLTc4MDBmMDFmMjkzMw", "type": "PLACE"}}
        ]})))
        .mount(&server)
        .await;
    mount_workspaces(&server).await;
    let mut c = config(&server);
    c.fax_rule = FaxRule::from_patterns(true, None, None).unwrap();
    let names = fax_names(c).await;
    assert_eq!(names, ["DEN Lobby Phone"]);

    // By a name pattern, without the numbers listing.
    let mut c = config(&server);
    c.fax_rule = FaxRule::from_patterns(false, Some("(?i)boardroom"), None).unwrap();
    let names = fax_names(c).await;
    assert_eq!(names, ["DEN-3 Boardroom"]);

    let err = FaxRule::from_patterns(false, Some("(unclosed"), None).unwrap_err();
    assert_eq!(err.key, "fax_rule.name");
}

async fn fax_names(c: ucx_webex::WebexConfig) -> Vec<String> {
    let snap = WebexFaxWorkspaces::new(c)
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    snap.records
        .iter()
        .filter_map(|r| r.attributes.first("name").map(str::to_owned))
        .collect()
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

#[tokio::test]
async fn avatars_within_the_cap_and_in_known_formats() {
    let server = MockServer::start().await;
    Mock::given(path("/avatar/small"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(PNG))
        .mount(&server)
        .await;
    Mock::given(path("/avatar/big"))
        .respond_with(
            ResponseTemplate::new(200).set_body_bytes([PNG, &vec![0u8; 300 * 1024]].concat()),
        )
        .mount(&server)
        .await;
    Mock::given(path("/avatar/html"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html></html>"))
        .mount(&server)
        .await;
    Mock::given(path("/avatar/gone"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let users = WebexUsers::new(config(&server)).unwrap();
    let client = users.client();
    let ok = client
        .avatar(&format!("{}/avatar/small", server.uri()))
        .await
        .unwrap();
    assert_eq!(ok.format, ImageFormat::Png);
    let big = client
        .avatar(&format!("{}/avatar/big", server.uri()))
        .await
        .unwrap_err();
    assert!(
        matches!(big, AvatarError::TooLarge { limit: 204_800 }),
        "{big:?}"
    );
    let html = client
        .avatar(&format!("{}/avatar/html", server.uri()))
        .await
        .unwrap_err();
    assert!(matches!(html, AvatarError::UnsupportedFormat));
    let gone = client
        .avatar(&format!("{}/avatar/gone", server.uri()))
        .await
        .unwrap_err();
    assert!(matches!(gone, AvatarError::NotFound));
    // No token is sent to the avatar host.
    let requests = server.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .all(|r| !r.headers.contains_key("authorization"))
    );
}

#[test]
fn ids_decode_in_every_shape_seen() {
    use base64::Engine;
    let std = base64::engine::general_purpose::STANDARD;
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let cases = [
        (std.encode("ciscospark://us/PEOPLE/31f63033-77cb-5b42-8673-6d3ebdeac9f0"), "PEOPLE", "31f63033-77cb-5b42-8673-6d3ebdeac9f0"),
        (std.encode("ciscospark://us/PLACES/5101B07B-4F8F-4EF7-B565-DB19C7B723F7"), "PLACE", "5101b07b-4f8f-4ef7-b565-db19c7b723f7"),
        (std.encode("ciscospark://urn:TEAM:us-east-1_int13/PLACE/842938d5-1d5a-4d5b-9c40-e3a7c0d8d3c4"), "PLACE", "842938d5-1d5a-4d5b-9c40-e3a7c0d8d3c4"),
        (url.encode("ciscospark://us/LOCATION/63715"), "LOCATION", "63715"),
        (url.encode("ciscospark://us/PEOPLE/ff?>ff-0000"), "PEOPLE", "ff?>ff-0000"),
        ("Y2lzY29zcGFyazovL3VzL0hVTlRfR1JPVVAvYXpkeE1uaDNPV1F4YlVBNE1USXpORFUyTnk1cGJuUXhNQzVpWTJ4a0xuZGxZbVY0TG1OdmJR".to_owned(), "HUNT_GROUP", "azdxmnh3owqxbua4mtizndu2ny5pbnqxmc5iy2xklndlymv4lmnvbq"),
    ];
    for (raw, kind, segment) in cases {
        let id = WebexId::decode(&raw).unwrap_or_else(|| panic!("{raw}"));
        assert_eq!(
            (id.kind.as_str(), id.segment.as_str()),
            (kind, segment),
            "{raw}"
        );
    }
    let bare = WebexId::decode("31F63033-77CB-5B42-8673-6D3EBDEAC9F0").unwrap();
    assert_eq!(bare.segment, "31f63033-77cb-5b42-8673-6d3ebdeac9f0");
    assert_eq!(WebexId::decode("not an id"), None);
    assert_eq!(WebexId::decode(""), None);
    let round = WebexId::encode("ORGANIZATION", ORG);
    assert_eq!(WebexId::decode(&round).unwrap().segment, ORG);
}

#[tokio::test]
async fn hunt_groups_sharing_an_extension_in_two_locations_are_all_imported() {
    use ucx_sync_core::{DiffOptions, RecordMapper, diff};
    // Hunt groups in Denver and Austin both at 60000 (real tenants do this); only the ESN
    // tells them apart, and no field is unique by default.
    let server = MockServer::start().await;
    mount_directory(&server).await;
    Mock::given(path("/v1/telephony/config/huntGroups"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            include_str!("../../../fixtures/webex/hunt-groups-overlapping.json"),
            "application/json",
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    mount_virtual(&server).await;
    mock::mount_catch_all(&server).await;
    let source = WebexVirtualObjects::new(config(&server)).unwrap();
    let snap = source.snapshot(ListRequest::all()).await.unwrap();
    let rules = ucx_mapping::RuleSet::builtin("webex-virtual").unwrap();
    let plan = diff(
        source.source_id(),
        &[],
        snap.records.iter().map(|r| rules.map(r)),
        true,
        &DiffOptions::default(),
    );
    assert_eq!(plan.counts.add, snap.records.len());
    assert_eq!((plan.counts.conflict, plan.counts.held_back), (0, 0));
    let mut hunt: Vec<(String, String, String)> = plan
        .adds
        .iter()
        .filter(|a| {
            a.kind == ObjectKind::HuntGroup
                && a.fields.get_str("first_extension_number_alias") == Some("60000")
        })
        .map(|a| {
            (
                a.fields
                    .get_str("first_extension_number")
                    .unwrap()
                    .to_owned(),
                a.fields
                    .get_str("first_extension_number_alias")
                    .unwrap()
                    .to_owned(),
                a.fields.get_str("username").unwrap().to_owned(),
            )
        })
        .collect();
    hunt.sort();
    assert_eq!(
        hunt,
        [
            (
                "810160000".to_owned(),
                "60000".to_owned(),
                "HG_810160000".to_owned()
            ),
            (
                "810260000".to_owned(),
                "60000".to_owned(),
                "HG_810260000".to_owned()
            )
        ]
    );
}
