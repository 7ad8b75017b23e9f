//! `ucx-sync run` as workers on one PostgreSQL database: three processes share ten sources,
//! each synced once and never twice at once, spread over the workers; a worker killed while
//! it holds a source leaves no half-applied users, and the others finish its sources. Skipped,
//! saying so, without a server (`UCX_TEST_POSTGRES_URL`; `.ci/run` starts one and requires
//! it).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const SOURCES: usize = 10;

/// Ten sources on one loopback Webex tenant of 100 people answering after 200 ms: each source
/// has an id of its own and a filter taking two people of its own (`Dept k`), so the sources
/// own disjoint users, and a sync takes a few round trips.
fn config(dir: &Path, db_url: &str, webex: &str) -> PathBuf {
    let mut text = format!(
        r#"[store]
url = "{db_url}"

[workers]
heartbeat = "1s"
missed_heartbeats = 3
poll = "1s"
concurrency = 1
"#
    );
    for k in 0..SOURCES {
        text.push_str(&format!(
            r#"
[[sources]]
name = "source-{k}"
source_id = "webex-users:dept-{k}"
kind = "webex-users"
base_url = "{webex}/v1/"
org_id = "{org}"
token = "env:WEBEX_TOKEN"
filter = "(department=Dept {k})"
recording_ids = false
pictures = false
schedule = "1h"
"#,
            org = ucx_loadgen::WEBEX_ORG
        ));
    }
    let file = dir.join("ucx-sync.toml");
    std::fs::write(&file, text).unwrap();
    file
}

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ucx-workers-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn worker(config: &Path) -> Child {
    Command::new(assert_cmd::cargo::cargo_bin("ucx-sync"))
        .arg("--config")
        .arg(config)
        .arg("run")
        .env("WEBEX_TOKEN", "t")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `ucx-sync ARGS` on `config` to its end.
fn ucx(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(assert_cmd::cargo::cargo_bin("ucx-sync"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("WEBEX_TOKEN", "t")
        .output()
        .unwrap()
}

/// Every worker synced some sources (from what each printed); returns how many each did.
fn assert_every_worker_synced(outputs: &[String]) -> Vec<usize> {
    let shares: Vec<usize> = outputs.iter().map(|o| synced_by(o).len()).collect();
    assert!(
        shares.iter().all(|&n| n >= 1),
        "every worker synced sources: {shares:?}\n{outputs:#?}"
    );
    shares
}

/// Stops a worker and returns what it printed.
fn finish(mut child: Child) -> String {
    let _ = child.kill();
    let _ = child.wait();
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    out + &err
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-At", "-F", "|", "-c", sql])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A run of a source: its source id, start and end (Unix microseconds), status.
#[derive(Debug)]
struct Run {
    source: String,
    started: i64,
    finished: Option<i64>,
    status: String,
}

fn runs(url: &str) -> Vec<Run> {
    // None before the first worker has made the tables.
    if psql(url, "SELECT to_regclass('public.runs') IS NOT NULL").trim() != "t" {
        return Vec::new();
    }
    psql(
        url,
        "SELECT source, (extract(epoch FROM started) * 1e6)::bigint,
                (extract(epoch FROM finished) * 1e6)::bigint, status FROM runs ORDER BY started",
    )
    .lines()
    .map(|l| {
        let f: Vec<&str> = l.split('|').collect();
        Run {
            source: f[0].to_owned(),
            started: f[1].parse().unwrap(),
            finished: f[2].parse().ok(),
            status: f[3].to_owned(),
        }
    })
    .collect()
}

/// Waits until every source has an applied run, or `within` has passed.
fn wait_applied(url: &str, within: Duration) -> Vec<Run> {
    let until = Instant::now() + within;
    loop {
        let all = runs(url);
        let applied = all
            .iter()
            .filter(|r| r.status == "applied")
            .map(|r| r.source.as_str())
            .collect::<std::collections::HashSet<_>>();
        if applied.len() == SOURCES || Instant::now() > until {
            return all;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Each source's users: two, the people of its department, all there.
fn assert_users_whole(url: &str) {
    let owners = psql(
        url,
        "SELECT owner, count(*) FROM users GROUP BY owner ORDER BY owner",
    );
    let expected: String = {
        let mut ids: Vec<String> = (0..SOURCES)
            .map(|k| format!("webex-users:dept-{k}"))
            .collect();
        ids.sort();
        ids.iter().map(|id| format!("{id}|2\n")).collect()
    };
    assert_eq!(owners, expected, "every source's users, whole");
}

/// No two finished runs of one source overlap.
fn assert_never_twice_at_once(runs: &[Run]) {
    let mut by_source: HashMap<&str, Vec<(i64, i64)>> = HashMap::new();
    for r in runs {
        if let Some(end) = r.finished {
            by_source
                .entry(&r.source)
                .or_default()
                .push((r.started, end));
        }
    }
    for (source, mut spans) in by_source {
        spans.sort();
        for w in spans.windows(2) {
            assert!(w[0].1 <= w[1].0, "{source} ran twice at once: {spans:?}");
        }
    }
}

/// Which sources a worker synced, from its summary lines (`source-3: 2 records; …`).
fn synced_by(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|l| l.contains(" records; "))
        .filter_map(|l| l.split(':').next())
        .map(str::to_owned)
        .collect()
}

async fn tenant() -> ucx_loadgen::Served {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ucx_loadgen::serve(
        listener,
        ucx_loadgen::Tenant::new(100)
            .with_objects(0)
            .with_latency(Some(Duration::from_millis(200))),
    )
    .await
}

/// A fresh database, the tenant and the configuration of the ten sources; `None` without a
/// server to test against.
async fn setup(name: &str) -> Option<(String, ucx_loadgen::Served, PathBuf)> {
    let server = ucx_testkit::postgres::server_url()?;
    let db = ucx_testkit::postgres::fresh_database(&server, &format!("workers_{name}_"));
    let webex = tenant().await;
    let file = config(&dir(name), &db, &webex.uri());
    Some((db, webex, file))
}

/// [`wait_applied`] off the async threads, within two minutes.
async fn all_applied(db: &str) -> Vec<Run> {
    let db = db.to_owned();
    tokio::task::spawn_blocking(move || wait_applied(&db, Duration::from_secs(120)))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn three_workers_share_ten_sources_each_synced_once() {
    let Some((db, _webex, file)) = setup("three").await else {
        return;
    };
    let workers: Vec<Child> = (0..3).map(|_| worker(&file)).collect();
    let all = all_applied(&db).await;
    // A while longer: nothing runs again in this hour's slot.
    tokio::time::sleep(Duration::from_secs(3)).await;
    // `status` names the live workers, and each source's next run is its next slot.
    let status = String::from_utf8_lossy(&ucx(&file, &["status"]).stdout).into_owned();
    assert!(
        status.contains("workers on queue ucx-sync: 3 alive"),
        "{status}"
    );
    assert_eq!(
        status.matches("next run (workers):").count(),
        SOURCES,
        "{status}"
    );
    assert!(!status.contains("due now"), "every slot ran: {status}");
    let outputs: Vec<String> = workers.into_iter().map(finish).collect();
    let all_after = runs(&db);
    assert_eq!(
        all_after.len(),
        all.len(),
        "no run after every source was synced: {all_after:?}"
    );
    let mut per_source: HashMap<&str, usize> = HashMap::new();
    for r in &all_after {
        *per_source.entry(&r.source).or_default() += 1;
    }
    assert_eq!(per_source.len(), SOURCES, "{all_after:?}\n{outputs:#?}");
    assert!(
        per_source.values().all(|&n| n == 1),
        "each source once: {per_source:?}"
    );
    assert!(
        all_after.iter().all(|r| r.status == "applied"),
        "{all_after:?}"
    );
    assert_never_twice_at_once(&all_after);
    assert_users_whole(&db);
    let shares = assert_every_worker_synced(&outputs);
    assert_eq!(shares.iter().sum::<usize>(), SOURCES, "{outputs:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_worker_leaves_nothing_half_applied_and_the_others_finish_its_sources() {
    let Some((db, _webex, file)) = setup("kill").await else {
        return;
    };
    // Worker A starts alone and is killed while it holds its first source: a sync takes
    // several round trips of 200 ms, and A has recorded the run it started.
    let a = worker(&file);
    let until = Instant::now() + Duration::from_secs(60);
    let held = loop {
        let started: Vec<Run> = runs(&db)
            .into_iter()
            .filter(|r| r.finished.is_none())
            .collect();
        if let Some(r) = started.into_iter().next() {
            break r;
        }
        assert!(Instant::now() < until, "worker A never started a source");
        std::thread::sleep(Duration::from_millis(50));
    };
    let a_output = finish(a);
    let killed_at = chrono::Utc::now().timestamp_micros();
    // B and C come up and take every source over, A's after its three missed heartbeats.
    let workers: Vec<Child> = (0..2).map(|_| worker(&file)).collect();
    let all = all_applied(&db).await;
    let outputs: Vec<String> = workers.into_iter().map(finish).collect();
    let applied: Vec<&Run> = all.iter().filter(|r| r.status == "applied").collect();
    let sources: std::collections::HashSet<&str> =
        applied.iter().map(|r| r.source.as_str()).collect();
    assert_eq!(
        sources.len(),
        SOURCES,
        "{all:?}\nA: {a_output}\n{outputs:#?}"
    );
    let taken_over = applied
        .iter()
        .find(|r| r.source == held.source)
        .expect("A's source synced by another worker");
    assert!(
        taken_over.started > killed_at,
        "A's source was synced again after A died: {taken_over:?}"
    );
    // A's own run never finished: it stays as it was left, and applied nothing half.
    let left: Vec<&Run> = all.iter().filter(|r| r.finished.is_none()).collect();
    assert!(left.len() <= 1, "{left:?}");
    assert_never_twice_at_once(&all);
    assert_users_whole(&db);
    assert_every_worker_synced(&outputs);
}

/// A slot already synced (here by `run --once` just before the worker starts) is not synced
/// again: the worker takes each source's job and finds the slot's finished run.
#[tokio::test(flavor = "multi_thread")]
async fn a_slot_already_synced_is_not_synced_again() {
    let Some((db, _webex, file)) = setup("once").await else {
        return;
    };
    let once = ucx(&file, &["run", "--once"]);
    assert!(
        once.status.success(),
        "{}",
        String::from_utf8_lossy(&once.stderr)
    );
    assert_eq!(runs(&db).len(), SOURCES);
    let w = worker(&file);
    let until = Instant::now() + Duration::from_secs(60);
    let done = |db: &str| {
        // None before the worker has made the queue's tables.
        if psql(db, "SELECT to_regclass('apalis.jobs') IS NOT NULL").trim() != "t" {
            return 0;
        }
        psql(db, "SELECT count(*) FROM apalis.jobs WHERE status = 'Done'")
            .trim()
            .parse::<usize>()
            .unwrap_or(0)
    };
    while done(&db) < SOURCES && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(200));
    }
    let output = finish(w);
    assert_eq!(done(&db), SOURCES, "the worker took every job: {output}");
    assert_eq!(runs(&db).len(), SOURCES, "and synced none again: {output}");
    assert!(synced_by(&output).is_empty(), "{output}");
}
