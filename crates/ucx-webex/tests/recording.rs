//! Call-recording External Identifiers: read for calling people and workspaces with bounded
//! concurrency, reused from the previous snapshot, and the default of PBX Username, Device name
//! and Preferred Device name (seed 000, the WxC MT recording note).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use support::*;
use ucx_sync_core::{ErrorKind, ListRequest, RecordMapper, SourceAdapter, SourceAdapterExt};
use ucx_testkit::fixtures::recording_external_id;
use ucx_testkit::{attr, by_key, mock};
use ucx_webex::{WebexFaxWorkspaces, WebexUsers};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const RECORDING: &str = "^/v1/(people|workspaces)/[^/]+/features/callRecording$";

async fn recording_requests(server: &MockServer) -> usize {
    let re = regex::Regex::new(RECORDING).unwrap();
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| re.is_match(r.url.path()))
        .count()
}

#[tokio::test]
async fn calling_people_get_their_recording_id_and_the_rules_use_it() {
    let server = full_server().await;
    let users = WebexUsers::new(config(&server)).unwrap();
    let snap = users.snapshot(ListRequest::all()).await.unwrap();
    let recs = by_key(snap.records.clone());
    let alice = &recs["alice.anders@example.com"];
    let id = attr(alice, "nativeUserId").unwrap();
    assert_eq!(
        attr(alice, "recordingExternalId"),
        Some(recording_external_id(id).as_str())
    );
    // Carol has no calling location: nothing is asked for her.
    assert_eq!(
        attr(&recs["carol.chen@example.com"], "recordingExternalId"),
        None
    );
    let calling = snap
        .records
        .iter()
        .filter(|r| attr(r, "location.name").is_some())
        .count();
    assert_eq!(recording_requests(&server).await, calling);

    let rules = ucx_mapping::RuleSet::builtin("webex-users").unwrap();
    let d = rules.map(alice).unwrap();
    for f in ["pbx_username", "device_name", "preferred_device_name"] {
        assert_eq!(
            d.always.get_str(f),
            Some(recording_external_id(id).as_str()),
            "{f}"
        );
    }
    // Without a recording id: the Webex id, as before.
    let carol = rules.map(&recs["carol.chen@example.com"]).unwrap();
    assert_eq!(
        carol.always.get_str("pbx_username"),
        attr(&recs["carol.chen@example.com"], "nativeUserId")
    );
}

#[tokio::test]
async fn a_re_sync_asks_only_for_people_it_has_not_seen() {
    let server = full_server().await;
    let users = WebexUsers::new(config(&server)).unwrap();
    assert!(users.capabilities().reads_previous);
    let mut first = users.snapshot(ListRequest::all()).await.unwrap();
    let asked = recording_requests(&server).await;
    assert!(asked >= 2, "{asked}");
    // Forget one person's id, as if they were new since the last read.
    let alice = first
        .records
        .iter_mut()
        .find(|r| r.key.as_str() == "alice.anders@example.com")
        .unwrap();
    alice.attributes = alice
        .attributes
        .with("recordingExternalId", Vec::<String>::new());
    let again = users
        .snapshot(ListRequest::all().with_previous(Some(Arc::new(first.clone()))))
        .await
        .unwrap();
    assert_eq!(
        recording_requests(&server).await,
        asked + 1,
        "only Alice asked again"
    );
    let ids = |s: &ucx_sync_core::Snapshot| {
        s.records
            .iter()
            .map(|r| attr(r, "recordingExternalId").map(str::to_owned))
            .collect::<Vec<_>>()
    };
    let fresh = users.snapshot(ListRequest::all()).await.unwrap();
    assert_eq!(ids(&again), ids(&fresh), "the same as a full read");
}

#[tokio::test]
async fn a_person_without_recording_settings_has_no_id_and_a_failure_fails_the_read() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    mount_people(&server).await;
    Mock::given(method("GET"))
        .and(path_regex(RECORDING))
        .respond_with(
            ResponseTemplate::new(404).set_body_raw(fixture("error-404.json"), "application/json"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    mock::mount_catch_all(&server).await;
    let snap = WebexUsers::new(config(&server))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    assert!(
        snap.records
            .iter()
            .all(|r| attr(r, "recordingExternalId").is_none())
    );

    // A 500 that outlasts the retries fails the read: the previous snapshot is kept, so no
    // user's PBX username falls back to another identifier for a run.
    let server = MockServer::start().await;
    mount_directory(&server).await;
    mount_people(&server).await;
    Mock::given(method("GET"))
        .and(path_regex(RECORDING))
        .respond_with(ResponseTemplate::new(500))
        .with_priority(1)
        .mount(&server)
        .await;
    mock::mount_catch_all(&server).await;
    let err = WebexUsers::new(config(&server))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.to_string().contains("call recording"), "{err}");
}

#[tokio::test]
async fn switched_off_nothing_is_asked() {
    let server = full_server().await;
    let mut c = config(&server);
    c.recording_ids = false;
    let users = WebexUsers::new(c).unwrap();
    assert!(!users.capabilities().reads_previous);
    let snap = users.snapshot(ListRequest::all()).await.unwrap();
    assert!(!snap.records.is_empty());
    assert_eq!(recording_requests(&server).await, 0);
}

#[tokio::test]
async fn a_fax_workspace_device_name_is_its_recording_id() {
    // Footnote ****: a workspace's device name is the External Identifier of its call
    // recording platform information.
    let server = MockServer::start().await;
    mount_directory(&server).await;
    mount_virtual(&server).await;
    mock::mount_catch_all(&server).await;
    let fax = WebexFaxWorkspaces::new(config(&server)).unwrap();
    let snap = fax.snapshot(ListRequest::all()).await.unwrap();
    let r = &snap.records[0];
    let id = attr(r, "nativeUserId").unwrap();
    let d = ucx_mapping::RuleSet::builtin("webex-fax")
        .unwrap()
        .map(r)
        .unwrap();
    assert_eq!(
        d.always.get_str("device_name"),
        Some(recording_external_id(id).as_str())
    );
}

#[tokio::test]
async fn the_pipeline_passes_the_stored_snapshot_so_a_second_refresh_asks_nothing() {
    use ucx_sync_core::{MemoryStore, SourceSetup, Synchronizer};
    let server = full_server().await;
    let setup = SourceSetup::new(
        Arc::new(WebexUsers::new(config(&server)).unwrap()),
        Arc::new(ucx_mapping::RuleSet::builtin("webex-users").unwrap()),
    );
    let sync = Synchronizer::new(Arc::new(MemoryStore::new()));
    sync.refresh(&setup).await.unwrap();
    let asked = recording_requests(&server).await;
    assert!(asked >= 2);
    sync.refresh_and_sync(&setup, &|_| {}).await.unwrap();
    assert_eq!(recording_requests(&server).await, asked, "every id reused");
}
