//! Reading a captured Graph users page without Graph: replaying a support case, and fuzzing.

use ucx_http::paging::ODataPage;
use ucx_sync_core::{ErrorKind, SourceError, SourceRecord};

use crate::config::{EntraConfig, EntraCredential};
use crate::records;
use crate::wire::User;

/// The users of a `/users` (or delta) page, as the source would emit them with default
/// settings. A body that is not an OData page is a `Protocol` error.
///
/// ```
/// let page = br#"{"value":[{"id":"3f2a9c4e-1b7d-4e8a-9f6c-2d5b8e1a7c03","userPrincipalName":"Avery@Example.com","businessPhones":[]}]}"#;
/// let users = ucx_entra::parse_users_page(page).unwrap();
/// assert_eq!(users[0].key.as_str(), "avery@example.com");
/// ```
pub fn parse_users_page(json: &[u8]) -> Result<Vec<SourceRecord>, SourceError> {
    let page: ODataPage<User> = serde_json::from_slice(json).map_err(|e| {
        SourceError::new(ErrorKind::Protocol, "parse Graph page").with_message(e.to_string())
    })?;
    let config = EntraConfig::new(
        "offline",
        "offline",
        EntraCredential::Secret(ucx_http::secrecy::SecretString::from("")),
    );
    Ok(page
        .value
        .iter()
        .filter_map(|u| records::user(u, &config).ok())
        .collect())
}
