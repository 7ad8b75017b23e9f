//! Users' pictures from Webex avatars: the image itself is stored beside the user (seed 000:
//! at most 200 KB, png/jpg/jpeg/bmp), fetched again only when the avatar URL changes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use support::*;
use ucx_sync_core::{ImageFormat, MemoryStore, SourceSetup, Synchronizer, UsersStore};
use ucx_testkit::fixtures::AVATAR_PNG;
use ucx_testkit::mock;
use ucx_webex::WebexUsers;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn setup(server: &MockServer, configure: impl FnOnce(&mut ucx_webex::WebexConfig)) -> SourceSetup {
    let mut c = config(server);
    configure(&mut c);
    SourceSetup::new(
        Arc::new(WebexUsers::new(c).unwrap()),
        Arc::new(ucx_mapping::RuleSet::builtin("webex-users").unwrap()),
    )
}

async fn avatar_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().starts_with("/avatars/"))
        .count()
}

#[tokio::test]
async fn avatars_are_stored_with_their_users_and_fetched_again_only_when_they_change() {
    let server = full_server().await;
    let store = Arc::new(MemoryStore::new());
    let sync = Synchronizer::new(store.clone());
    let s = setup(&server, |_| {});
    sync.refresh_and_sync(&s, &|_| {}).await.unwrap();
    let report = sync.sync_pictures(&s).await.unwrap();
    assert_eq!((report.stored, report.failed.len()), (2, 0), "{report:?}");
    let users = store.users().await.unwrap();
    let alice = users
        .iter()
        .find(|u| u.key.as_str() == "alice.anders@example.com")
        .unwrap();
    let (meta, bytes) = store.picture(alice.id).await.unwrap().unwrap();
    assert_eq!(bytes.as_ref(), AVATAR_PNG);
    assert_eq!(meta.format, ImageFormat::Png);
    assert_eq!(meta.size, AVATAR_PNG.len());
    assert_eq!(
        Some(meta.reference.as_str()),
        alice.fields.get_str("picture")
    );
    assert_eq!(avatar_requests(&server).await, 2);

    // Unchanged URLs: nothing is fetched.
    let again = sync.sync_pictures(&s).await.unwrap();
    assert_eq!((again.stored, again.removed, again.failed.len()), (0, 0, 0));
    assert_eq!(avatar_requests(&server).await, 2);
}

#[tokio::test]
async fn a_picture_over_the_limit_or_not_an_image_is_reported_and_the_user_still_synced() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    Mock::given(method("GET"))
        .and(path_regex("^/avatars/.*31f63033"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(vec![0xFFu8; 300 * 1024], "image/png"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/avatars/.*e222219e"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("<html>not an image</html>", "text/html"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    mount_people(&server).await;
    mock::mount_catch_all(&server).await;
    let store = Arc::new(MemoryStore::new());
    let sync = Synchronizer::new(store.clone());
    let s = setup(&server, |_| {});
    let (_, out) = sync.refresh_and_sync(&s, &|_| {}).await.unwrap();
    assert_eq!(out.plan.counts.add, 5, "every user is synced");
    let report = sync.sync_pictures(&s).await.unwrap();
    assert_eq!(report.stored, 0);
    let reasons: Vec<&str> = report.failed.iter().map(|(_, why)| why.as_str()).collect();
    assert_eq!(report.failed.len(), 2, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("larger than 204800 bytes")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("not a PNG, JPEG or BMP")),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn switched_off_no_picture_is_fetched() {
    let server = full_server().await;
    let s = setup(&server, |c| c.pictures = false);
    assert!(s.adapter.pictures().is_none());
    let sync = Synchronizer::new(Arc::new(MemoryStore::new()));
    sync.refresh_and_sync(&s, &|_| {}).await.unwrap();
    assert_eq!(sync.sync_pictures(&s).await.unwrap(), Default::default());
    assert_eq!(avatar_requests(&server).await, 0);
}
