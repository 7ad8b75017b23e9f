//! AXL's failures: SOAP faults with `axlcode`/`axlmessage`, and HTTP statuses that carry no
//! SOAP at all (401, 403, 503, 599).

use ucx_http::header::HeaderMap;
use ucx_http::{ErrorDecoder, HttpError, RemoteError, StatusCode, default_retryable};
use ucx_sync_core::{ErrorKind, SourceError};

use crate::parse::{Fault, ParseFailure, fault};

/// Reads a SOAP fault's `axlmessage` (else `faultstring`) and `axlcode`; a non-SOAP body (an
/// HTML error page) gives its text. Retries: a fault is an answer, not a failure to answer, so
/// only "Maximum AXL Memory Allocation Consumed" is retried among faults; 503 and other 5xx
/// without a fault are retried; 599 (unsupported version) is handled by the client.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct AxlErrors;

impl ErrorDecoder for AxlErrors {
    fn decode(&self, _status: StatusCode, _headers: &HeaderMap, body: &[u8]) -> RemoteError {
        if let Some(f) = fault(body) {
            return RemoteError {
                message: f.axlmessage.or(f.faultstring),
                code: f.axlcode.or_else(|| Some("fault".to_owned())),
                tracking_id: None,
            };
        }
        let text = String::from_utf8_lossy(body);
        let text = strip_tags(&text);
        RemoteError {
            message: (!text.is_empty()).then(|| text.chars().take(300).collect()),
            ..RemoteError::default()
        }
    }

    fn is_retryable(&self, status: StatusCode, remote: &RemoteError) -> bool {
        if status.as_u16() == 599 {
            return false;
        }
        match &remote.code {
            Some(_) => remote
                .message
                .as_deref()
                .is_some_and(|m| m.contains("Maximum AXL Memory Allocation Consumed")),
            None => default_retryable(status),
        }
    }
}

/// The visible text of an HTML error page.
fn strip_tags(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What a fault or refusal means for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// "Query request too large. Total rows matched: N rows. Suggestive Row Fetch: less than M
    /// rows".
    TooLarge {
        total: Option<u64>,
        suggested: Option<u64>,
    },
    /// axlcode 5007 on a lookup: the object does not exist.
    NotFound,
    /// axlcode 5007 on `listChange`: the change queue restarted; a full sync is needed.
    StaleQueue,
    /// HTTP 599: the schema version is not supported.
    Version(String),
    /// Anything else.
    Other,
}

/// Classifies a failed AXL call.
pub(crate) fn refusal(err: &HttpError) -> Refusal {
    let Some(status) = err.status() else {
        return Refusal::Other;
    };
    let remote = err.remote().cloned().unwrap_or_default();
    let message = remote.message.unwrap_or_default();
    if status.as_u16() == 599 {
        return Refusal::Version(message);
    }
    let lower = message.to_ascii_lowercase();
    if lower.contains("query request too large") {
        return Refusal::TooLarge {
            total: number_after(&lower, "total rows matched:"),
            suggested: lower
                .find("suggest")
                .and_then(|at| number_after(&lower[at..], "less than")),
        };
    }
    if remote.code.as_deref() == Some("5007") {
        if lower.contains("queueid") || lower.contains("full sync") {
            return Refusal::StaleQueue;
        }
        return Refusal::NotFound;
    }
    Refusal::Other
}

fn number_after(text: &str, marker: &str) -> Option<u64> {
    let at = text.find(marker)? + marker.len();
    text[at..]
        .trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// An AXL failure as the core's error, naming the operation and keeping AXL's code and message.
pub(crate) fn source_error(err: HttpError, operation: &str) -> SourceError {
    let code = err.remote().and_then(|r| r.code.clone());
    let forbidden = err.status() == Some(StatusCode::FORBIDDEN);
    let mut e = err.into_source_error(format!("AXL {operation}"));
    if forbidden {
        e = SourceError::new(ErrorKind::Forbidden, format!("AXL {operation}"))
            .with_message(
                "the account lacks an AXL role (Standard AXL API Access, or Standard AXL API Users + Standard AXL Read Only API Access)",
            )
            .with_source(e);
    } else if let Some(code) = code.filter(|c| c != "fault") {
        let message = e.message().map(str::to_owned).unwrap_or_default();
        e = SourceError::new(e.kind(), format!("AXL {operation}"))
            .with_message(format!("axlcode {code}: {message}"))
            .with_source(e);
    }
    e
}

/// What was wrong with a body that was not the expected answer.
pub(crate) fn failure_message(failure: ParseFailure) -> String {
    match failure {
        ParseFailure::Malformed(m) => m,
        ParseFailure::Fault(Fault {
            faultstring,
            axlcode,
            axlmessage,
        }) => format!(
            "a fault in a successful answer: axlcode {}: {}",
            axlcode.unwrap_or_default(),
            axlmessage.or(faultstring).unwrap_or_default()
        ),
    }
}
