//! The optional rate limit and the request counters.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use wiremock::{Request, Respond, ResponseTemplate};

pub(crate) type Inner = Box<dyn Respond + Send + Sync>;

/// Requests answered and refused.
#[derive(Debug)]
pub struct Stats {
    requests: AtomicU64,
    throttled: AtomicU64,
    limit: Option<u32>,
    /// How long every API answer waits before it is sent, as a real API's round trip does.
    latency: Option<std::time::Duration>,
    /// The start of the current one-second window and the requests counted in it.
    window: Mutex<(Instant, u32)>,
}

impl Stats {
    pub(crate) fn new(limit: Option<u32>, latency: Option<std::time::Duration>) -> Self {
        Self {
            requests: AtomicU64::new(0),
            throttled: AtomicU64::new(0),
            limit,
            latency,
            window: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Every request to the APIs, refused ones included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Requests refused by the rate limit.
    pub fn throttled(&self) -> u64 {
        self.throttled.load(Ordering::Relaxed)
    }

    /// Counts a request; false when it is over the limit of its second.
    fn admit(&self) -> bool {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let Some(limit) = self.limit else {
            return true;
        };
        // A poisoned lock only means another request panicked while counting; the count is
        // still usable.
        let mut window = self.window.lock().unwrap_or_else(|e| e.into_inner());
        if window.0.elapsed().as_secs_f64() >= 1.0 {
            *window = (Instant::now(), 0);
        }
        if window.1 < limit {
            window.1 += 1;
            true
        } else {
            self.throttled.fetch_add(1, Ordering::Relaxed);
            false
        }
    }
}

/// An API route behind the counters and the limit.
pub(crate) struct Throttled {
    inner: Inner,
    stats: std::sync::Arc<Stats>,
}

impl Throttled {
    pub(crate) fn new(inner: Inner, stats: std::sync::Arc<Stats>) -> Self {
        Self { inner, stats }
    }
}

impl Respond for Throttled {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let answer = self.answer(request);
        // Delayed answers are still served side by side, as the real APIs serve them.
        match self.stats.latency {
            Some(d) => answer.set_delay(d),
            None => answer,
        }
    }
}

impl Throttled {
    fn answer(&self, request: &Request) -> ResponseTemplate {
        if self.stats.admit() {
            return self.inner.respond(request);
        }
        // CUCM answers an overloaded AXL with 503; Webex and Graph with 429. Both send
        // Retry-After in seconds.
        let status = if request.url.path().starts_with("/axl") {
            503
        } else {
            429
        };
        ResponseTemplate::new(status)
            .insert_header("Retry-After", "1")
            .set_body_raw(
                r#"{"message":"Too many requests","trackingId":"LOADGEN_THROTTLED"}"#,
                "application/json",
            )
    }
}

/// `GET /stats`.
pub(crate) struct StatsReport(pub(crate) std::sync::Arc<Stats>);

impl Respond for StatsReport {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "requests": self.0.requests(),
            "throttled": self.0.throttled(),
        }))
    }
}
