//! Microsoft Graph: the token endpoint, `/v1.0/users` and `/v1.0/users/delta`.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use wiremock::{Request, Respond, ResponseTemplate};

pub(crate) const TOKEN: &str =
    r#"{"token_type":"Bearer","expires_in":3599,"access_token":"opaque-loadgen-token"}"#;

/// `GET /v1.0/users`: `$top` users (100 by default, 999 at most, as Graph) from `$skiptoken`.
pub(crate) struct Users {
    pub(crate) total: usize,
    pub(crate) base: String,
    /// Users `0..changed` have changed (`POST /change`).
    pub(crate) changed: Arc<AtomicUsize>,
}

impl Respond for Users {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let (top, start) = crate::window(request, "$top", 100, 999, "$skiptoken");
        let end = (start + top).min(self.total);
        let changed = self.changed.load(Ordering::Relaxed);
        let mut out = String::with_capacity(end.saturating_sub(start) * 700 + 300);
        let base = &self.base;
        let _ = write!(out, r#"{{"@odata.context":"{base}/v1.0/$metadata#users""#);
        if end < self.total {
            let _ = write!(
                out,
                r#","@odata.nextLink":"{base}/v1.0/users?$top={top}&$skiptoken={end}""#
            );
        }
        page_of(out, start..end, changed)
    }
}

/// `GET /v1.0/users/delta`: without a `$deltatoken`, every user in pages (`$skiptoken`), the
/// last page ending in a `@odata.deltaLink`; with one, the users changed since it was issued
/// (the token is how many had changed then) and a new delta link; `$deltatoken=latest`, no
/// users and the delta link of now.
pub(crate) struct Delta {
    pub(crate) total: usize,
    pub(crate) base: String,
    pub(crate) changed: Arc<AtomicUsize>,
}

impl Respond for Delta {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let changed = self.changed.load(Ordering::Relaxed).min(self.total);
        let base = &self.base;
        let (start, end, next) = match crate::query(request, "$deltatoken") {
            // `latest`: a delta link of now, no users.
            Some(t) => {
                let since = if t == "latest" {
                    changed
                } else {
                    t.parse::<usize>().unwrap_or(0).min(changed)
                };
                (since, changed, None)
            }
            None => {
                let (top, start) = crate::window(request, "$top", 100, 999, "$skiptoken");
                let end = (start + top).min(self.total);
                (start, end, (end < self.total).then_some(end))
            }
        };
        let mut out = String::with_capacity(end.saturating_sub(start) * 700 + 300);
        let _ = write!(out, r#"{{"@odata.context":"{base}/v1.0/$metadata#users""#);
        match next {
            Some(n) => {
                let _ = write!(
                    out,
                    r#","@odata.nextLink":"{base}/v1.0/users/delta?$skiptoken={n}""#
                );
            }
            None => {
                let _ = write!(
                    out,
                    r#","@odata.deltaLink":"{base}/v1.0/users/delta?$deltatoken={changed}""#
                );
            }
        }
        page_of(out, start..end, changed)
    }
}

/// Ends the page `out` with the users `range` as its `value`.
fn page_of(mut out: String, range: std::ops::Range<usize>, changed: usize) -> ResponseTemplate {
    out.push_str(r#","value":["#);
    for i in range.clone() {
        if i > range.start {
            out.push(',');
        }
        user(&mut out, i, i < changed);
    }
    out.push_str("]}");
    ResponseTemplate::new(200).set_body_raw(out, "application/json")
}

/// User `i` with the properties a `$select` of the sync's attributes returns; a changed user
/// has moved department.
fn user(out: &mut String, i: usize, changed: bool) {
    let d = i % 40;
    let moved = if changed { " (moved)" } else { "" };
    // Numbers are unique per user, as in a real tenant.
    let n = i;
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        r#"{{"id":"{i:08x}-1b7d-4e8a-9f6c-2d5b8e1a7c03","userPrincipalName":"user{i}@example.com","mail":"user{i}@example.com","givenName":"Given{i}","surname":"Surname{i}","displayName":"Given{i} Surname{i}","department":"Dept {d}{moved}","officeLocation":"Building {d}","city":"City {d}","streetAddress":"{i} Example Street","postalCode":"10118","state":"NY","country":"US","businessPhones":["+1 212 {n:07}"],"mobilePhone":"+1 917 {n:07}","faxNumber":null,"jobTitle":"Engineer","employeeId":"{i}","accountEnabled":true,"onPremisesSamAccountName":"user{i}","userType":"Member"}}"#
    );
}
