//! Fault injection for the Webex users source, end to end: a scripted Webex that mixes 429s
//! (every `Retry-After` form), 5xx, truncated bodies, answers slower than the timeout and
//! expired tokens into its people pages, while the tenant changes between syncs. Every sync
//! refreshes and applies into SQLite, and is then checked: a sync that completes must leave
//! exactly the tenant's users; one that fails must leave the database as it was (no deletes,
//! no partial apply).
//!
//! ```text
//! cargo run --release --example fault_injection -- [SYNCS] [USERS] [SEED]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ucx_sync::core::{DiffOptions, Guard, SourceSetup, Synchronizer, UserStore};
use ucx_sync::http::secrecy::SecretString;
use ucx_sync::http::{ClientOptions, RetryPolicy};
use ucx_sync::mapping::RuleSet;
use ucx_sync::store::SqliteStore;
use ucx_sync::webex::{WebexConfig, WebexCredentials, WebexId, WebexUsers};
use ucx_testkit::fixtures;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A small deterministic generator (xorshift), so a run can be repeated with its seed.
struct Rng(Mutex<u64>);

impl Rng {
    fn next(&self) -> u64 {
        let mut s = self.0.lock().unwrap();
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }
    fn below(&self, n: u64) -> u64 {
        self.next() % n
    }
}

#[derive(Default)]
struct Counts {
    requests: AtomicUsize,
    pages_served: AtomicUsize,
    throttled: AtomicUsize,
    server_errors: AtomicUsize,
    truncated: AtomicUsize,
    slow: AtomicUsize,
    expired_token: AtomicUsize,
    tokens: AtomicUsize,
}

struct Tenant {
    users: Mutex<BTreeSet<usize>>,
    rng: Arc<Rng>,
    counts: Arc<Counts>,
    base: String,
}

fn person(i: usize) -> String {
    format!(
        r#"{{"id":"{}","emails":["user{i}@example.com"],"phoneNumbers":[{{"type":"work","value":"+1303555{:04}","primary":true}}],"extension":"{:04}","locationId":"{}","displayName":"User {i}","firstName":"User","lastName":"{i}","orgId":"{}","department":"Dept {}","type":"person"}}"#,
        WebexId::encode("PEOPLE", &format!("{i:08x}-0000-4000-8000-000000000000")),
        i % 10_000,
        i % 10_000,
        WebexId::encode("LOCATION", "6a4eba35-ac1d-514d-8d98-a64a03819378"),
        WebexId::encode("ORGANIZATION", fixtures::WEBEX_ORG),
        i % 7
    )
}

impl Respond for Tenant {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let c = &self.counts;
        c.requests.fetch_add(1, Ordering::Relaxed);
        if !request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("Bearer access-"))
        {
            return ResponseTemplate::new(401);
        }
        let roll = self.rng.below(100);
        match roll {
            0..=7 => {
                c.throttled.fetch_add(1, Ordering::Relaxed);
                let t = ResponseTemplate::new(429)
                    .set_body_string(r#"{"message":"Too Many Requests"}"#);
                return match self.rng.below(5) {
                    0 => t.insert_header("Retry-After", "0"),
                    1 => t.insert_header("Retry-After", "0.02"),
                    2 => t.insert_header(
                        "Retry-After",
                        httpdate::fmt_http_date(SystemTime::now()).as_str(),
                    ),
                    3 => t.insert_header("Retry-After", "rand(30),add(30)"),
                    _ => t,
                };
            }
            8..=11 => {
                c.server_errors.fetch_add(1, Ordering::Relaxed);
                return ResponseTemplate::new([500, 502, 503][self.rng.below(3) as usize]);
            }
            12..=13 => {
                c.expired_token.fetch_add(1, Ordering::Relaxed);
                return ResponseTemplate::new(401)
                    .set_body_string(r#"{"message":"The request requires a valid access token"}"#);
            }
            _ => {}
        }
        let after: usize = request
            .url
            .query_pairs()
            .find(|(k, _)| k == "after")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let users: Vec<usize> = self.users.lock().unwrap().iter().copied().collect();
        let page: Vec<String> = users
            .iter()
            .skip(after)
            .take(100)
            .map(|&i| person(i))
            .collect();
        let mut body = format!("{{\"items\":[{}]}}", page.join(","));
        let mut t = ResponseTemplate::new(200);
        if after + 100 < users.len() {
            let next = format!(
                "<{}/v1/people?callingData=true&excludeStatus=true&max=100&after={}>; rel=\"next\"",
                self.base,
                after + 100
            );
            t = t.insert_header("Link", next.as_str());
        }
        match roll {
            14..=16 => {
                c.truncated.fetch_add(1, Ordering::Relaxed);
                body.truncate(body.len() / 2);
            }
            17..=18 => {
                c.slow.fetch_add(1, Ordering::Relaxed);
                t = t.set_delay(Duration::from_millis(400));
            }
            _ => {
                c.pages_served.fetch_add(1, Ordering::Relaxed);
            }
        }
        t.set_body_raw(body, "application/json")
    }
}

struct Token(Arc<Counts>);

impl Respond for Token {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.tokens.fetch_add(1, Ordering::Relaxed) + 1;
        ResponseTemplate::new(200).set_body_raw(
            format!(r#"{{"access_token":"access-{n}","expires_in":3600,"token_type":"Bearer"}}"#),
            "application/json",
        )
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let syncs = args.first().copied().unwrap_or(100) as usize;
    let size = args.get(1).copied().unwrap_or(2_000) as usize;
    let seed = args.get(2).copied().unwrap_or(0x5eed_cafe);

    let server = MockServer::start().await;
    fixtures::webex_directory(&server).await;
    let rng = Arc::new(Rng(Mutex::new(seed | 1)));
    let counts = Arc::new(Counts::default());
    let tenant = Arc::new(Tenant {
        users: Mutex::new((0..size).collect()),
        rng: rng.clone(),
        counts: counts.clone(),
        base: server.uri(),
    });
    Mock::given(method("POST"))
        .and(path("/v1/access_token"))
        .respond_with(Token(counts.clone()))
        .mount(&server)
        .await;
    Mock::given(path("/v1/people"))
        .respond_with(ArcResponder(tenant.clone()))
        .mount(&server)
        .await;

    let mut config = WebexConfig::new(WebexCredentials::RefreshToken {
        client_id: "fault-injection".into(),
        client_secret: SecretString::from("client-secret"),
        refresh_token: SecretString::from("refresh-token"),
    })
    .with_base_url(format!("{}/v1/", server.uri()))
    .with_org_id(fixtures::WEBEX_ORG);
    config.http = ClientOptions {
        timeout: Duration::from_millis(250),
        retry: RetryPolicy {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(10),
            min_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(50),
            max_retry_after: Duration::from_secs(2),
        },
        ..ClientOptions::default()
    };
    let setup = SourceSetup {
        adapter: Arc::new(WebexUsers::new(config).unwrap()),
        filter: None,
        mapper: Arc::new(RuleSet::builtin("webex-users").unwrap()),
        diff: DiffOptions::default(),
        guard: Guard::default().allowing_deletes(),
    };
    let db = std::env::temp_dir().join(format!("ucx-fault-injection-{}.db", std::process::id()));
    let store = Arc::new(SqliteStore::open(&db).unwrap());
    let sync = Synchronizer::new(store.clone());

    let (mut completed, mut failed, mut wrong_deletes, mut partial, mut mismatched) =
        (0, 0, 0, 0, 0);
    let mut next_id = size;
    for _ in 0..syncs {
        // The tenant changes: a few leave, a few join.
        {
            let mut users = tenant.users.lock().unwrap();
            for _ in 0..rng.below(5) {
                if let Some(&gone) = users.iter().nth(rng.below(users.len() as u64) as usize) {
                    users.remove(&gone);
                }
            }
            for _ in 0..rng.below(5) {
                users.insert(next_id);
                next_id += 1;
            }
        }
        let truth: BTreeSet<String> = tenant
            .users
            .lock()
            .unwrap()
            .iter()
            .map(|i| format!("user{i}@example.com"))
            .collect();
        let before: BTreeSet<String> = store
            .users()
            .await
            .unwrap()
            .iter()
            .map(|u| u.key.as_str().to_owned())
            .collect();
        let ok = match sync.refresh(&setup).await {
            Ok(_) => sync.sync(&setup).await.is_ok(),
            Err(_) => false,
        };
        let after: BTreeSet<String> = store
            .users()
            .await
            .unwrap()
            .iter()
            .map(|u| u.key.as_str().to_owned())
            .collect();
        wrong_deletes += before
            .difference(&after)
            .filter(|k| truth.contains(*k))
            .count();
        if ok {
            completed += 1;
            if after != truth {
                mismatched += 1;
            }
        } else {
            failed += 1;
            if after != before {
                partial += 1;
            }
        }
    }
    let c = &counts;
    let faults = c.throttled.load(Ordering::Relaxed)
        + c.server_errors.load(Ordering::Relaxed)
        + c.truncated.load(Ordering::Relaxed)
        + c.slow.load(Ordering::Relaxed)
        + c.expired_token.load(Ordering::Relaxed);
    println!("fault injection, webex people: {syncs} syncs of ~{size} users (seed {seed:#x})");
    println!(
        "  requests to /people:       {}",
        c.requests.load(Ordering::Relaxed)
    );
    println!(
        "  pages served correctly:    {}",
        c.pages_served.load(Ordering::Relaxed)
    );
    println!(
        "  faults injected:           {faults} (429 {}, 5xx {}, truncated {}, slower than the timeout {}, expired token {})",
        c.throttled.load(Ordering::Relaxed),
        c.server_errors.load(Ordering::Relaxed),
        c.truncated.load(Ordering::Relaxed),
        c.slow.load(Ordering::Relaxed),
        c.expired_token.load(Ordering::Relaxed)
    );
    println!(
        "  tokens issued:             {}",
        c.tokens.load(Ordering::Relaxed)
    );
    println!(
        "  syncs completed:           {completed} (ending with exactly the tenant's users: {})",
        completed - mismatched
    );
    println!(
        "  syncs failed cleanly:      {} of {failed}",
        failed - partial
    );
    println!("  wrong deletes:             {wrong_deletes}");
    println!("  partial applies:           {partial}");
    let _ = std::fs::remove_file(&db);
    assert_eq!(
        (wrong_deletes, partial, mismatched),
        (0, 0, 0),
        "a sync lost or damaged users"
    );
}

/// Shares one responder between the mock and the driver.
struct ArcResponder(Arc<Tenant>);

impl Respond for ArcResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request)
    }
}
