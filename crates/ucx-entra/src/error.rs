//! Graph's error body, branched on `error.code` only, with the `request-id` to quote.

use serde::Deserialize;
use ucx_http::header::HeaderMap;
use ucx_http::{ErrorDecoder, HttpError, RemoteError, StatusCode};
use ucx_sync_core::{ErrorKind, SourceError};

use crate::auth::{CONSENT, decode_token_error};

#[derive(Deserialize, Default)]
struct Envelope {
    #[serde(default)]
    error: Option<Body>,
}

#[derive(Deserialize, Default)]
struct Body {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default, rename = "innerError")]
    inner: Option<Inner>,
}

#[derive(Deserialize, Default)]
struct Inner {
    #[serde(default, rename = "request-id")]
    request_id: Option<String>,
}

/// `{"error": {"code", "message", "innerError": {"request-id"}}}`, the identity platform's
/// `{"error", "error_description", "trace_id"}`, or the `request-id` header.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct GraphErrors;

impl ErrorDecoder for GraphErrors {
    fn decode(&self, _status: StatusCode, headers: &HeaderMap, body: &[u8]) -> RemoteError {
        let header_id = headers
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if let Ok(Envelope { error: Some(e) }) = serde_json::from_slice::<Envelope>(body) {
            return RemoteError {
                message: e.message,
                code: e.code,
                tracking_id: e.inner.and_then(|i| i.request_id).or(header_id),
            };
        }
        if let Some(mut r) = decode_token_error(body) {
            r.tracking_id = r.tracking_id.or(header_id);
            return r;
        }
        RemoteError {
            tracking_id: header_id,
            ..RemoteError::default()
        }
    }
}

/// The Graph `error.code` of a failure.
pub(crate) fn code(e: &HttpError) -> Option<&str> {
    e.remote().and_then(|r| r.code.as_deref())
}

/// A Graph failure of `operation` as the core's error; a refusal for lack of consent says how
/// to grant it.
pub(crate) fn source_error(e: HttpError, operation: &str) -> SourceError {
    if code(&e) == Some("Authorization_RequestDenied") {
        let tracking = e.tracking_id().map(str::to_owned);
        let mut out = SourceError::new(ErrorKind::Forbidden, operation).with_message(CONSENT);
        if let Some(t) = tracking {
            out = out.with_tracking_id(t);
        }
        return out.with_source(e);
    }
    e.into_source_error(operation)
}
