//! Reading a captured People page without Webex: replaying a support case, and fuzzing.

use ucx_sync_core::{ErrorKind, SourceError, SourceRecord};

use crate::records::{self, Directory};
use crate::wire::PeoplePage;

/// The users of a `GET /v1/people` page, as the users source would emit them (without the
/// location and organisation joins). A body that is not a People page is a `Protocol` error.
///
/// ```
/// let page = br#"{"items":[{"id":"Y2lzY29zcGFyazovL3VzL1BFT1BMRS8x","emails":["Ann@Example.com"],"type":"person"}]}"#;
/// let users = ucx_webex::parse_people_page(page).unwrap();
/// assert_eq!(users[0].key.as_str(), "ann@example.com");
/// ```
pub fn parse_people_page(json: &[u8]) -> Result<Vec<SourceRecord>, SourceError> {
    let page: PeoplePage = serde_json::from_slice(json).map_err(|e| {
        SourceError::new(ErrorKind::Protocol, "parse People page").with_message(e.to_string())
    })?;
    let dir = Directory::default();
    Ok(page
        .items
        .iter()
        .filter_map(|p| records::person(p, &dir).ok())
        .collect())
}
