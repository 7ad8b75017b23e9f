//! The `ucx-sync` binary end to end: the demo, config check, and refresh / plan / apply /
//! status against a mock Webex, with the exit codes and the JSON plan.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use wiremock::matchers::{path, path_regex, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../fixtures/webex")
            .join(name),
    )
    .unwrap()
}

fn json(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ucx-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn ucx(config: &Path) -> Command {
    let mut c = Command::cargo_bin("ucx-sync").unwrap();
    c.arg("--config")
        .arg(config)
        .env("WEBEX_TOKEN", "test-token");
    c
}

fn write_config(dir: &Path, server: &MockServer, extra: &str) -> PathBuf {
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

/// `ucx-sync run` in the background, its output captured.
fn spawn_run(config: &Path) -> std::process::Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin("ucx-sync"))
        .arg("--config")
        .arg(config)
        .arg("run")
        .env("WEBEX_TOKEN", "t")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Locations, organisation, and people: all five, or only the first page's three.
async fn webex(all: bool) -> MockServer {
    let s = MockServer::start().await;
    ucx_testkit::fixtures::webex_directory(&s).await;
    ucx_testkit::fixtures::webex_people(&s, all).await;
    s
}

#[test]
fn the_demo_syncs_three_sources_twice() {
    let d = dir("demo");
    let out = Command::cargo_bin("ucx-sync")
        .unwrap()
        .args(["demo", "--db"])
        .arg(d.join("demo.db"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("5 to add"), "{text}");
    assert!(text.contains("4 to add"), "{text}");
    assert!(text.contains("7 to add"), "{text}");
    assert!(text.contains("28 users in the database"), "{text}");
    // Rows of the product tables, as stored (issue 15's demo).
    for line in [
        "hunt group Sales Team: username HG_13035550110 (digits only)",
        "fax workspace DEN Accounting Fax: username WSF_81011500, fax number 81011500",
        "@64941297.int10.bcld.webex.com (the call-recording External Identifier)",
        "picture stored, 73 bytes of png",
        "pictures: 2 stored, 0 unchanged, 0 removed, 0 not stored",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert!(text.contains("The second sync changed nothing"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn config_errors_name_the_key_and_line_and_exit_2() {
    let server = MockServer::start().await;
    let d = dir("config");
    let file = write_config(&d, &server, "bsae_url = \"typo\"");
    let out = ucx(&file).args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 10") && err.contains("bsae_url"), "{err}");

    let file = write_config(&d, &server, "");
    std::fs::write(
        &file,
        std::fs::read_to_string(&file)
            .unwrap()
            .replace("env:WEBEX_TOKEN", "plain-token"),
    )
    .unwrap();
    let out = ucx(&file).args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must be a reference"));

    let file = write_config(&d, &server, "filter = \"(title=Boss)\"");
    let out = ucx(&file).args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Invalid LDAP filters"));

    let file = write_config(
        &d,
        &server,
        "filter = \"(department=Sales)\"\nschedule = \"6h\"",
    );
    ucx(&file).args(["config", "check"]).assert().success();

    // The workers' table: each bad value names its key; an unknown key is named with its line.
    for (workers, named) in [
        (
            "missed_heartbeats = 2",
            "`workers.missed_heartbeats` must be at least 3",
        ),
        (
            "concurrency = 0",
            "`workers.concurrency` must be at least 1",
        ),
        ("heartbeat = \"soon\"", "`workers.heartbeat`"),
        ("queue = \" \"", "`workers.queue` is empty"),
        ("heartbeats = \"30s\"", "heartbeats"),
    ] {
        let file = write_config(&d, &server, "");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("[workers]\n{workers}\n\n{text}")).unwrap();
        let out = ucx(&file).args(["config", "check"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{workers}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(named), "{workers}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_plan_apply_status_and_a_guard_stop() {
    let server = webex(true).await;
    let d = dir("flow");
    let file = write_config(&d, &server, "[sources.guard]\nmax_deletes = 1");

    ucx(&file).args(["check"]).assert().success();
    let out = ucx(&file).args(["refresh"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 records"));

    let out = ucx(&file).args(["plan", "--json"]).output().unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["counts"]["add"], 5);
    assert_eq!(plan["adds"].as_array().unwrap().len(), 5);

    ucx(&file).args(["apply"]).assert().success();
    let out = ucx(&file).args(["status"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("snapshot updated at") && text.contains("(5 records)"),
        "{text}"
    );
    assert!(text.contains("Applied"), "{text}");

    // The source now lists only three people: two deletes, over max_deletes = 1.
    drop(server);
    let server = webex(false).await;
    let file = write_config(&d, &server, "[sources.guard]\nmax_deletes = 1");
    ucx(&file).args(["refresh"]).assert().success();
    let out = ucx(&file).args(["apply"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("max_deletes"));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 to delete"));
    let status =
        String::from_utf8_lossy(&ucx(&file).args(["status"]).output().unwrap().stdout).into_owned();
    assert!(status.contains("Blocked"), "{status}");
    // Reviewed: let them go.
    ucx(&file)
        .args(["apply", "--allow-deletes"])
        .assert()
        .success();
    let out = ucx(&file).args(["plan"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 to delete"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_refresh_keeps_the_snapshot_and_exits_1() {
    let server = webex(true).await;
    let d = dir("interrupted");
    let file = write_config(&d, &server, "");
    ucx(&file).args(["refresh"]).assert().success();
    drop(server);

    // Page 2 fails for good: the refresh fails, the previous snapshot stays.
    let failing = MockServer::start().await;
    Mock::given(path("/v1/locations"))
        .respond_with(json(fixture("locations.json")))
        .mount(&failing)
        .await;
    Mock::given(path("/v1/telephony/config/locations"))
        .respond_with(json(fixture("telephony-locations.json")))
        .mount(&failing)
        .await;
    Mock::given(path_regex("^/v1/organizations/"))
        .respond_with(json(fixture("organization.json")))
        .mount(&failing)
        .await;
    Mock::given(path("/v1/people"))
        .respond_with(ResponseTemplate::new(400).set_body_string(r#"{"message":"broken"}"#))
        .mount(&failing)
        .await;
    let file = write_config(&d, &failing, "");
    let out = ucx(&file).args(["refresh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken"));
    let status =
        String::from_utf8_lossy(&ucx(&file).args(["status"]).output().unwrap().stdout).into_owned();
    assert!(
        status.contains("(5 records)") && status.contains("in progress:          no"),
        "{status}"
    );

    // Resumed: the source answers again.
    let server = webex(true).await;
    let file = write_config(&d, &server, "");
    ucx(&file).args(["refresh"]).assert().success();
    ucx(&file).args(["apply"]).assert().success();
}

#[tokio::test(flavor = "multi_thread")]
async fn rules_and_explain() {
    let server = webex(true).await;
    let d = dir("rules");
    let file = write_config(&d, &server, "");
    let out = ucx(&file)
        .args(["rules", "show", "webex"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("first_extension_number") && text.contains("esn | phoneNumber"),
        "{text}"
    );
    ucx(&file).args(["refresh"]).assert().success();
    let out = ucx(&file)
        .args(["explain", "webex", "alice.anders@example.com"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("\"81011001\"") && text.contains("esn=81011001"),
        "{text}"
    );
    let out = ucx(&file)
        .args(["explain", "webex", "nobody@example.com"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = ucx(&file).args(["plan", "nosuchsource"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread")]
async fn all_three_connectors_from_one_configuration() {
    use ucx_testkit::fixtures;
    let (webex, cucm, entra) = (
        webex(true).await,
        MockServer::start().await,
        MockServer::start().await,
    );
    fixtures::cucm_users(&cucm).await;
    fixtures::entra_token(&entra).await;
    fixtures::entra_users(&entra).await;
    let d = dir("three");
    let file = write_config(
        &d,
        &webex,
        &format!(
            r#"
[[sources]]
name = "cucm"
kind = "cucm"
base_url = "{}/axl/"
username = "axl-sync"
password = "env:AXL_PASSWORD"
page_size = 3
email_domain = "example.com"
params = {{ email_domain = "example.com" }}

[[sources]]
name = "entra"
kind = "entra"
base_url = "{}/"
authority_url = "{}/"
tenant = "{}"
client_id = "{}"
client_secret = "file:{}"
filter = "(department=Sales)"
"#,
            cucm.uri(),
            entra.uri(),
            entra.uri(),
            fixtures::ENTRA_TENANT,
            fixtures::ENTRA_CLIENT,
            d.join("entra-secret").display()
        ),
    );
    std::fs::write(d.join("entra-secret"), "secret-from-a-file\n").unwrap();
    let run = |args: &[&str]| {
        let out = ucx(&file)
            .env("AXL_PASSWORD", "axl-secret")
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, out, err) = run(&["check"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(out.matches("STATUS OK").count(), 3, "{out}");
    let (code, out, err) = run(&["refresh"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains("webex: 5 records")
            && out.contains("cucm: 4 records")
            && out.contains("entra: 7 records"),
        "{out}"
    );
    let (code, out, err) = run(&["apply"]);
    assert_eq!(code, Some(0), "{out}{err}");
    // The Entra filter keeps the Sales department only.
    assert!(
        out.contains("5 to add") && out.contains("4 to add"),
        "{out}"
    );
    assert!(out.contains("+ avery.lindqvist@example.com"), "{out}");
    assert!(
        !out.contains("+ bcarvalho@example.com"),
        "filtered out: {out}"
    );
    let (_, out, _) = run(&["status"]);
    assert_eq!(out.matches("Applied").count(), 3, "{out}");
    // Secrets never reach the output.
    let (_, out, err) = run(&["plan", "--json"]);
    assert!(!out.contains("axl-secret") && !err.contains("secret-from-a-file"));
}

#[tokio::test(flavor = "multi_thread")]
async fn run_syncs_on_a_schedule_and_stops_cleanly_on_ctrl_c() {
    let server = webex(true).await;
    let d = dir("run");
    let file = write_config(&d, &server, "schedule = \"1h\"");
    let child = spawn_run(&file);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("webex: 5 records; 5 added"), "{text}");
    assert!(
        text.contains("next run: webex in 3") && text.contains("stopping"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_schedules_each_source_by_its_own_period() {
    let server = webex(true).await;
    let d = dir("run-each");
    let file = write_config(
        &d,
        &server,
        &format!(
            r#"schedule = "1h"

[[sources]]
name = "often"
kind = "webex-users"
base_url = "{}/v1/"
org_id = "0c2d8e5a-1111-4b7e-9c3d-2e4f6a8b0c1d"
token = "env:WEBEX_TOKEN"
schedule = "2s"
"#,
            server.uri()
        ),
    );
    let child = spawn_run(&file);
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // "often" ran at start and again after 2 s; "webex" only at start.
    assert_eq!(text.matches("often: 5 records").count(), 2, "{text}");
    assert_eq!(text.matches("webex: 5 records").count(), 1, "{text}");
    assert!(text.contains("next run: often in"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn run_once_syncs_each_source_once_and_a_failed_read_deletes_nothing() {
    let server = webex(true).await;
    let d = dir("once");
    let file = write_config(&d, &server, "");
    let out = ucx(&file).args(["run", "--once"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("webex: 5 records; 5 added, 0 updated"),
        "{text}"
    );
    let out = ucx(&file).args(["run", "--once"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("5 unchanged, 0 not applied (nothing applied)"),
        "the second run changes nothing: {text}"
    );

    // The same organisation, but the second page of people is gone: the run fails with exit
    // code 1, applies nothing and keeps the previous snapshot.
    let broken = MockServer::start().await;
    ucx_testkit::fixtures::webex_directory(&broken).await;
    let first = json(fixture("people-page1.json")).insert_header(
        "Link",
        format!(
            "<{}/v1/people?max=100&after=P2>; rel=\"next\"",
            broken.uri()
        )
        .as_str(),
    );
    Mock::given(path("/v1/people"))
        .and(query_param_is_missing("after"))
        .respond_with(first)
        .mount(&broken)
        .await;
    let file = write_config(&d, &broken, "");
    let out = ucx(&file).args(["run", "--once"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("webex: refresh failed"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("deleted"));
    let out = ucx(&file).args(["plan"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "0 to add, 0 to update, 0 to rename, 0 to replace, 0 to delete, 0 conflicts, 5 unchanged"
        ),
        "the previous snapshot and the five users are kept: {text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_connector_option_has_a_key_that_config_check_validates() {
    let server = MockServer::start().await;
    let d = dir("options");
    std::fs::write(d.join("proxy-ca.pem"), "not checked until used").unwrap();
    // Every Webex key, accepted.
    let file = write_config(
        &d,
        &server,
        r#"send_org_id = true
organization_name = "Example Corp"
external_id = true
recording_ids = false
lookup_concurrency = 8
feature_page_size = 200
include_cx_queues = true
proxy = "http://proxy.example.com:3128"
extra_ca = ["proxy-ca.pem"]
max_concurrency = 2
fax_rule = { fax_number = true, name = "(?i)fax", notes = "ATA port" }"#,
    );
    let out = ucx(&file).args(["config", "check"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Each bad value names its key.
    for (extra, key) in [
        (r#"fax_rule = { name = "(unclosed" }"#, "fax_rule.name"),
        (
            r#"version = "15.0""#,
            "`version` is not a key of a webex-users source",
        ),
        (
            "lookup_concurrency = 0",
            "`lookup_concurrency` must be at least 1",
        ),
        (r#"proxy = "not a url""#, "`proxy`"),
        (r#"extra_ca = ["missing.pem"]"#, "`extra_ca`"),
        (
            r#"org_ids = ["a", "b"]"#,
            "`org_ids` and `org_id` exclude each other",
        ),
    ] {
        let file = write_config(&d, &server, extra);
        let out = ucx(&file).args(["config", "check"]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra}: {err}");
        assert!(err.contains(key), "{extra}: {err}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partner_source_lists_each_organisation_as_a_source_of_its_own() {
    let server = MockServer::start().await;
    let d = dir("partner");
    let file = d.join("ucx-sync.toml");
    std::fs::write(
        &file,
        format!(
            r#"[[sources]]
name = "partner"
kind = "webex-users"
base_url = "{}/v1/"
token = "env:WEBEX_TOKEN"
org_ids = ["c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4", "0c2d8e5a-1111-4b7e-9c3d-2e4f6a8b0c1d"]

[[sources]]
name = "cucm"
kind = "cucm"
base_url = "cucm.example.com"
username = "axl"
password = "env:AXL_PASSWORD"
version = "11.5"
devices = false
verify_fill = false
"#,
            server.uri()
        ),
    )
    .unwrap();
    let out = ucx(&file)
        .env("AXL_PASSWORD", "secret")
        .args(["config", "check"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("3 sources"), "{text}");
    // Each organisation is a source of its own name.
    let out = ucx(&file)
        .env("AXL_PASSWORD", "secret")
        .args(["status"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "partner/c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4",
        "partner/0c2d8e5a-1111-4b7e-9c3d-2e4f6a8b0c1d",
    ] {
        assert!(text.contains(name), "{text}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_picture_not_stored_is_shown_and_exits_4() {
    use wiremock::matchers::method;
    let server = webex(true).await;
    Mock::given(method("GET"))
        .and(path_regex("^/avatars/.*31f63033"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(vec![0xFFu8; 300 * 1024], "image/png"),
        )
        .with_priority(1)
        .mount(&server)
        .await;
    let d = dir("pictures");
    let file = write_config(&d, &server, "");
    let out = ucx(&file).args(["run", "--once"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(4), "{text}");
    assert!(
        text.contains("pictures: 1 stored, 0 unchanged, 0 removed, 1 not stored"),
        "{text}"
    );
    assert!(
        text.contains(
            "alice.anders@example.com: picture not stored: the picture is larger than 204800 bytes"
        ),
        "{text}"
    );
    // Switched off: no picture pass, a clean exit.
    let file = write_config(&d, &server, "pictures = false");
    let out = ucx(&file).args(["run", "--once"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains("pictures:"), "{text}");
}

/// `status` tells a full refresh from an incremental one, shows the change-feed cursor's age
/// and when the next full read is due; a source without a feed reads in full every time.
#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_kind_of_the_last_refresh_and_the_next_full_read() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let t = ucx_loadgen::serve(listener, ucx_loadgen::Tenant::new(50).with_objects(0)).await;
    let d = dir("status-kinds");
    // The same people in both APIs: each source has a users database of its own.
    let entra = d.join("entra.toml");
    let webex = d.join("webex.toml");
    std::fs::write(
        &entra,
        format!(
            r#"[store]
path = "entra.db"

[[sources]]
name = "entra"
kind = "entra"
base_url = "{uri}/"
authority_url = "{uri}/"
tenant = "{tenant}"
client_id = "bench-client"
client_secret = "env:WEBEX_TOKEN"
full_every = "1d"
"#,
            uri = t.uri(),
            tenant = ucx_loadgen::ENTRA_TENANT,
        ),
    )
    .unwrap();
    std::fs::write(
        &webex,
        format!(
            r#"[store]
path = "webex.db"

[[sources]]
name = "webex"
kind = "webex-users"
base_url = "{uri}/v1/"
org_id = "{org}"
token = "env:WEBEX_TOKEN"
recording_ids = false
pictures = false
"#,
            uri = t.uri(),
            org = ucx_loadgen::WEBEX_ORG
        ),
    )
    .unwrap();
    let status = |file: &Path| {
        let out = ucx(file).args(["status"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let before = status(&entra);
    assert!(before.contains("last refresh:         never"), "{before}");

    ucx(&entra).args(["run", "--once"]).assert().success();
    let first = status(&entra);
    assert!(
        first.contains("last refresh:         full; change-feed cursor"),
        "{first}"
    );
    assert!(
        first.contains("next full read:       20") && first.contains("(every 1d; the last "),
        "{first}"
    );
    ucx(&entra).args(["run", "--once"]).assert().success();
    let second = status(&entra);
    assert!(
        second.contains("last refresh:         incremental (change feed); change-feed cursor"),
        "{second}"
    );

    ucx(&webex).args(["run", "--once"]).assert().success();
    let w = status(&webex);
    assert!(
        w.contains("last refresh:         full; no change-feed cursor")
            && w.contains("next full read:       every refresh (no change feed used)"),
        "{w}"
    );
}

/// A source given a `source_id` after its first syncs finds its users owned by its old, derived
/// id; `move-source` moves them (with the snapshot and runs) in one step, and the next sync
/// changes nothing. Moving onto an id that owns users is refused, and two sources cannot share
/// one id.
#[tokio::test(flavor = "multi_thread")]
async fn a_source_keeps_its_users_when_its_id_is_set_with_move_source() {
    let server = webex(true).await;
    let d = dir("move-source");
    let derived = "webex-users:c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4";
    let file = write_config(&d, &server, "");
    ucx(&file).args(["run", "--once"]).assert().success();

    let file = write_config(&d, &server, "source_id = \"hq-webex\"");
    ucx(&file).args(["refresh"]).assert().success();
    let out = ucx(&file).args(["plan", "--json"]).output().unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(plan["counts"]["add"], 0, "{plan}");
    assert_eq!(plan["counts"]["conflict"], 5, "owned by the old id: {plan}");

    let out = ucx(&file)
        .args(["move-source", derived, "webex", "--dry-run"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("5 users would move"));
    let out = ucx(&file)
        .args(["move-source", derived, "webex"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("5 users, the snapshot and the runs moved from webex-users:c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4 to hq-webex"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = ucx(&file).args(["apply"]).output().unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && t.contains("5 unchanged"), "{t}");
    let status =
        String::from_utf8_lossy(&ucx(&file).args(["status"]).output().unwrap().stdout).into_owned();
    assert!(
        status.contains("webex (hq-webex)") && status.contains("(Planned)"),
        "{status}"
    );

    // Nothing is left under the old id; a move onto an id that owns users is a guard stop.
    let out = ucx(&file)
        .args(["move-source", derived, "webex"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = ucx(&file)
        .args(["move-source", "hq-webex", "other", "--dry-run"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let store = d.join("users.db");
    assert!(store.exists());

    // Two sources with one id would mix their users: a configuration error naming the key.
    let two = d.join("two.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let second =
        text[text.find("[[sources]]").unwrap()..].replace("name = \"webex\"", "name = \"webex2\"");
    std::fs::write(&two, format!("{text}\n{second}")).unwrap();
    let out = ucx(&two).args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("`source_id` \"hq-webex\" is already another source's"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `[store] url` puts the users, snapshots and runs in PostgreSQL, the password by reference:
/// a sync, an unchanged second one, and `status`, from the same tables. Skipped, saying so,
/// without a server (`UCX_TEST_POSTGRES_URL`; `.ci/run` starts one and requires it).
#[tokio::test(flavor = "multi_thread")]
async fn a_postgres_store_from_the_configuration() {
    let Some(url) = ucx_testkit::postgres::server_url() else {
        return;
    };
    // A database of its own on the server.
    let parsed = url::Url::parse(&ucx_testkit::postgres::fresh_database(&url, "cli_")).unwrap();

    let server = webex(true).await;
    let d = dir("postgres-store");
    let file = write_config(&d, &server, "");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "[store]\npath = \"users.db\"",
        &format!("[store]\nurl = \"{parsed}\"\npassword = \"env:UCX_PG_PASSWORD\""),
    );
    std::fs::write(&file, text).unwrap();
    let run = |args: &[&str]| {
        ucx(&file)
            .env("UCX_PG_PASSWORD", "unused-with-trust")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["config", "check"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = run(&["run", "--once"]);
    let t = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success() && t.contains("5 added"),
        "{t}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = run(&["run", "--once"]);
    assert!(String::from_utf8_lossy(&second.stdout).contains("5 unchanged"));
    let status = String::from_utf8_lossy(&run(&["status"]).stdout).into_owned();
    assert!(
        status.contains("(5 records)") && status.contains("Planned"),
        "{status}"
    );
    assert!(
        !d.join("users.db").exists(),
        "no SQLite file when a URL is configured"
    );

    // A password written into the URL is refused, naming the key.
    let bad = d.join("bad.toml");
    let mut with_password = parsed.clone();
    with_password.set_password(Some("hunter2")).unwrap();
    std::fs::write(
        &bad,
        std::fs::read_to_string(&file)
            .unwrap()
            .replace(&parsed.to_string(), with_password.as_str()),
    )
    .unwrap();
    let out = ucx(&bad).args(["config", "check"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`store.url` holds a password") && !err.contains("hunter2"),
        "{err}"
    );
}

/// `run --listen` serves the health, readiness, metrics and status endpoints while it runs:
/// after the first pass the metrics count the five adds and the status names the source.
#[tokio::test(flavor = "multi_thread")]
async fn run_serves_health_metrics_and_status() {
    use std::io::BufRead;
    let server = webex(true).await;
    let d = dir("run-listen");
    let file = write_config(
        &d,
        &server,
        "schedule = \"1h\"\nrecording_ids = false\npictures = false",
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ucx-sync"))
        .arg("--config")
        .arg(&file)
        .args(["run", "--listen", "127.0.0.1:0"])
        .env("WEBEX_TOKEN", "t")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut base = None;
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(at) = line.strip_prefix("serving /healthz, /readyz, /metrics, /status at ") {
            base = Some(at.to_owned());
        }
        if line.starts_with("next run:") {
            break;
        }
    }
    let base = base.expect("the address it serves at");
    let get = |p: &str| {
        let url = format!("{base}{p}");
        async move {
            let r = ucx_http::reqwest::get(url).await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(get("/healthz").await, (200, "ok\n".to_owned()));
    assert_eq!(get("/readyz").await.0, 200);
    let (code, metrics) = get("/metrics").await;
    assert_eq!(code, 200);
    assert!(
        metrics.contains(r#"ucx_applied_total{source="webex",change="add"} 5"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"ucx_records_read{source="webex"} 5"#),
        "{metrics}"
    );
    assert!(metrics.contains("ucx_http_retries_total"), "{metrics}");
    assert!(metrics.ends_with("# EOF\n"), "{metrics}");
    let (code, status) = get("/status").await;
    assert_eq!(code, 200);
    let status: serde_json::Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status[0]["name"], "webex");
    assert_eq!(status[0]["snapshot"]["records"], 5);
    assert_eq!(status[0]["last_run"]["status"], "applied");
    assert!(status[0]["next_run"].is_null(), "no workers on SQLite");
    let (code, workers) = get("/workers").await;
    assert_eq!(
        (code, workers.as_str()),
        (404, "no workers: this process runs on its own\n")
    );
    assert_eq!(get("/nothing").await.0, 404);
    let _ = child.kill();
    let _ = child.wait();
}

/// `run --once --source NAME` runs that source alone (one CronJob per source); an unknown
/// name is a usage error.
#[tokio::test(flavor = "multi_thread")]
async fn run_once_for_one_source() {
    let server = webex(true).await;
    let d = dir("run-source");
    let file = write_config(&d, &server, "");
    let out = ucx(&file)
        .args(["run", "--once", "--source", "webex"])
        .output()
        .unwrap();
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && t.contains("webex: 5 records; 5 added"),
        "{t}"
    );
    let out = ucx(&file)
        .args(["run", "--once", "--source", "nosuch"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no source named \"nosuch\""));
}
