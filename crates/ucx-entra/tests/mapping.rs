//! The built-in `entra` rule set reads what the connector emits.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;
use ucx_entra::EntraUsers;
use ucx_sync_core::{ListRequest, RecordMapper, SourceAdapterExt};
use ucx_testkit::by_key;
use wiremock::MockServer;

#[tokio::test]
async fn fixture_users_map_through_the_builtin_entra_rules() {
    let server = MockServer::start().await;
    mount_token(&server).await;
    mount_users(&server).await;
    let snap = EntraUsers::new(config(&server))
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    let rules = ucx_mapping::RuleSet::builtin("entra").unwrap();
    let recs = by_key(snap.records);
    let bruno = rules.map(&recs["bcarvalho@example.com"]).unwrap();
    let get = |f: &str| bruno.always.get_str(f).map(str::to_owned);
    assert_eq!(get("email").as_deref(), Some("bruno.carvalho@example.com"));
    assert_eq!(get("sso_id").as_deref(), Some("bcarvalho@example.com"));
    assert_eq!(
        get("first_extension_number").as_deref(),
        Some("+351 21 555 0107")
    );
    assert_eq!(
        get("active_directory_username").as_deref(),
        Some("bcarvalho")
    );
    assert_eq!(
        get("cdr_user_id").as_deref(),
        Some("8c1e5f2a-4d9b-4a7e-b3c6-9e2f1d8a5b47")
    );
    for r in recs.values() {
        rules.map(r).unwrap();
    }
}
