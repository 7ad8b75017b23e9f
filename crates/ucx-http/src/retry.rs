//! When and how long to wait before sending a request again.

use std::time::{Duration, SystemTime};

use backon::{BackoffBuilder, ExponentialBuilder};
use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How failed requests are retried: exponential backoff with jitter (from `backon`), bounded by a
/// number of attempts and a total time, with the server's `Retry-After` taking precedence.
///
/// `#[non_exhaustive]`: start from [`RetryPolicy::default`] or [`RetryPolicy::none`].
///
/// ```
/// let mut retry = ucx_http::RetryPolicy::default();
/// retry.max_attempts = 3;
/// ```
///
/// ```compile_fail
/// let retry = ucx_http::RetryPolicy { max_attempts: 3, ..Default::default() };
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included. 1 disables retries.
    pub max_attempts: usize,
    /// No retry starts after this much time since the first attempt.
    pub max_elapsed: Duration,
    /// The first backoff delay (doubled on each retry, with jitter).
    pub min_delay: Duration,
    /// The longest computed backoff delay.
    pub max_delay: Duration,
    /// The longest `Retry-After` honoured. A server asking for more fails the request with its
    /// wait attached, so the caller can reschedule instead of blocking for an hour.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// Six attempts over at most five minutes; backoff from 1 s to 60 s; `Retry-After` honoured up
    /// to five minutes. Webex has asked for 60–194 s in the field, so shorter caps would turn
    /// ordinary throttling into failed syncs, and a sync that runs every six hours can afford to
    /// wait.
    fn default() -> Self {
        Self {
            max_attempts: 6,
            max_elapsed: Duration::from_secs(300),
            min_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
            max_retry_after: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Short delays for tests against local mock servers (10 ms doubling to 100 ms), keeping the
    /// attempts and the honouring of `Retry-After`. Only with the `testing` feature.
    #[cfg(feature = "testing")]
    pub fn fast() -> Self {
        Self {
            max_attempts: 4,
            max_elapsed: Duration::from_secs(30),
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
            max_retry_after: Duration::from_secs(10),
        }
    }

    /// The computed backoff delays, one per retry, with jitter.
    pub(crate) fn backoff(&self) -> impl Iterator<Item = Duration> + use<> {
        ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_attempts.saturating_sub(1))
            .with_jitter()
            .build()
    }
}

/// The wait a `Retry-After` header asks for: whole seconds, fractional seconds (Graph sends
/// them) or an HTTP date. `None` when absent or malformed (Webex has been seen sending
/// `rand(30),add(30)`), so the caller falls back to its computed backoff.
///
/// ```
/// use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
/// use std::time::Duration;
/// let mut h = HeaderMap::new();
/// h.insert(RETRY_AFTER, HeaderValue::from_static("1.5"));
/// assert_eq!(ucx_http::retry_after(&h), Some(Duration::from_millis(1500)));
/// h.insert(RETRY_AFTER, HeaderValue::from_static("rand(30),add(30)"));
/// assert_eq!(ucx_http::retry_after(&h), None);
/// ```
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    parse_retry_after(value, SystemTime::now())
}

/// [`retry_after`] on a header value, relative to `now` for HTTP dates.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    if value.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        let secs: f64 = value.parse().ok()?;
        return (0.0..1e9)
            .contains(&secs)
            .then(|| Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Two clients that fail together must not retry together: the jitter is seeded randomly
    /// per backoff, not from a constant (as backon does without its `std` feature).
    #[test]
    fn jitter_differs_between_backoffs() {
        let policy = RetryPolicy::default();
        let a: Vec<Duration> = policy.backoff().collect();
        let b: Vec<Duration> = policy.backoff().collect();
        assert_eq!(a.len(), b.len());
        assert!(!a.is_empty());
        assert_ne!(a, b, "two backoffs drew the same jitter");
    }
}
