//! The built-in Webex rule sets read what the connector emits: records from the fixtures map
//! into the users-database fields of the product's tables.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::*;
use ucx_mapping::RuleSet;
use ucx_sync_core::{Desired, ListRequest, RecordMapper, SourceAdapterExt};
use ucx_testkit::mock;
use ucx_webex::{WebexFaxWorkspaces, WebexUsers, WebexVirtualObjects};
use wiremock::MockServer;

fn field<'a>(d: &'a Desired, name: &str) -> Option<&'a str> {
    d.always.get_str(name).or_else(|| d.on_create.get_str(name))
}

#[tokio::test]
async fn fixture_records_map_through_the_builtin_rule_sets() {
    let server = MockServer::start().await;
    mount_directory(&server).await;
    mount_people(&server).await;
    mount_virtual(&server).await;
    mock::mount_catch_all(&server).await;

    let users = WebexUsers::new(config(&server)).unwrap();
    let snap = users.snapshot(ListRequest::all()).await.unwrap();
    let rules = RuleSet::builtin("webex-users").unwrap();
    let alice = snap
        .records
        .iter()
        .find(|r| r.key.as_str() == "alice.anders@example.com")
        .unwrap();
    let d = rules.map(alice).unwrap();
    for (name, want) in [
        ("first_extension_number", "81011001"),
        ("first_extension_number_alias", "1001"),
        ("active_directory_username", "alice.anders"),
        ("domain", "example.com"),
        ("office_location", "HQ Denver"),
        ("fax_company_name", "Example Corp"),
        ("cdr_user_id", "31f63033-77cb-5b42-8673-6d3ebdeac9f0"),
        ("voicemail_number", "*5581011001"),
        ("user_address", "100 Example Plaza, 80202 Denver, CO - US"),
        ("preferred_language", "EN"),
    ] {
        assert_eq!(field(&d, name), Some(want), "{name}");
    }
    for r in &snap.records {
        rules.map(r).unwrap();
    }

    let virt = WebexVirtualObjects::new(config(&server)).unwrap();
    let snap = virt.snapshot(ListRequest::all()).await.unwrap();
    let rules = RuleSet::builtin("webex-virtual").unwrap();
    let sales = snap
        .records
        .iter()
        .find(|r| r.attributes.first("name") == Some("Sales Team"))
        .unwrap();
    let d = rules.map(sales).unwrap();
    assert_eq!(field(&d, "username"), Some("HG_13035550110"));
    assert_eq!(field(&d, "last_name"), Some("Sales Team"));
    assert_eq!(field(&d, "department"), Some("Example Corp"));
    for r in &snap.records {
        rules.map(r).unwrap();
    }

    let fax = WebexFaxWorkspaces::new(config(&server)).unwrap();
    let snap = fax.snapshot(ListRequest::all()).await.unwrap();
    let rules = RuleSet::builtin("webex-fax").unwrap();
    let d = rules.map(&snap.records[0]).unwrap();
    assert_eq!(field(&d, "username"), Some("WSF_13035550150"));
    // A workspace has no address of its own: its location's is the user address.
    assert_eq!(
        field(&d, "user_address"),
        Some("100 Example Plaza, 80202 Denver, CO - US")
    );
}
