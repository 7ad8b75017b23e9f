//! A synthetic tenant of N users served on loopback in the shapes of the real APIs, so the
//! connectors — and the tools people use instead of them — can be measured against the same
//! data at 10,000, 100,000 or 1,000,000 users without a real Webex organisation, CUCM cluster
//! or Entra tenant.
//!
//! One server answers all three APIs:
//! - Webex: `GET /v1/people` (callingData shape, `Link: rel="next"` paging on `max`/`after`),
//!   `/v1/locations`, `/v1/telephony/config/locations`, `/v1/organizations/{id}`, each
//!   person's `/v1/people/{id}/features/callRecording` and avatar (`/avatars/…`, on the same
//!   server, so nothing leaves loopback), and the
//!   virtual objects: hunt groups, call queues, auto attendants and virtual lines
//!   (`start`/`max` paging with `Link: rel="next"`), with no workspaces;
//! - CUCM AXL: `POST /axl/` for `listUser` (`skip`/`first`), `getUser`, `listChange` (a
//!   change queue in which change `k` is user `k - 1` changing), `executeSQLQuery` (devices and
//!   SIP URIs of the users named in the query, and the keyset scan of pkids) and
//!   `getCCMVersion`;
//! - Microsoft Graph: `POST /{tenant}/oauth2/v2.0/token`, `GET /v1.0/users` (`$top`,
//!   `@odata.nextLink` with a `$skiptoken`) and `GET /v1.0/users/delta` (an initial round ending
//!   in a `@odata.deltaLink`, then the users changed since).
//!
//! `POST /change?users=N` makes users `0..N` change (they move department) in Graph and AXL.
//!
//! Pages are generated on request from the user's index, so a tenant of a million users costs
//! no memory, and user `i` is the same in every API (`user{i}@example.com`). An optional rate
//! limit answers the requests over it with 429 (503 for AXL, as CUCM does) and `Retry-After`.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
//! let tenant = ucx_loadgen::Tenant::new(10_000).overlapping();
//! let server = ucx_loadgen::serve(listener, tenant).await;
//! println!("a tenant of 10,000 users at {}", server.uri());
//! # Ok(()) }
//! ```

mod axl;

pub use axl::{get_user_answer, keyset_answer, list_user_answer, pkid, sql_answer};
mod graph;
mod throttle;
mod webex;

use std::net::TcpListener;
use std::sync::Arc;

use wiremock::matchers::{header_regex, method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub use throttle::Stats;
use throttle::Throttled;

/// The organisation id of the Webex tenant (`org_id` in a configuration).
pub const WEBEX_ORG: &str = "c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4";
/// The Entra tenant id (`tenant`).
pub const ENTRA_TENANT: &str = "bench-tenant";

/// What to serve: [`Tenant::new`] and the `with_`/flag methods, so a new option is not a
/// breaking change.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Tenant {
    /// Users in each API.
    pub users: usize,
    /// Webex virtual objects (hunt groups, call queues, auto attendants and virtual lines in
    /// turn, two of each kind side by side); the same as `users` unless set.
    pub objects: usize,
    /// Requests per second answered before the rest of that second is refused.
    pub rate_limit: Option<u32>,
    /// How long every API answer waits, as a round trip to the real API does; answers are
    /// still served side by side, so a client that asks concurrently gains.
    pub latency: Option<std::time::Duration>,
    /// Extensions overlap as in real tenants: Webex person `i` is in HQ Denver (routing prefix
    /// 8101) or Branch Austin (8102) by `i % 2` with extension `i / 2`, so each extension is in
    /// both locations and only the ESN tells them apart; virtual object `j` likewise, in pairs
    /// of one kind; CUCM user `i` has the number `i / 2` in partition `PT_SITE_A` or
    /// `PT_SITE_B`. Otherwise every number is unique.
    pub overlapping: bool,
    /// The Webex locations have routing prefixes, so people and features carry an ESN. Off:
    /// no location has one, and a person's `work_extension` number is the bare extension.
    pub esn: bool,
}

impl Tenant {
    /// `users` people and as many virtual objects, unique numbers, ESNs on, no rate limit.
    pub fn new(users: usize) -> Self {
        Self {
            users,
            objects: users,
            rate_limit: None,
            latency: None,
            overlapping: false,
            esn: true,
        }
    }

    /// Serves `objects` Webex virtual objects instead of as many as users.
    pub fn with_objects(mut self, objects: usize) -> Self {
        self.objects = objects;
        self
    }

    /// Refuses requests over `per_second` with 429 (503 for AXL) and `Retry-After`.
    pub fn with_rate_limit(mut self, per_second: Option<u32>) -> Self {
        self.rate_limit = per_second;
        self
    }

    /// Delays every API answer by `latency` (see [`Tenant::latency`]).
    pub fn with_latency(mut self, latency: Option<std::time::Duration>) -> Self {
        self.latency = latency;
        self
    }

    /// Extensions overlap across locations and partitions (see [`Tenant::overlapping`]).
    pub fn overlapping(mut self) -> Self {
        self.overlapping = true;
        self
    }

    /// No Webex location has a routing prefix (see [`Tenant::esn`]).
    pub fn without_esn(mut self) -> Self {
        self.esn = false;
        self
    }
}

/// A running tenant and its counters.
#[derive(Debug)]
pub struct Served {
    server: MockServer,
    stats: Arc<Stats>,
    changed: Arc<std::sync::atomic::AtomicUsize>,
}

impl Served {
    /// `http://127.0.0.1:<port>`.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// Requests answered and refused so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Makes users `0..users` change in Graph and AXL, as `POST /change?users=N` does.
    pub fn change(&self, users: usize) {
        self.changed
            .store(users, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Serves `tenant` on `listener` until the returned value is dropped. `GET /stats` answers
/// the counters as JSON.
pub async fn serve(listener: TcpListener, tenant: Tenant) -> Served {
    let server = MockServer::builder()
        .listener(listener)
        .disable_request_recording()
        .start()
        .await;
    let stats = Arc::new(Stats::new(tenant.rate_limit, tenant.latency));
    let changed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let base = server.uri();
    let throttled = |inner| Throttled::new(inner, stats.clone());

    Mock::given(method("GET"))
        .and(path("/stats"))
        .respond_with(throttle::StatsReport(stats.clone()))
        .mount(&server)
        .await;

    // Webex
    let telephony_locations = if tenant.esn {
        webex::fixed(webex::TELEPHONY_LOCATIONS)
    } else {
        webex::fixed_owned(webex::without_routing_prefixes())
    };
    for (route, body) in [
        ("/v1/locations", webex::fixed(webex::LOCATIONS)),
        ("/v1/telephony/config/locations", telephony_locations),
        ("/v1/workspaces", webex::fixed(r#"{"items":[]}"#)),
        (
            "/v1/telephony/config/numbers",
            webex::fixed(r#"{"phoneNumbers":[]}"#),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .respond_with(throttled(body))
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path_regex("^/v1/organizations/[^/]+$"))
        .respond_with(throttled(webex::fixed(r#"{"displayName":"Example Corp"}"#)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/people"))
        .respond_with(throttled(Box::new(webex::People {
            total: tenant.users,
            base: base.clone(),
            overlapping: tenant.overlapping,
            esn: tenant.esn,
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex("^/avatars/"))
        .respond_with(throttled(Box::new(
            ResponseTemplate::new(200).set_body_raw(webex::AVATAR_PNG.to_vec(), "image/png"),
        )))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(
            "^/v1/(people|workspaces)/[^/]+/features/callRecording$",
        ))
        .respond_with(throttled(Box::new(webex::Recording)))
        .mount(&server)
        .await;
    for kind in webex::FeatureKind::ALL {
        Mock::given(method("GET"))
            .and(path(kind.path()))
            .respond_with(throttled(Box::new(webex::Features {
                kind,
                objects: tenant.objects,
                base: base.clone(),
                overlapping: tenant.overlapping,
                esn: tenant.esn,
            })))
            .mount(&server)
            .await;
    }

    // CUCM AXL
    for (action, respond) in [
        (
            "listUser",
            Box::new(axl::ListUser {
                total: tenant.users,
                overlapping: tenant.overlapping,
                changed: changed.clone(),
            }) as throttle::Inner,
        ),
        (
            "getUser",
            Box::new(axl::GetUser {
                total: tenant.users,
                overlapping: tenant.overlapping,
                changed: changed.clone(),
            }),
        ),
        (
            "listChange",
            Box::new(axl::ListChange {
                changed: changed.clone(),
            }),
        ),
        (
            "executeSQLQuery",
            Box::new(axl::Sql {
                total: tenant.users,
            }),
        ),
        ("getCCMVersion", Box::new(axl::Version)),
    ] {
        Mock::given(method("POST"))
            .and(path("/axl/"))
            .and(header_regex("soapaction", action))
            .respond_with(throttled(respond))
            .mount(&server)
            .await;
    }

    // Microsoft Graph
    Mock::given(method("POST"))
        .and(path(format!("/{ENTRA_TENANT}/oauth2/v2.0/token")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(graph::TOKEN, "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(throttled(Box::new(graph::Users {
            total: tenant.users,
            base: base.clone(),
            changed: changed.clone(),
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .respond_with(throttled(Box::new(graph::Delta {
            total: tenant.users,
            base,
            changed: changed.clone(),
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/change"))
        .respond_with(Change(changed.clone()))
        .mount(&server)
        .await;

    Served {
        server,
        stats,
        changed,
    }
}

/// The window a page request asks for: `(size, start)` from the parameters named `size` (its
/// `default` when absent, clamped to `1..=cap`, as the APIs do) and `start` (0 when absent).
fn window(
    request: &wiremock::Request,
    size: &str,
    default: usize,
    cap: usize,
    start: &str,
) -> (usize, usize) {
    let number = |name| query(request, name).and_then(|v| v.parse::<usize>().ok());
    (
        number(size).unwrap_or(default).clamp(1, cap),
        number(start).unwrap_or(0),
    )
}

/// `POST /change?users=N`: users `0..N` change (they move department), as seen by the Graph
/// listing and the next delta round, and by `listUser`, `getUser` and `listChange`.
struct Change(Arc<std::sync::atomic::AtomicUsize>);

impl wiremock::Respond for Change {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        match query(request, "users").and_then(|n| n.parse().ok()) {
            Some(n) => {
                self.0.store(n, std::sync::atomic::Ordering::Relaxed);
                ResponseTemplate::new(204)
            }
            None => ResponseTemplate::new(400).set_body_string("users=N is required"),
        }
    }
}

/// The value of query parameter `name`.
fn query(request: &wiremock::Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
