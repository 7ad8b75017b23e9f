//! The normalised error every source reports, whatever its protocol.

use std::fmt;
use std::time::Duration;

/// What kind of failure a source reported. Each connector maps its HTTP statuses and SOAP faults
/// to one of these in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The source is configured wrongly (bad URL, missing setting).
    Config,
    /// Credentials were refused or have expired.
    Auth,
    /// Authenticated, but not allowed (missing role, consent or scope).
    Forbidden,
    /// The object or endpoint does not exist.
    NotFound,
    /// The source asked us to slow down.
    RateLimited,
    /// No answer in time.
    Timeout,
    /// The source is down or failing (5xx, connection refused).
    Unavailable,
    /// The answer could not be understood (malformed body, truncated page, unexpected shape).
    Protocol,
    /// The operation is not offered by this source.
    Unsupported,
}

impl ErrorKind {
    /// Whether trying again later may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::RateLimited | ErrorKind::Timeout | ErrorKind::Unavailable
        )
    }

    fn describe(self) -> &'static str {
        match self {
            ErrorKind::Config => "configuration error",
            ErrorKind::Auth => "authentication failed",
            ErrorKind::Forbidden => "access denied",
            ErrorKind::NotFound => "not found",
            ErrorKind::RateLimited => "rate limited",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Unavailable => "source unavailable",
            ErrorKind::Protocol => "unexpected response",
            ErrorKind::Unsupported => "not supported",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A failure reported by a source: a normalised kind, what was being done, the remote message and
/// tracking id when the source gave them, and the cause.
///
/// `Display` describes this layer only (`list users: rate limited: Too many requests (tracking
/// id X)`); the transport error, if any, is the `source()`.
#[derive(Debug)]
pub struct SourceError {
    kind: ErrorKind,
    operation: String,
    message: Option<String>,
    tracking_id: Option<String>,
    retry_after: Option<Duration>,
    source: Option<BoxError>,
}

impl SourceError {
    /// An error of `kind` during `operation` (such as "list users" or "getUser").
    pub fn new(kind: ErrorKind, operation: impl Into<String>) -> Self {
        Self {
            kind,
            operation: operation.into(),
            message: None,
            tracking_id: None,
            retry_after: None,
            source: None,
        }
    }

    /// Adds the message the source gave.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Adds the source's tracking or request id.
    pub fn with_tracking_id(mut self, id: impl Into<String>) -> Self {
        self.tracking_id = Some(id.into());
        self
    }

    /// Adds how long the source asked us to wait.
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.retry_after = Some(wait);
        self
    }

    /// Adds the underlying cause.
    pub fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.source = Some(source.into());
        self
    }

    /// The normalised kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What was being done.
    pub fn operation(&self) -> &str {
        &self.operation
    }

    /// The remote message.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The remote tracking or request id.
    pub fn tracking_id(&self) -> Option<&str> {
        self.tracking_id.as_deref()
    }

    /// How long the source asked us to wait, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.kind)?;
        if let Some(m) = &self.message {
            write!(f, ": {m}")?;
        }
        if let Some(t) = &self.tracking_id {
            write!(f, " (tracking id {t})")?;
        }
        Ok(())
    }
}

impl std::error::Error for SourceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A setting that cannot be used: names the key and says what is wrong. Sources check their
/// settings when they are built, before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid setting `{key}`: {message}")]
pub struct ConfigError {
    /// The setting.
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
}

impl ConfigError {
    /// `key` is wrong because of `message`.
    pub fn new(key: &'static str, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
        }
    }
}
