//! What a user sees when the tenant is untidy: overlapping extensions, a reused email, a source
//! that lists nobody or lost most of its people, a field cleared everywhere at once, a saved
//! plan applied later, a phone filter, a uniqueness rule that holds values back. Each through
//! the `ucx-sync` binary against a mock Webex, with the exit code a cron job would see.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use base64::Engine;
use serde_json::{Value, json};
use wiremock::MockServer;

const DENVER: &str =
    "Y2lzY29zcGFyazovL3VzL0xPQ0FUSU9OLzZhNGViYTM1LWFjMWQtNTE0ZC04ZDk4LWE2NGEwMzgxOTM3OA";

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ucx-cli-safety-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A person in HQ Denver (routing prefix 8101) with People id `ciscospark://us/PEOPLE/<uuid>`.
fn person(n: u32, email: &str, extension: &str, extra: Value) -> Value {
    let uuid = format!("00000000-0000-4000-8000-{n:012}");
    let id = base64::engine::general_purpose::STANDARD_NO_PAD
        .encode(format!("ciscospark://us/PEOPLE/{uuid}"));
    let mut p = json!({
        "id": id,
        "emails": [email],
        "phoneNumbers": [{"type": "work_extension", "value": format!("8101{extension}"), "primary": false}],
        "extension": extension,
        "locationId": DENVER,
        "displayName": email,
        "firstName": "First",
        "lastName": format!("Last{n}"),
        "orgId": "Y2lzY29zcGFyazovL3VzL09SR0FOSVpBVElPTi9jNzFkNzdhMy0zNmE3LTVmM2ItYmQ3MS0xZjJlM2ZlMTY5YjQ",
        "type": "person",
        "status": "active",
        "created": "2025-01-01T00:00:00.000Z"
    });
    if let (Some(p), Some(extra)) = (p.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            p.insert(k.clone(), v.clone());
        }
    }
    p
}

fn people(n: u32, extra: impl Fn(u32) -> Value) -> Vec<Value> {
    (1..=n)
        .map(|i| {
            person(
                i,
                &format!("user{i}@example.com"),
                &format!("{}", 2000 + i),
                extra(i),
            )
        })
        .collect()
}

/// A mock Webex listing `items` (the organisation's locations from the bundled fixtures).
async fn serve(server: &MockServer, items: &[Value]) {
    server.reset().await;
    ucx_testkit::fixtures::webex_directory(server).await;
    ucx_testkit::fixtures::webex_people_body(server, &json!({ "items": items }).to_string()).await;
}

/// A mock Webex serving the bundled people whose extensions overlap across two locations.
async fn overlapping() -> MockServer {
    let server = MockServer::start().await;
    ucx_testkit::fixtures::webex_directory(&server).await;
    ucx_testkit::fixtures::webex_people_body(
        &server,
        ucx_testkit::fixtures::WEBEX_PEOPLE_OVERLAPPING,
    )
    .await;
    server
}

fn config(dir: &Path, server: &MockServer, extra: &str) -> PathBuf {
    let file = dir.join("ucx-sync.toml");
    std::fs::write(
        &file,
        format!(
            r#"[store]
path = "users.db"

[[sources]]
name = "webex"
kind = "webex-users"
base_url = "{}/v1/"
org_id = "c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4"
token = "env:WEBEX_TOKEN"
{extra}
"#,
            server.uri()
        ),
    )
    .unwrap();
    file
}

fn ucx(file: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("ucx-sync")
        .unwrap()
        .arg("--config")
        .arg(file)
        .args(args)
        .env("WEBEX_TOKEN", "test-token")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn plan_json(file: &Path) -> Value {
    let out = ucx(file, &["plan", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn overlapping_extensions_across_locations_are_all_imported_with_their_esn() {
    let server = overlapping().await;
    let d = dir("overlap");
    let file = config(&d, &server, "");
    assert!(ucx(&file, &["refresh"]).status.success());
    let plan = plan_json(&file);
    assert_eq!(plan["counts"]["add"], 6, "{plan:#}");
    assert_eq!(plan["counts"]["conflict"], 0);
    let mut got: Vec<(String, String)> = plan["adds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["fields"]["first_extension_number_alias"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                a["fields"]["first_extension_number"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(String, String)> = ["1001", "1002", "1003"]
        .iter()
        .flat_map(|e| {
            [
                (e.to_string(), format!("8101{e}")),
                (e.to_string(), format!("8102{e}")),
            ]
        })
        .collect();
    assert_eq!(got, want);
    let out = ucx(&file, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_unique_rule_imports_everyone_holds_values_back_and_exits_4() {
    let server = overlapping().await;
    let d = dir("unique");
    let file = config(
        &d,
        &server,
        "[[sources.unique]]\nfield = \"first_extension_number_alias\"",
    );
    let out = ucx(&file, &["run", "--once"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(4), "{t}");
    assert!(t.contains("6 added") && t.contains("3 not applied"), "{t}");
    assert!(t.contains("3 values held back"), "{t}");
    let status = text(&ucx(&file, &["status"]));
    assert!(
        status.contains("not applied:") && status.contains("3 values held back"),
        "{status}"
    );

    // A rule on a field the rules never write is a configuration error naming the key.
    let file = config(&d, &server, "[[sources.unique]]\nfield = \"no_such_field\"");
    let out = ucx(&file, &["config", "check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("unique[0]"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reused_email_replaces_the_user_instead_of_updating_it() {
    let server = MockServer::start().await;
    let d = dir("reuse");
    serve(&server, &[person(1, "ann@example.com", "1001", json!({}))]).await;
    let file = config(&d, &server, "");
    assert!(ucx(&file, &["run", "--once"]).status.success());

    // Ann leaves; a newcomer gets her address (a new People id) and another extension.
    serve(&server, &[person(5, "ann@example.com", "1005", json!({}))]).await;
    assert!(ucx(&file, &["refresh"]).status.success());
    let out = ucx(&file, &["plan"]);
    let t = text(&out);
    assert!(
        t.contains("1 to replace") && t.contains("0 to update"),
        "{t}"
    );
    assert!(
        t.contains("± ann@example.com (another person: source id 00000000-0000-4000-8000-000000000001 → 00000000-0000-4000-8000-000000000005"),
        "{t}"
    );
    let plan = plan_json(&file);
    assert_eq!(
        plan["replaces"][0]["fields"]["first_extension_number"],
        "81011005"
    );
    let out = ucx(&file, &["apply"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The stored user is the newcomer now: nothing left to do.
    let plan = plan_json(&file);
    assert_eq!(plan["counts"]["unchanged"], 1, "{plan:#}");
    assert_eq!(plan["counts"]["replace"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_listing_is_refused_and_deletes_nobody() {
    let server = MockServer::start().await;
    let d = dir("empty");
    serve(&server, &people(2, |_| json!({}))).await;
    let file = config(&d, &server, "");
    assert!(ucx(&file, &["run", "--once"]).status.success());

    serve(&server, &[]).await;
    let out = ucx(&file, &["run", "--once"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("listed no record but owns 2 users"), "{t}");
    assert!(t.contains("--allow-empty"), "{t}");
    let plan = plan_json(&file);
    assert_eq!(plan["counts"]["delete"], 2, "the plan shows what would go");
    let out = ucx(&file, &["apply"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    // After review, the operator accepts it.
    let out = ucx(&file, &["apply", "--allow-empty"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(plan_json(&file)["counts"]["delete"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ten_user_tenant_listing_two_trips_the_delete_guard() {
    let server = MockServer::start().await;
    let d = dir("shrink");
    serve(&server, &people(10, |_| json!({}))).await;
    let file = config(&d, &server, "");
    assert!(ucx(&file, &["run", "--once"]).status.success());

    serve(&server, &people(2, |_| json!({}))).await;
    let out = ucx(&file, &["run", "--once"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("8 of the source's 10 users (80.0%)"), "{t}");
    assert_eq!(plan_json(&file)["counts"]["delete"], 8);
    // One leaver of ten is within the allowance.
    serve(&server, &people(9, |_| json!({}))).await;
    let out = ucx(&file, &["run", "--once"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_field_cleared_on_every_user_trips_the_clear_guard() {
    let server = MockServer::start().await;
    let d = dir("clear");
    serve(&server, &people(10, |_| json!({"department": "Sales"}))).await;
    let file = config(&d, &server, "");
    assert!(ucx(&file, &["run", "--once"]).status.success());

    // A permission change at the source: nobody has a department any more.
    serve(&server, &people(10, |_| json!({}))).await;
    let out = ucx(&file, &["run", "--once"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    // The department feeds both `department` and `cost_center`; the first by name is named.
    assert!(
        t.contains("clears cost_center on 10 of the source's 10 users (100.0%)"),
        "{t}"
    );
    let out = ucx(&file, &["apply", "--allow-clears"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_is_applied_as_reviewed_and_refused_once_stale() {
    let server = MockServer::start().await;
    let d = dir("saved");
    serve(&server, &people(3, |_| json!({}))).await;
    let file = config(&d, &server, "");
    assert!(ucx(&file, &["refresh"]).status.success());
    let saved = d.join("plan.json");
    let out = ucx(&file, &["plan", "webex", "--out", saved.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let out = ucx(
        &file,
        &["apply", "webex", "--plan", saved.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("3 to add"));
    // The same file again: the users database changed since it was made.
    let out = ucx(
        &file,
        &["apply", "webex", "--plan", saved.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("the users database changed since"),
        "{}",
        text(&out)
    );

    // A plan made, then a refresh: the snapshot changed.
    serve(&server, &people(4, |_| json!({}))).await;
    assert!(ucx(&file, &["refresh"]).status.success());
    let out = ucx(&file, &["plan", "webex", "--out", saved.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(ucx(&file, &["refresh"]).status.success());
    let out = ucx(
        &file,
        &["apply", "webex", "--plan", saved.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("the source was refreshed since"),
        "{}",
        text(&out)
    );
    assert_eq!(plan_json(&file)["counts"]["add"], 1, "nothing was applied");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_filter_matches_formatted_numbers_in_a_sync() {
    let server = MockServer::start().await;
    let d = dir("phone");
    serve(
        &server,
        &[
            person(
                1,
                "in@example.com",
                "1001",
                json!({"phoneNumbers": [{"type": "work", "value": "+1 555-456 0101", "primary": true}]}),
            ),
            person(
                2,
                "out@example.com",
                "1002",
                json!({"phoneNumbers": [{"type": "work", "value": "+1 555-999 0102", "primary": true}]}),
            ),
        ],
    )
    .await;
    let file = config(&d, &server, "filter = \"(phoneNumber=+1555456*)\"");
    assert!(ucx(&file, &["refresh"]).status.success());
    let plan = plan_json(&file);
    let keys: Vec<&str> = plan["adds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["in@example.com"], "{plan:#}");
    // The same as `filter test --schema webex` says.
    let out = Command::cargo_bin("ucx-sync")
        .unwrap()
        .args([
            "filter",
            "test",
            "--schema",
            "webex",
            "(phoneNumber=+1555456*)",
            "--record",
            r#"{"phoneNumber":["+1 555-456 0101"]}"#,
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}
