//! The HTTP transport shared by the ucx-sync connectors (Webex, CUCM AXL, Microsoft Graph).
//!
//! Every connector sends its requests through one [`HttpClient`], so the behaviour a large,
//! throttled, occasionally failing API needs is written once:
//!
//! - [`ClientOptions`]: timeouts, proxy (explicit, or `HTTPS_PROXY`/`NO_PROXY`), extra CA
//!   certificates, user agent, a per-host concurrency limit and a response-size cap; rustls.
//! - Retries with exponential backoff and jitter (`backon`), bounded by attempts and total time;
//!   `Retry-After` honoured as seconds, fractional seconds or an HTTP date, with the computed
//!   backoff used when it is absent or malformed ([`RetryPolicy`], [`retry_after`]).
//! - A [`TokenCache`] that renews tokens before they expire and once after a 401, replaying the
//!   request.
//! - [`paging`]: `Link: rel="next"`, OData `@odata.nextLink`, offset paging, and a page stream
//!   that ends with the first failure.
//! - [`HttpError`]: typed failures with the remote message and tracking id, URLs redacted, and
//!   a mapping onto the core's [`ErrorKind`](ucx_sync_core::ErrorKind).
//!
//! ```no_run
//! use std::sync::Arc;
//! use secrecy::SecretString;
//! use ucx_http::{Call, ClientOptions, HttpClient, PlainErrors, StaticToken, TokenCache};
//!
//! # async fn run() -> Result<(), ucx_http::HttpError> {
//! let base = HttpClient::new(ClientOptions::default(), Arc::new(PlainErrors))?;
//! let token = Arc::new(TokenCache::new(Arc::new(StaticToken::new(SecretString::from("t")))));
//! let client = base.with_auth(token);
//! let url = url::Url::parse("https://api.example.com/v1/items").map_err(|e| {
//!     ucx_http::HttpError::Config { key: "url".into(), message: e.to_string() }
//! })?;
//! let resp = client.send(Call::get(url)).await?;
//! let next = ucx_http::paging::next_link(&resp.headers);
//! # let _ = next;
//! # Ok(())
//! # }
//! ```

mod client;
mod connector;
mod error;
mod options;
pub mod paging;
mod redact;
mod retry;
mod stats;
mod token;

pub use client::{Call, HttpClient, Response};
pub use connector::{FromOptions, HttpConnector, OwnClient};
pub use error::{
    ErrorDecoder, HttpError, PlainErrors, RemoteError, default_retryable, status_kind,
};
pub use options::{ClientOptions, root_url};
pub use redact::{REDACTED, redact_str, redact_url};
pub use retry::{RetryPolicy, parse_retry_after, retry_after};
pub use stats::{TransportStats, transport_stats};
pub use token::{CurrentToken, FetchedToken, StaticToken, TokenCache, TokenSource};

// Re-exported so connectors and their users name one version.
pub use reqwest;
pub use reqwest::StatusCode;
pub use reqwest::header;
pub use secrecy;
pub use url::Url;
