//! The client every connector sends its requests through: one place for retries, throttling,
//! authentication, body limits and error decoding.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use reqwest::header::{AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::error::{ErrorDecoder, HttpError};
use crate::options::ClientOptions;
use crate::redact::redact_url;
use crate::retry::retry_after;
use crate::token::TokenCache;

/// One request to send: what, where, and how it may be retried.
#[derive(Debug, Clone)]
pub struct Call {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    idempotent: bool,
    authenticated: bool,
    fail_fast: Vec<StatusCode>,
    body_limit: Option<usize>,
}

impl Call {
    /// A GET of `url` (idempotent, authenticated when the client has a token).
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::GET,
            url,
            headers: HeaderMap::new(),
            body: None,
            idempotent: true,
            authenticated: true,
            fail_fast: Vec::new(),
            body_limit: None,
        }
    }

    /// A POST of `body` with `content_type`. Not idempotent unless marked so: only answers that
    /// say the request was not processed (429, 503) are retried.
    pub fn post(url: Url, content_type: &'static str, body: impl Into<Bytes>) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        Self {
            method: Method::POST,
            url,
            headers,
            body: Some(body.into()),
            idempotent: false,
            authenticated: true,
            fail_fast: Vec::new(),
            body_limit: None,
        }
    }

    /// A form-encoded POST (token endpoints).
    pub fn post_form(url: Url, fields: &[(&str, &str)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        Self::post(url, "application/x-www-form-urlencoded", body)
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: HeaderValue) -> Self {
        self.headers.insert(name, value);
        self
    }

    /// Marks the call safe to repeat (a read sent as POST, such as a SOAP query).
    pub fn idempotent(mut self) -> Self {
        self.idempotent = true;
        self
    }

    /// Sends the call without the client's token (token endpoints, public resources).
    pub fn anonymous(mut self) -> Self {
        self.authenticated = false;
        self
    }

    /// Returns `status` to the caller at once instead of retrying it, for callers that react
    /// differently (a 504 on a large page is answered with a smaller page, not the same one).
    pub fn fail_fast_on(mut self, status: StatusCode) -> Self {
        self.fail_fast.push(status);
        self
    }

    /// Caps this call's response body below the client's cap (an avatar, a photo).
    pub fn limit_body(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// The URL.
    pub fn url(&self) -> &Url {
        &self.url
    }
}

/// A successful answer, read in full.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status (2xx).
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// The URL that was requested.
    pub url: Url,
    /// The tracking id the API's [`ErrorDecoder`] found in the headers.
    pub tracking_id: Option<String>,
}

impl Response {
    /// Parses the body as JSON into `T`. A body that does not parse, or does not have the
    /// expected shape, is a `Malformed` error naming the line and column.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Malformed {
            url: redact_url(&self.url),
            message: e.to_string(),
            tracking_id: self.tracking_id.clone(),
        })
    }
}

struct Inner {
    client: reqwest::Client,
    options: ClientOptions,
    decoder: Arc<dyn ErrorDecoder>,
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
    /// Per host, until when a server asked every caller to wait (`Retry-After` on a 429 or
    /// 503): one worker told to slow down slows every worker of the client down with it.
    paused: Mutex<HashMap<String, tokio::time::Instant>>,
}

/// `host:port` of `url`, the key of the per-host limits and pauses.
fn host_of(url: &Url) -> Option<String> {
    Some(format!(
        "{}:{}",
        url.host_str()?,
        url.port_or_known_default()?
    ))
}

/// An HTTP client with the connectors' policies built in. Cheap to clone; clones share
/// connections, per-host limits and (unless replaced with [`with_auth`](Self::with_auth)) the
/// token.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
    auth: Option<Arc<TokenCache>>,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("options", &self.inner.options)
            .field("decoder", &self.inner.decoder)
            .field("auth", &self.auth)
            .finish()
    }
}

impl HttpClient {
    /// Builds a client from `options`, decoding error bodies with `decoder`.
    pub fn new(options: ClientOptions, decoder: Arc<dyn ErrorDecoder>) -> Result<Self, HttpError> {
        let client = options.connector.connect(&options)?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                options,
                decoder,
                limits: Mutex::new(HashMap::new()),
                paused: Mutex::new(HashMap::new()),
            }),
            auth: None,
        })
    }

    /// This client sending `cache`'s token as `Authorization: Bearer` on authenticated calls.
    pub fn with_auth(&self, cache: Arc<TokenCache>) -> Self {
        Self {
            inner: self.inner.clone(),
            auth: Some(cache),
        }
    }

    /// The options the client was built with.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// GETs `url` and parses the JSON body, returning it with the response.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: Url,
    ) -> Result<(T, Response), HttpError> {
        self.send_parsed(Call::get(url), |resp| {
            let value = resp.json()?;
            Ok((value, resp))
        })
        .await
    }

    /// Sends `call`, retrying what may succeed when repeated, and returns the successful answer
    /// read in full (within the body cap), or the last failure.
    ///
    /// Retried: 408, 429 and 5xx (as the decoder decides) and broken connections, for
    /// idempotent calls; only 429 and 503 for others. A timeout is retried only for idempotent
    /// calls. `Retry-After` (seconds, fractional seconds, HTTP date) is honoured up to
    /// [`RetryPolicy::max_retry_after`](crate::RetryPolicy::max_retry_after); without it (or
    /// when it is malformed) the computed backoff applies. A 401 on an authenticated call
    /// renews the token once and replays the call. Each retry is logged at WARN.
    pub async fn send(&self, call: Call) -> Result<Response, HttpError> {
        self.send_parsed(call, Ok).await
    }

    /// [`send`](Self::send), then `parse` on the answer. An answer that does not parse (a body
    /// cut short behind a proxy, a gateway's HTML page with status 200) is retried like a
    /// broken connection when the call is idempotent, within the same attempts and time.
    pub async fn send_parsed<T>(
        &self,
        call: Call,
        mut parse: impl FnMut(Response) -> Result<T, HttpError>,
    ) -> Result<T, HttpError> {
        let policy = &self.inner.options.retry;
        let started = Instant::now();
        let mut backoff = policy.backoff();
        let mut attempt = 0usize;
        let mut renewed = false;
        loop {
            attempt += 1;
            let token = match (&self.auth, call.authenticated) {
                (Some(cache), true) => Some(cache.current().await?),
                _ => None,
            };
            let outcome = {
                self.hold_off(&call.url).await;
                let _permit = self.permit(&call.url).await;
                self.exchange(&call, token.as_ref().map(|t| &t.token)).await
            };
            let (error, server_wait) = match outcome {
                Ok(resp) => match parse(resp) {
                    Ok(value) => return Ok(value),
                    Err(e @ HttpError::Malformed { .. }) if call.idempotent => (e, None),
                    Err(e) => return Err(e),
                },
                Err(Failure::Status(status, headers, body)) => {
                    let remote = self.inner.decoder.decode(status, &headers, &body);
                    let wait = retry_after(&headers);
                    if let (true, Some(cache), Some(token)) = (
                        status == StatusCode::UNAUTHORIZED && !renewed,
                        &self.auth,
                        &token,
                    ) && cache.can_refresh()
                    {
                        renewed = true;
                        attempt -= 1;
                        tracing::info!(
                            url = %redact_url(&call.url),
                            "access token refused; renewing it and sending again"
                        );
                        cache.invalidate(token).await;
                        continue;
                    }
                    let retryable = !call.fail_fast.contains(&status)
                        && self.inner.decoder.is_retryable(status, &remote)
                        && (call.idempotent
                            || status == StatusCode::TOO_MANY_REQUESTS
                            || status == StatusCode::SERVICE_UNAVAILABLE);
                    let err = HttpError::Status {
                        method: call.method.to_string(),
                        url: redact_url(&call.url),
                        status,
                        remote: Box::new(remote),
                        retry_after: wait,
                    };
                    if !retryable {
                        return Err(err);
                    }
                    (err, wait)
                }
                Err(Failure::Other(err, retryable)) => {
                    if !retryable {
                        return Err(err);
                    }
                    (err, None)
                }
            };
            let Some(computed) = backoff.next() else {
                return Err(error);
            };
            if attempt >= policy.max_attempts {
                return Err(error);
            }
            let wait = match server_wait {
                Some(w) if w > policy.max_retry_after => {
                    tracing::warn!(
                        url = %redact_url(&call.url),
                        wait_s = w.as_secs_f64(),
                        "server asked to wait longer than allowed; giving up"
                    );
                    return Err(error);
                }
                Some(w) => w,
                None => computed,
            };
            if started.elapsed() + wait > policy.max_elapsed {
                return Err(error);
            }
            if server_wait.is_some() {
                self.pause(&call.url, wait);
            }
            tracing::warn!(
                method = %call.method,
                url = %redact_url(&call.url),
                attempt,
                wait_ms = wait.as_millis() as u64,
                retry_after = server_wait.is_some(),
                error = %error,
                "retrying"
            );
            crate::stats::count_retry(wait, server_wait.is_some());
            tokio::time::sleep(wait).await;
        }
    }

    /// Waits while the host is paused by a `Retry-After` another call was given.
    async fn hold_off(&self, url: &Url) {
        let Some(host) = host_of(url) else { return };
        loop {
            let until = self
                .inner
                .paused
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(&host)
                .copied();
            match until {
                Some(t) if t > tokio::time::Instant::now() => tokio::time::sleep_until(t).await,
                _ => return,
            }
        }
    }

    /// Pauses every call to the host for `wait` (the later of this and any pause already set).
    fn pause(&self, url: &Url, wait: Duration) {
        let Some(host) = host_of(url) else { return };
        let until = tokio::time::Instant::now() + wait;
        let mut paused = self
            .inner
            .paused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = paused.entry(host).or_insert(until);
        if *entry < until {
            *entry = until;
        }
    }

    async fn permit(&self, url: &Url) -> Option<OwnedSemaphorePermit> {
        let host = host_of(url)?;
        let sem = {
            let mut limits = self
                .inner
                .limits
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            limits
                .entry(host)
                .or_insert_with(|| {
                    Arc::new(Semaphore::new(
                        self.inner.options.max_concurrency_per_host.max(1),
                    ))
                })
                .clone()
        };
        sem.acquire_owned().await.ok()
    }

    async fn exchange(
        &self,
        call: &Call,
        token: Option<&secrecy::SecretString>,
    ) -> Result<Response, Failure> {
        let method = &call.method;
        let url = &call.url;
        let mut req = self
            .inner
            .client
            .request(method.clone(), url.clone())
            .headers(call.headers.clone());
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
                .map_err(|_| {
                    Failure::Other(
                        HttpError::Token {
                            kind: ucx_sync_core::ErrorKind::Protocol,
                            message: "the access token contains characters not allowed in a header"
                                .into(),
                            tracking_id: None,
                        },
                        false,
                    )
                })?;
            value.set_sensitive(true);
            req = req.header(AUTHORIZATION, value);
        }
        if let Some(body) = &call.body {
            req = req.body(body.clone());
        }
        let classify = |e: reqwest::Error| -> Failure {
            if e.is_timeout() {
                let err = HttpError::Timeout {
                    method: method.to_string(),
                    url: redact_url(url),
                    timeout: self.inner.options.timeout,
                };
                Failure::Other(err, call.idempotent)
            } else {
                // A refused connection never reached the server, so even a POST may be sent again.
                let retry = call.idempotent || e.is_connect();
                Failure::Other(HttpError::connect(method, url, e), retry)
            }
        };
        let mut resp = req.send().await.map_err(classify)?;
        let status = resp.status();
        let headers = std::mem::take(resp.headers_mut());
        let limit = call
            .body_limit
            .map_or(self.inner.options.max_body_bytes, |l| {
                l.min(self.inner.options.max_body_bytes)
            });
        let too_large = || {
            Failure::Other(
                HttpError::BodyTooLarge {
                    method: method.to_string(),
                    url: redact_url(url),
                    limit,
                },
                false,
            )
        };
        let declared = headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > limit) {
            return Err(too_large());
        }
        let mut body = BytesMut::with_capacity(declared.unwrap_or(0).min(limit));
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        let body = body.freeze();
        if status.is_success() {
            let tracking_id = self.inner.decoder.decode(status, &headers, b"").tracking_id;
            Ok(Response {
                status,
                headers,
                body,
                url: url.clone(),
                tracking_id,
            })
        } else {
            Err(Failure::Status(status, headers, body))
        }
    }
}

enum Failure {
    Status(StatusCode, HeaderMap, Bytes),
    /// An error, and whether it may be retried.
    Other(HttpError, bool),
}

pub(crate) fn build_reqwest(options: &ClientOptions) -> Result<reqwest::Client, HttpError> {
    let config = |key: &str, message: String| HttpError::Config {
        key: key.to_owned(),
        message,
    };
    let mut builder = reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.connect_timeout)
        .user_agent(options.user_agent.clone())
        .pool_idle_timeout(Duration::from_secs(60))
        .use_rustls_tls();
    if let Some(proxy) = &options.proxy {
        let p = reqwest::Proxy::all(proxy)
            .map_err(|e| config("proxy", e.without_url().to_string()))?
            .no_proxy(reqwest::NoProxy::from_env());
        builder = builder.proxy(p);
    }
    let mut pems: Vec<Vec<u8>> = options.extra_ca_pem.clone();
    for path in &options.extra_ca_files {
        let pem = std::fs::read(path)
            .map_err(|e| config("extra_ca_files", format!("{}: {e}", path.display())))?;
        pems.push(pem);
    }
    for pem in &pems {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| config("extra_ca_files", format!("not a PEM certificate: {e}")))?;
        if certs.is_empty() {
            return Err(config(
                "extra_ca_files",
                "no certificate found in the PEM text".into(),
            ));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if options.only_extra_roots {
        if pems.is_empty() {
            return Err(config(
                "only_extra_roots",
                "set, but no extra certificate is configured".into(),
            ));
        }
        builder = builder.tls_built_in_root_certs(false);
    }
    if options.danger_accept_invalid_certs {
        tracing::error!(
            "TLS certificate verification is OFF for this client: any server can impersonate the source. Use a CA file or a pinned certificate outside the laboratory."
        );
        builder = builder.danger_accept_invalid_certs(true);
    }
    builder
        .build()
        .map_err(|e| config("client", e.without_url().to_string()))
}
