//! Help for connectors that hand part of a filter to their server.
//!
//! A server-side filter may only widen what the local evaluation accepts, never narrow it: a
//! record the server leaves out is lost, while the local filter always runs afterwards anyway.
//! LDAP equality (caseIgnoreMatch) ignores case and folds spaces; server filters such as OData
//! `eq` or a query parameter usually compare more strictly. The one value both agree on is a
//! plain token.

/// The assertion value as a server can compare it the way LDAP does, or `None`: ASCII, with the
/// outer spaces LDAP ignores trimmed, and no space or control character left inside (which LDAP
/// would fold and a server would not).
///
/// ```
/// assert_eq!(ucx_filter::plain_value(b" ann@example.com "), Some("ann@example.com"));
/// assert_eq!(ucx_filter::plain_value(b"R and D"), None);
/// assert_eq!(ucx_filter::plain_value("Zoë".as_bytes()), None);
/// ```
pub fn plain_value(value: &[u8]) -> Option<&str> {
    let v = std::str::from_utf8(value).ok()?.trim_matches(' ');
    (!v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic())).then_some(v)
}
