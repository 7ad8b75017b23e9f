//! Keeps credentials out of errors and logs: URLs are printed with secret query values and user
//! information replaced.

use url::Url;

/// Query parameters whose values are credentials.
const SECRET_PARAMS: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "token",
    "client_secret",
    "client_assertion",
    "code",
    "password",
    "sig",
    "signature",
    "apikey",
    "api_key",
    "key",
];

/// The placeholder printed instead of a secret.
pub const REDACTED: &str = "REDACTED";

/// `url` as text with user information and secret query values replaced by `REDACTED`.
///
/// ```
/// let url = url::Url::parse("https://u:p@example.com/x?access_token=abc&max=10").unwrap();
/// assert_eq!(
///     ucx_http::redact_url(&url),
///     "https://REDACTED:REDACTED@example.com/x?access_token=REDACTED&max=10"
/// );
/// ```
pub fn redact_url(url: &Url) -> String {
    let mut out = url.clone();
    if !out.username().is_empty() {
        let _ = out.set_username(REDACTED);
    }
    if out.password().is_some() {
        let _ = out.set_password(Some(REDACTED));
    }
    if out.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(k, v)| {
                let secret = SECRET_PARAMS.iter().any(|s| k.eq_ignore_ascii_case(s));
                let v = if secret {
                    REDACTED.to_owned()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        out.query_pairs_mut().clear().extend_pairs(pairs);
    }
    out.to_string()
}

/// Like [`redact_url`] for text that may not parse as a URL: the text up to `?` is kept and the
/// query dropped when it does not parse.
pub fn redact_str(url: &str) -> String {
    match Url::parse(url) {
        Ok(u) => redact_url(&u),
        Err(_) => match url.split_once('?') {
            Some((head, _)) => format!("{head}?{REDACTED}"),
            None => url.to_owned(),
        },
    }
}
