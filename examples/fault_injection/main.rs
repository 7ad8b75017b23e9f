//! Fault injection, end to end, for each connector: a scripted server mixes throttling (every
//! `Retry-After` form), 5xx, truncated bodies, answers slower than the timeout, expired tokens,
//! expired page tokens and SOAP throttling faults into its pages, while the tenant changes
//! between syncs. Every sync refreshes and applies into SQLite and is then checked: a sync
//! that completes must leave exactly the tenant's users; one that fails must leave the database
//! as it was (no deletes, no partial apply).
//!
//! ```text
//! cargo run --release --example fault_injection -- [webex|cucm|entra|all] [SYNCS] [USERS] [SEED]
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cucm;
mod entra;
mod webex;

use std::collections::BTreeSet;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ucx_sync::core::{Guard, SourceAdapter, SourceSetup, Synchronizer, UsersStore};
use ucx_sync::http::{ClientOptions, RetryPolicy};
use ucx_sync::mapping::RuleSet;
use ucx_sync::store::SqliteStore;
use wiremock::{Request, Respond, ResponseTemplate};

/// A small deterministic generator (xorshift), so a run can be repeated with its seed.
pub(crate) struct Rng(Mutex<u64>);

impl Rng {
    fn next(&self) -> u64 {
        let mut s = self.0.lock().unwrap();
        *s ^= *s << 13;
        *s ^= *s >> 7;
        *s ^= *s << 17;
        *s
    }
    pub(crate) fn below(&self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the scripted server did.
#[derive(Default)]
pub(crate) struct Counts {
    pub(crate) requests: AtomicUsize,
    pub(crate) pages_served: AtomicUsize,
    pub(crate) throttled: AtomicUsize,
    pub(crate) server_errors: AtomicUsize,
    pub(crate) truncated: AtomicUsize,
    pub(crate) slow: AtomicUsize,
    pub(crate) expired_token: AtomicUsize,
    pub(crate) expired_page_token: AtomicUsize,
    pub(crate) soap_faults: AtomicUsize,
    pub(crate) tokens: AtomicUsize,
}

impl Counts {
    pub(crate) fn add(field: &AtomicUsize) {
        field.fetch_add(1, Ordering::Relaxed);
    }
    fn get(field: &AtomicUsize) -> usize {
        field.load(Ordering::Relaxed)
    }
}

/// The tenant a scripted server serves: user numbers, changed between syncs.
pub(crate) struct Tenant {
    pub(crate) users: Mutex<BTreeSet<usize>>,
    pub(crate) rng: Arc<Rng>,
    pub(crate) counts: Arc<Counts>,
}

impl Tenant {
    /// The users in order, as pages are cut from them.
    pub(crate) fn snapshot(&self) -> Vec<usize> {
        self.users.lock().unwrap().iter().copied().collect()
    }
}

/// Shares one responder between the mock and the driver.
pub(crate) struct Shared<T>(pub(crate) Arc<T>);

impl<T: Respond> Respond for Shared<T> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request)
    }
}

/// A page's answer: depending on the roll, its body cut in half (`cut`), delayed past the
/// client's timeout (`slow`), or served whole.
pub(crate) fn page(
    counts: &Counts,
    roll: u64,
    (cut, slow): (RangeInclusive<u64>, RangeInclusive<u64>),
    mut answer: ResponseTemplate,
    mut body: String,
    content_type: &str,
) -> ResponseTemplate {
    if cut.contains(&roll) {
        Counts::add(&counts.truncated);
        body.truncate(body.len() / 2);
    } else if slow.contains(&roll) {
        Counts::add(&counts.slow);
        answer = answer.set_delay(Duration::from_millis(400));
    } else {
        Counts::add(&counts.pages_served);
    }
    answer.set_body_raw(body, content_type)
}

/// A token endpoint issuing a new token each time (`body` renders the n-th answer).
pub(crate) struct Token(pub(crate) Arc<Counts>, pub(crate) fn(usize) -> String);

impl Respond for Token {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.tokens.fetch_add(1, Ordering::Relaxed) + 1;
        ResponseTemplate::new(200).set_body_raw((self.1)(n), "application/json")
    }
}

/// Short timeouts and retries, so thousands of faults run in a minute; the logic is the one
/// the defaults use.
pub(crate) fn fast_http() -> ClientOptions {
    {
        let mut v = ClientOptions::default();
        v.timeout = Duration::from_millis(250);
        v.retry = {
            let mut v = RetryPolicy::default();
            v.max_attempts = 4;
            v.max_elapsed = Duration::from_secs(10);
            v.min_delay = Duration::from_millis(5);
            v.max_delay = Duration::from_millis(50);
            v.max_retry_after = Duration::from_secs(2);
            v
        };
        v
    }
}

/// A connector under test: its adapter, the built-in rule set, and the sync key of user `i`.
pub(crate) struct Scenario {
    pub(crate) name: &'static str,
    pub(crate) adapter: Arc<dyn SourceAdapter>,
    pub(crate) rules: &'static str,
    pub(crate) params: Vec<(&'static str, &'static str)>,
    pub(crate) key: fn(usize) -> String,
    pub(crate) tenant: Arc<Tenant>,
    /// Keeps the mock server running.
    pub(crate) _server: wiremock::MockServer,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().map_or("all", String::as_str).to_owned();
    let numbers: Vec<u64> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let syncs = numbers.first().copied().unwrap_or(100) as usize;
    let size = numbers.get(1).copied().unwrap_or(2_000) as usize;
    let seed = numbers.get(2).copied().unwrap_or(0x5eed_cafe);
    let mut failures = 0;
    for name in ["webex", "cucm", "entra"] {
        if which != "all" && which != name {
            continue;
        }
        let rng = Arc::new(Rng(Mutex::new(seed | 1)));
        let tenant = Arc::new(Tenant {
            users: Mutex::new((0..size).collect()),
            rng,
            counts: Arc::new(Counts::default()),
        });
        let scenario = match name {
            "webex" => webex::scenario(tenant).await,
            "cucm" => cucm::scenario(tenant).await,
            _ => entra::scenario(tenant).await,
        };
        failures += run(scenario, syncs, size, seed).await;
    }
    assert_eq!(failures, 0, "a sync lost or damaged users");
}

/// Runs `syncs` syncs of a changing tenant; returns how many checks failed.
async fn run(s: Scenario, syncs: usize, size: usize, seed: u64) -> usize {
    let params = s
        .params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let rules = RuleSet::builtin_with(s.rules, &params).unwrap();
    let setup = {
        let mut v = SourceSetup::new(s.adapter.clone(), Arc::new(rules));
        v.guard = Guard::default().allowing_deletes();
        v
    };
    let db = std::env::temp_dir().join(format!(
        "ucx-fault-injection-{}-{}.db",
        s.name,
        std::process::id()
    ));
    let store = Arc::new(SqliteStore::open(&db).unwrap());
    let sync = Synchronizer::new(store.clone());
    let rng = &s.tenant.rng;

    let (mut completed, mut failed, mut wrong_deletes, mut partial, mut mismatched) =
        (0, 0, 0, 0, 0);
    let mut next_id = size;
    let keys = |store: Arc<SqliteStore>| async move {
        store
            .users()
            .await
            .unwrap()
            .iter()
            .map(|u| u.key.as_str().to_owned())
            .collect::<BTreeSet<String>>()
    };
    for _ in 0..syncs {
        // The tenant changes: a few leave, a few join.
        {
            let mut users = s.tenant.users.lock().unwrap();
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
        let truth: BTreeSet<String> = s.tenant.snapshot().into_iter().map(s.key).collect();
        let before = keys(store.clone()).await;
        let ok = sync.refresh_and_sync(&setup, &|_| {}).await.is_ok();
        let after = keys(store.clone()).await;
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
    let c = &s.tenant.counts;
    let g = Counts::get;
    let faults = g(&c.throttled)
        + g(&c.server_errors)
        + g(&c.truncated)
        + g(&c.slow)
        + g(&c.expired_token)
        + g(&c.expired_page_token)
        + g(&c.soap_faults);
    println!(
        "fault injection, {}: {syncs} syncs of ~{size} users (seed {seed:#x})",
        s.name
    );
    println!("  requests:                  {}", g(&c.requests));
    println!("  pages served correctly:    {}", g(&c.pages_served));
    println!(
        "  faults injected:           {faults} (throttled {}, 5xx {}, SOAP faults {}, truncated {}, slower than the timeout {}, expired token {}, expired page token {})",
        g(&c.throttled),
        g(&c.server_errors),
        g(&c.soap_faults),
        g(&c.truncated),
        g(&c.slow),
        g(&c.expired_token),
        g(&c.expired_page_token),
    );
    println!("  tokens issued:             {}", g(&c.tokens));
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
    wrong_deletes + partial + mismatched
}
