//! Process-wide transport counters, for a service's metrics endpoint: how often requests were
//! retried and how long the clients waited, in all and on a server's `Retry-After`. Every
//! [`HttpClient`](crate::HttpClient) of the process adds to them; they only grow.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

static RETRIES: AtomicU64 = AtomicU64::new(0);
static THROTTLED: AtomicU64 = AtomicU64::new(0);
static WAITED_MS: AtomicU64 = AtomicU64::new(0);
static THROTTLED_MS: AtomicU64 = AtomicU64::new(0);

/// The counters at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportStats {
    /// Requests sent again after a failure (any reason).
    pub retries: u64,
    /// Of those, retries a server asked to wait for (`Retry-After`: 429, 503).
    pub throttled: u64,
    /// Time spent waiting before retries, in all.
    pub waited: Duration,
    /// Of that, time spent waiting because a server said so.
    pub throttled_wait: Duration,
}

/// The counters so far.
pub fn transport_stats() -> TransportStats {
    TransportStats {
        retries: RETRIES.load(Ordering::Relaxed),
        throttled: THROTTLED.load(Ordering::Relaxed),
        waited: Duration::from_millis(WAITED_MS.load(Ordering::Relaxed)),
        throttled_wait: Duration::from_millis(THROTTLED_MS.load(Ordering::Relaxed)),
    }
}

/// Counts one retry after `wait`, asked for by the server or not.
pub(crate) fn count_retry(wait: Duration, asked: bool) {
    let ms = wait.as_millis() as u64;
    RETRIES.fetch_add(1, Ordering::Relaxed);
    WAITED_MS.fetch_add(ms, Ordering::Relaxed);
    if asked {
        THROTTLED.fetch_add(1, Ordering::Relaxed);
        THROTTLED_MS.fetch_add(ms, Ordering::Relaxed);
    }
}
