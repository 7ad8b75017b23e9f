//! wiremock helpers: scripted sequences, throttling, delays, and a catch-all that names the route
//! a test forgot to mock.

use std::time::Duration;

use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// Answers every request no other mock matched with a 500 whose body names the method and path,
/// so a missing mock fails loudly instead of hanging or looking like a server error.
pub async fn mount_catch_all(server: &MockServer) {
    Mock::given(wiremock::matchers::any())
        .respond_with(|req: &Request| {
            ResponseTemplate::new(500).set_body_string(format!(
                "no mock for {} {}{}",
                req.method,
                req.url.path(),
                req.url.query().map(|q| format!("?{q}")).unwrap_or_default()
            ))
        })
        .with_priority(u8::MAX)
        .named("catch-all")
        .mount(server)
        .await;
}

/// Answers `verb path` with `responses` in order, one each; later requests fall through to
/// other mocks.
pub async fn mount_sequence(
    server: &MockServer,
    verb: &str,
    route: &str,
    responses: Vec<ResponseTemplate>,
) {
    for (i, response) in responses.into_iter().enumerate() {
        Mock::given(method(verb))
            .and(path(route))
            .respond_with(response)
            .up_to_n_times(1)
            .named(format!("{verb} {route} #{}", i + 1))
            .mount(server)
            .await;
    }
}

/// A 429 with the given `Retry-After` value (seconds, fractional seconds or an HTTP date; or a
/// malformed one, to test the fallback).
pub fn too_many_requests(retry_after: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("Retry-After", retry_after)
        .set_body_string("{\"message\":\"Too Many Requests\"}")
}

/// `template` answered only after `delay` (to trip client timeouts).
pub fn slow(template: ResponseTemplate, delay: Duration) -> ResponseTemplate {
    template.set_delay(delay)
}

/// A body that is cut off in the middle.
pub fn truncated_json() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw("{\"items\": [{\"id\": \"1\"", "application/json")
}
