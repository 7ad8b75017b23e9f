//! Where an [`HttpClient`](crate::HttpClient)'s `reqwest::Client` comes from: built from the
//! options (the default), or brought by the service that embeds the connectors, with its own
//! tracing, DNS resolver, connection pool or transport settings.

use std::fmt;

use crate::error::HttpError;
use crate::options::ClientOptions;

/// Makes the `reqwest::Client` an [`HttpClient`](crate::HttpClient) sends with. Implement it
/// to decide per client (the connectors build several: one per API, one without credentials
/// for pictures); [`OwnClient`] covers the common case of one client for all.
pub trait HttpConnector: fmt::Debug + Send + Sync {
    /// The client for an [`HttpClient`](crate::HttpClient) built with `options`.
    fn connect(&self, options: &ClientOptions) -> Result<reqwest::Client, HttpError>;
}

/// The default: a client built from the options' timeouts, proxy and trusted certificates.
#[derive(Debug, Default, Clone, Copy)]
pub struct FromOptions;

impl HttpConnector for FromOptions {
    fn connect(&self, options: &ClientOptions) -> Result<reqwest::Client, HttpError> {
        crate::client::build_reqwest(options)
    }
}

/// A `reqwest::Client` of the embedding service's own, used as it is. Its timeouts, proxy and
/// trust roots are then the client's: the options' `timeout`, `connect_timeout`, `proxy`,
/// `extra_ca_*`, `only_extra_roots` and `danger_accept_invalid_certs` are not applied. Retries,
/// `Retry-After`, the per-host concurrency and the body size limit still are.
///
/// ```
/// use ucx_http::{ClientOptions, HttpClient, PlainErrors};
/// let mine = ucx_http::reqwest::Client::builder()
///     .user_agent("billing-service/2.1")
///     .build()
///     .unwrap();
/// let options = ClientOptions::default().with_client(mine);
/// let client = HttpClient::new(options, std::sync::Arc::new(PlainErrors)).unwrap();
/// # drop(client);
/// ```
#[derive(Debug, Clone)]
pub struct OwnClient(reqwest::Client);

impl OwnClient {
    /// `client`, for every [`HttpClient`](crate::HttpClient) built with these options.
    pub fn new(client: reqwest::Client) -> Self {
        Self(client)
    }
}

impl HttpConnector for OwnClient {
    fn connect(&self, _: &ClientOptions) -> Result<reqwest::Client, HttpError> {
        Ok(self.0.clone())
    }
}
