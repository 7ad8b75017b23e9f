//! The transport's error type, and how it maps onto the core's normalised [`ErrorKind`].

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use ucx_sync_core::{ErrorKind, SourceError};

use crate::redact::redact_url;

/// What a remote API said about a failed request, decoded from its error body by the connector's
/// [`ErrorDecoder`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteError {
    /// The human-readable message.
    pub message: Option<String>,
    /// The API's own error code (`Authorization_RequestDenied`, an AXL code, a Webex error code).
    pub code: Option<String>,
    /// The tracking or request id to quote to the vendor's support.
    pub tracking_id: Option<String>,
}

/// Reads a failed response's body into a [`RemoteError`], and decides which failures are worth
/// retrying. Each connector implements it once for its API's error shape.
pub trait ErrorDecoder: fmt::Debug + Send + Sync {
    /// Decodes the error body of a response with `status`. Must not fail: a body that cannot be
    /// read gives an empty [`RemoteError`] (or one with the tracking header only).
    fn decode(&self, status: StatusCode, headers: &HeaderMap, body: &[u8]) -> RemoteError;

    /// Whether a response with `status` and this error may succeed when sent again. The default
    /// retries 408, 429 and every 5xx except 501 (not implemented) and 505 (version unsupported).
    fn is_retryable(&self, status: StatusCode, remote: &RemoteError) -> bool {
        let _ = remote;
        default_retryable(status)
    }
}

/// The statuses worth retrying whatever the API: 408, 429, and 5xx except 501 and 505.
pub fn default_retryable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || (status.is_server_error()
            && status != StatusCode::NOT_IMPLEMENTED
            && status != StatusCode::HTTP_VERSION_NOT_SUPPORTED)
}

/// An [`ErrorDecoder`] for APIs with no structured error body: the message is the body's first
/// 200 characters when it is text.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainErrors;

impl ErrorDecoder for PlainErrors {
    fn decode(&self, _status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> RemoteError {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        RemoteError {
            message: (!text.is_empty()).then(|| text.chars().take(200).collect()),
            ..RemoteError::default()
        }
    }
}

/// A failed HTTP exchange, after retries. URLs are redacted (no tokens or secrets in query
/// strings), and transport causes are kept without their URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The server answered with an error status.
    #[error("{method} {url}: HTTP {status}{}", describe(remote))]
    Status {
        /// The request method.
        method: String,
        /// The request URL, redacted.
        url: String,
        /// The status of the last answer.
        status: StatusCode,
        /// What the server said.
        remote: Box<RemoteError>,
        /// How long the server asked us to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// No complete answer within the timeout.
    #[error("{method} {url}: no answer within {timeout:?}")]
    Timeout {
        /// The request method.
        method: String,
        /// The request URL, redacted.
        url: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The connection failed or broke before the answer was complete.
    #[error("{method} {url}: connection failed")]
    Connect {
        /// The request method.
        method: String,
        /// The request URL, redacted.
        url: String,
        /// The transport error, without its URL.
        #[source]
        source: reqwest::Error,
    },
    /// The body was larger than the configured cap.
    #[error("{method} {url}: response body larger than {limit} bytes")]
    BodyTooLarge {
        /// The request method.
        method: String,
        /// The request URL, redacted.
        url: String,
        /// The cap.
        limit: usize,
    },
    /// The body could not be understood.
    #[error("{url}: malformed response: {message}")]
    Malformed {
        /// The request URL, redacted.
        url: String,
        /// What was wrong, with the position when known.
        message: String,
        /// The tracking id of the response, if it had one.
        tracking_id: Option<String>,
    },
    /// The client is configured wrongly; names the setting.
    #[error("invalid setting `{key}`: {message}")]
    Config {
        /// The setting.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// Getting an access token failed.
    #[error("access token: {kind}: {message}")]
    Token {
        /// The normalised kind (Auth for refused credentials).
        kind: ErrorKind,
        /// What the token endpoint said.
        message: String,
        /// The token endpoint's tracking id.
        tracking_id: Option<String>,
    },
}

fn describe(remote: &RemoteError) -> String {
    let mut out = String::new();
    if let Some(code) = &remote.code {
        out.push_str(" [");
        out.push_str(code);
        out.push(']');
    }
    if let Some(m) = &remote.message {
        out.push_str(": ");
        out.push_str(m);
    }
    if let Some(t) = &remote.tracking_id {
        out.push_str(" (tracking id ");
        out.push_str(t);
        out.push(')');
    }
    out
}

impl HttpError {
    pub(crate) fn connect(method: &reqwest::Method, url: &url::Url, e: reqwest::Error) -> Self {
        HttpError::Connect {
            method: method.to_string(),
            url: redact_url(url),
            source: e.without_url(),
        }
    }

    /// A malformed body at `url`.
    pub fn malformed(url: &url::Url, message: impl Into<String>) -> Self {
        HttpError::Malformed {
            url: redact_url(url),
            message: message.into(),
            tracking_id: None,
        }
    }

    /// The normalised kind of this failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HttpError::Status { status, .. } => status_kind(*status),
            HttpError::Timeout { .. } => ErrorKind::Timeout,
            HttpError::Connect { .. } => ErrorKind::Unavailable,
            HttpError::BodyTooLarge { .. } | HttpError::Malformed { .. } => ErrorKind::Protocol,
            HttpError::Config { .. } => ErrorKind::Config,
            HttpError::Token { kind, .. } => *kind,
        }
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// What the server said, when it answered with an error status.
    pub fn remote(&self) -> Option<&RemoteError> {
        match self {
            HttpError::Status { remote, .. } => Some(remote.as_ref()),
            _ => None,
        }
    }

    /// The tracking or request id, when there is one.
    pub fn tracking_id(&self) -> Option<&str> {
        match self {
            HttpError::Status { remote, .. } => remote.tracking_id.as_deref(),
            HttpError::Malformed { tracking_id, .. } | HttpError::Token { tracking_id, .. } => {
                tracking_id.as_deref()
            }
            _ => None,
        }
    }

    /// Converts into the core's error for `operation`, keeping the remote message, tracking id
    /// and Retry-After.
    pub fn into_source_error(self, operation: impl Into<String>) -> SourceError {
        let mut err = SourceError::new(self.kind(), operation);
        match &self {
            HttpError::Status {
                remote,
                retry_after,
                ..
            } => {
                if let Some(m) = &remote.message {
                    err = err.with_message(m.clone());
                }
                if let Some(t) = &remote.tracking_id {
                    err = err.with_tracking_id(t.clone());
                }
                if let Some(wait) = retry_after {
                    err = err.with_retry_after(*wait);
                }
            }
            HttpError::Malformed {
                message,
                tracking_id,
                ..
            }
            | HttpError::Token {
                message,
                tracking_id,
                ..
            } => {
                err = err.with_message(message.clone());
                if let Some(t) = tracking_id {
                    err = err.with_tracking_id(t.clone());
                }
            }
            _ => {}
        }
        err.with_source(self)
    }
}

/// The normalised kind of an HTTP error status.
pub fn status_kind(status: StatusCode) -> ErrorKind {
    match status.as_u16() {
        401 => ErrorKind::Auth,
        403 => ErrorKind::Forbidden,
        404 | 410 => ErrorKind::NotFound,
        408 | 504 => ErrorKind::Timeout,
        429 => ErrorKind::RateLimited,
        423 => ErrorKind::RateLimited,
        501 | 505 => ErrorKind::Unsupported,
        500..=599 => ErrorKind::Unavailable,
        400..=499 => ErrorKind::Config,
        _ => ErrorKind::Protocol,
    }
}
