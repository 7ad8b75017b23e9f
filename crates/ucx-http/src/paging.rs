//! Paging helpers for the three paging styles the connectors meet: RFC 8288 (formerly 5988)
//! `Link` headers (Webex), OData `@odata.nextLink` (Microsoft Graph), and offset paging (Webex
//! telephony `start`/`max`, SCIM `startIndex`, AXL `skip`/`first`).

use futures::stream::{self, BoxStream, StreamExt};
use reqwest::header::{HeaderMap, LINK};
use serde::Deserialize;

use crate::error::HttpError;

/// The `rel="next"` target of the `Link` headers in `headers`, if any.
///
/// Accepts every form seen from Webex: `<url>; rel="next"`, `<url>;rel="next"` (no space),
/// unquoted `rel=next`, several links in one header or several headers, and `rel` lists such as
/// `rel="next last"`.
///
/// ```
/// use reqwest::header::{HeaderMap, HeaderValue, LINK};
/// let mut h = HeaderMap::new();
/// h.insert(LINK, HeaderValue::from_static(r#"<https://x/a?start=2>;rel="next""#));
/// assert_eq!(ucx_http::paging::next_link(&h).as_deref(), Some("https://x/a?start=2"));
/// ```
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(LINK)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(next_in_header)
}

fn next_in_header(value: &str) -> Option<String> {
    let mut rest = value;
    loop {
        let open = rest.find('<')?;
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        // Parameters run to the next link (a `<` after a comma) or the end.
        let end = after.find('<').unwrap_or(after.len());
        let params = &after[..end];
        if params.split(';').any(is_rel_next) {
            return Some(target.trim().to_owned());
        }
        rest = &after[end..];
    }
}

fn is_rel_next(param: &str) -> bool {
    let Some((name, value)) = param.split_once('=') else {
        return false;
    };
    if !name.trim().eq_ignore_ascii_case("rel") {
        return false;
    }
    let value = value.trim().trim_end_matches(',').trim().trim_matches('"');
    value
        .split_ascii_whitespace()
        .any(|r| r.eq_ignore_ascii_case("next"))
}

/// Follows the next links of one listing, the one place every connector checks them:
///
/// - a next link must keep the API root's scheme, host and port (it receives the token);
/// - a URL already requested in this listing is a cycle, and an error, never a loop;
/// - more pages than the listing can have (`max_pages`), or more empty pages in a row than
///   `max_empty` (an empty page that still carries a next link does not end a listing, but a
///   server that only ever answers empty pages is not followed forever), is an error too.
///
/// Completeness is earned: a listing is complete only when a page arrives with no next link.
///
/// ```
/// use ucx_http::{Url, paging::NextLinks};
/// let root = Url::parse("https://webexapis.com/v1/").unwrap();
/// let first = root.join("people?max=100").unwrap();
/// let mut links = NextLinks::new(&root, &first);
/// let next = links.follow("https://webexapis.com/v1/people?max=100&cursor=a", &first, 100).unwrap();
/// assert!(links.follow(first.as_str(), &next, 100).is_err()); // a cycle
/// assert!(links.follow("https://evil.example/v1/people", &next, 100).is_err());
/// ```
#[derive(Debug, Clone)]
pub struct NextLinks {
    root: url::Url,
    seen: std::collections::HashSet<String>,
    empty_in_a_row: usize,
    /// The most pages followed before the listing is refused as endless.
    pub max_pages: usize,
    /// The most empty pages in a row that may carry a next link.
    pub max_empty: usize,
}

impl NextLinks {
    /// A follower for a listing of the API at `root` that starts at `first`. Up to a million
    /// pages (a hundred million records at 100 a page) and 50 empty pages in a row.
    pub fn new(root: &url::Url, first: &url::Url) -> Self {
        Self {
            root: root.clone(),
            seen: std::iter::once(first.as_str().to_owned()).collect(),
            empty_in_a_row: 0,
            max_pages: 1_000_000,
            max_empty: 50,
        }
    }

    /// Pages requested so far, the first included.
    pub fn pages(&self) -> usize {
        self.seen.len()
    }

    /// Checks `next`, the link of the page read from `current` that held `items` records, and
    /// returns the URL to request.
    pub fn follow(
        &mut self,
        next: &str,
        current: &url::Url,
        items: usize,
    ) -> Result<url::Url, HttpError> {
        let url = current
            .join(next)
            .map_err(|e| HttpError::malformed(current, format!("next link does not parse: {e}")))?;
        self.check(url, current, items)
    }

    /// [`follow`](Self::follow) for a next URL the caller built or adjusted itself.
    pub fn check(
        &mut self,
        url: url::Url,
        current: &url::Url,
        items: usize,
    ) -> Result<url::Url, HttpError> {
        let refuse = |m: String| Err(HttpError::malformed(current, m));
        if url.scheme() != self.root.scheme()
            || url.host_str() != self.root.host_str()
            || url.port_or_known_default() != self.root.port_or_known_default()
        {
            return refuse(format!(
                "next link points to another server ({}); not following it with the token",
                crate::redact_url(&url)
            ));
        }
        self.empty_in_a_row = if items == 0 {
            self.empty_in_a_row + 1
        } else {
            0
        };
        if self.empty_in_a_row > self.max_empty {
            return refuse(format!(
                "{} empty pages in a row still carry a next link; the listing is not complete",
                self.empty_in_a_row
            ));
        }
        if !self.seen.insert(url.as_str().to_owned()) {
            return refuse(format!(
                "the next link repeats a page already read ({}); the listing is not complete",
                crate::redact_url(&url)
            ));
        }
        if self.seen.len() > self.max_pages {
            return refuse(format!(
                "more than {} pages; the listing is not complete",
                self.max_pages
            ));
        }
        Ok(url)
    }
}

/// One page of a Microsoft Graph (OData) collection: the items, and the link to the next page or
/// (for delta queries) the delta link that ends the round.
#[derive(Debug, Clone, Deserialize)]
pub struct ODataPage<T> {
    /// The items.
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
    /// The next page, to be requested verbatim.
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    /// The delta link, present on the last page of a delta round.
    #[serde(rename = "@odata.deltaLink", default)]
    pub delta_link: Option<String>,
}

/// Offset paging state: where the next page starts and how large pages are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset {
    /// The offset of the next page.
    pub start: usize,
    /// The page size asked for.
    pub size: usize,
}

impl Offset {
    /// Starts at `start` with pages of `size`.
    pub fn new(start: usize, size: usize) -> Self {
        Self { start, size }
    }

    /// The state after a page of `got` items, or `None` when that page was the last: it was
    /// empty, or `total` (when the API reports it) has been reached. A short page does not end
    /// the listing by itself, because servers clamp page sizes silently.
    pub fn advance(self, got: usize, total: Option<usize>) -> Option<Offset> {
        if got == 0 {
            return None;
        }
        let start = self.start + got;
        match total {
            Some(total) if start >= total => None,
            _ => Some(Offset { start, ..self }),
        }
    }
}

/// A lazy stream of pages: `fetch(state)` returns a page and the state for the next one (or
/// `None` after the last). The stream ends after the first error, so a failed page can never be
/// mistaken for the end of the listing.
pub fn pages<S, P, F, Fut>(first: S, fetch: F) -> BoxStream<'static, Result<P, HttpError>>
where
    S: Send + 'static,
    P: Send + 'static,
    F: FnMut(S) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(P, Option<S>), HttpError>> + Send + 'static,
{
    let mut fetch = fetch;
    stream::unfold(Some(first), move |state| {
        let fut = state.map(&mut fetch);
        async move {
            match fut?.await {
                Ok((page, next)) => Some((Ok(page), next)),
                Err(e) => Some((Err(e), None)),
            }
        }
    })
    .boxed()
}
