//! Webex's error body, and the STATUS messages an administrator sees.

use ucx_http::header::HeaderMap;
use ucx_http::{ErrorDecoder, RemoteError, StatusCode};
use ucx_sync_core::{ErrorKind, SourceError};

use crate::wire::ErrorBody;

/// Reads `{"message", "errors": [{"description", "errorCode"}], "trackingId"}` (and the OAuth
/// `{"error", "error_description"}` of the token endpoint); the tracking id falls back to the
/// `TrackingID` response header.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WebexErrors;

impl ErrorDecoder for WebexErrors {
    fn decode(&self, _status: StatusCode, headers: &HeaderMap, body: &[u8]) -> RemoteError {
        let header_id = headers
            .get("trackingid")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if body.is_empty() {
            return RemoteError {
                tracking_id: header_id,
                ..RemoteError::default()
            };
        }
        let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let detail = parsed.errors.first();
        let message = parsed
            .message
            .or_else(|| detail.and_then(|d| d.description.clone()))
            .or(parsed.error_description)
            .or_else(|| {
                // Not JSON (a proxy's HTML page): keep the start of it.
                let text = String::from_utf8_lossy(body);
                let text = text.trim();
                (!text.is_empty() && !text.starts_with('{'))
                    .then(|| text.chars().take(200).collect())
            });
        RemoteError {
            message,
            code: parsed
                .error
                .or(parsed.error_code)
                .or_else(|| detail.and_then(|d| d.error_code.clone())),
            tracking_id: parsed.tracking_id.or(header_id),
        }
    }
}

/// The messages shown under the STATUS indicator of a Webex source, as the product documents
/// them (seed "Synchronize Users against Cisco Webex Control Hub"), worded for a direct Webex
/// connection: the product's "Imagicle Cloud" is, here, the Webex cloud itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebexStatus {
    /// The token endpoint refused the client id or secret.
    #[error("Client ID or Client Secret are misconfigured")]
    ClientMisconfigured,
    /// The service app or integration is not authorised in the organisation (refresh token
    /// revoked or expired, token without admin scopes).
    #[error(
        "Webex is not enabled to synchronize users: the service app is not authorized in this organization. Check OAuth2 token enablement."
    )]
    NotAuthorized,
    /// The Webex cloud cannot be reached (DNS, proxy, firewall, outage).
    #[error("Webex Cloud unreachable")]
    Unreachable,
    /// Anything else.
    #[error("An unexpected error occurred while checking Webex Cloud connection")]
    Unexpected,
}

impl WebexStatus {
    /// The status an error during `check` corresponds to.
    pub fn of(err: &SourceError) -> WebexStatus {
        if err.message().is_some_and(|m| m == CLIENT_MISCONFIGURED) {
            return WebexStatus::ClientMisconfigured;
        }
        match err.kind() {
            ErrorKind::Auth | ErrorKind::Forbidden => WebexStatus::NotAuthorized,
            ErrorKind::Unavailable | ErrorKind::Timeout => WebexStatus::Unreachable,
            _ => WebexStatus::Unexpected,
        }
    }

    /// The normalised kind.
    pub fn kind(self) -> ErrorKind {
        match self {
            WebexStatus::ClientMisconfigured | WebexStatus::NotAuthorized => ErrorKind::Auth,
            WebexStatus::Unreachable => ErrorKind::Unavailable,
            WebexStatus::Unexpected => ErrorKind::Protocol,
        }
    }
}

pub(crate) const CLIENT_MISCONFIGURED: &str = "Client ID or Client Secret are misconfigured";

/// The STATUS error for a failed `check`: the product's message first, the cause after.
pub(crate) fn status_error(err: SourceError) -> SourceError {
    let status = WebexStatus::of(&err);
    let mut out = SourceError::new(err.kind(), "check Webex connection").with_message(format!(
        "{status}{}",
        err.message()
            .filter(|m| *m != status.to_string())
            .map(|m| format!(" ({m})"))
            .unwrap_or_default()
    ));
    if let Some(t) = err.tracking_id() {
        out = out.with_tracking_id(t.to_owned());
    }
    out.with_source(err)
}
