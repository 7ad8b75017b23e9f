//! How the HTTP client is built: timeouts, proxy, trusted certificates, limits.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::connector::{FromOptions, HttpConnector, OwnClient};
use crate::retry::RetryPolicy;

/// Settings of an [`HttpClient`](crate::HttpClient). Every connector takes one; the defaults suit
/// the public clouds.
///
/// Start from [`ClientOptions::default`] and set what you need; the struct is
/// `#[non_exhaustive]`, so a new option is never a breaking change: outside this crate a struct
/// literal does not compile, even with `..Default::default()`.
///
/// ```
/// let mut options = ucx_http::ClientOptions::default();
/// options.max_concurrency_per_host = 2;
/// ```
///
/// ```compile_fail
/// let options = ucx_http::ClientOptions { max_concurrency_per_host: 2, ..Default::default() };
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientOptions {
    /// Limit for one whole exchange (connect, send, receive the full body). 120 s: Webex People
    /// pages with calling data routinely take tens of seconds and its gateway gives up (504) at
    /// about a minute, so anything shorter cuts off answers that would have arrived.
    pub timeout: Duration,
    /// Limit for establishing a connection. 10 s: a TCP+TLS handshake that has not finished by
    /// then is a routing or firewall problem, which retrying quickly reports sooner.
    pub connect_timeout: Duration,
    /// An explicit proxy (`http://host:port`); without one the standard `HTTPS_PROXY`,
    /// `HTTP_PROXY` and `NO_PROXY` environment variables apply.
    pub proxy: Option<String>,
    /// Extra CA certificates (PEM files) trusted besides the built-in roots (the platform's
    /// trust store, where a company CA or a TLS-inspecting proxy's CA is usually installed, and
    /// Mozilla's roots bundled as a fallback for containers without one), for CAs that are in
    /// neither.
    pub extra_ca_files: Vec<PathBuf>,
    /// Extra CA certificates as PEM text.
    pub extra_ca_pem: Vec<Vec<u8>>,
    /// Trust only the extra certificates, not the built-in roots (neither the platform's store
    /// nor the bundled ones): a pinned self-signed server.
    pub only_extra_roots: bool,
    /// Accept any server certificate. For laboratories only; logged as an error on every client
    /// built with it.
    pub danger_accept_invalid_certs: bool,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Requests in flight at once to one host. Webex and Graph throttle per application and
    /// tenant; a handful in parallel is the published guidance and what their SDKs do.
    pub max_concurrency_per_host: usize,
    /// The largest response body read. Larger bodies fail with `BodyTooLarge`, so a broken or
    /// hostile server cannot exhaust memory. 64 MiB is 30 times the largest real page (999 Graph
    /// users).
    pub max_body_bytes: usize,
    /// How failures are retried.
    pub retry: RetryPolicy,
    /// Where the `reqwest::Client` comes from: [`FromOptions`] (the default) builds it from
    /// the settings above; [`OwnClient`] is one the embedding service brings
    /// ([`with_client`](Self::with_client)).
    pub connector: Arc<dyn HttpConnector>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
            proxy: None,
            extra_ca_files: Vec::new(),
            extra_ca_pem: Vec::new(),
            only_extra_roots: false,
            danger_accept_invalid_certs: false,
            user_agent: concat!("ucx-sync/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_concurrency_per_host: 8,
            max_body_bytes: 64 * 1024 * 1024,
            retry: RetryPolicy::default(),
            connector: Arc::new(FromOptions),
        }
    }
}

impl ClientOptions {
    /// Options for tests against local mock servers: short timeouts and [`RetryPolicy::fast`].
    /// Only with the `testing` feature (tests' dev-dependencies turn it on).
    #[cfg(feature = "testing")]
    pub fn for_tests() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(2),
            retry: RetryPolicy::fast(),
            ..Self::default()
        }
    }

    /// Sends with `client`, a `reqwest::Client` of the embedding service's own (see
    /// [`OwnClient`] for which settings then come from it).
    pub fn with_client(mut self, client: reqwest::Client) -> Self {
        self.connector = Arc::new(OwnClient::new(client));
        self
    }

    /// Replaces the retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces the overall timeout.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// An API root from configuration: an http(s) URL with a host, its path ending in `/` so
/// relative paths join below it. `key` names the setting in the error.
///
/// ```
/// let url = ucx_http::root_url("base_url", "https://webexapis.com/v1").unwrap();
/// assert_eq!(url.join("people").unwrap().as_str(), "https://webexapis.com/v1/people");
/// assert_eq!(ucx_http::root_url("base_url", "ftp://x").unwrap_err().key, "base_url");
/// ```
pub fn root_url(key: &'static str, text: &str) -> Result<url::Url, ucx_sync_core::ConfigError> {
    use ucx_sync_core::ConfigError;
    let mut url =
        url::Url::parse(text).map_err(|e| ConfigError::new(key, format!("{text}: {e}")))?;
    if !matches!(url.scheme(), "https" | "http") || url.host().is_none() {
        return Err(ConfigError::new(
            key,
            format!("{text}: must be an http(s) URL with a host"),
        ));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}
