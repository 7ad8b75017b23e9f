//! Reading a captured AXL answer without a cluster: replaying a support case, and fuzzing the
//! parser.

use ucx_sync_core::{ErrorKind, SourceError, SourceRecord};

use crate::error::failure_message;
use crate::parse::scan;
use crate::records;

/// The users of a `listUser` (or `getUser`) answer, as the source would emit them (without
/// the SQL-joined devices). A fault, a DTD or a malformed body is a `Protocol` error.
///
/// ```
/// let xml = br#"<?xml version='1.0'?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body><ns:listUserResponse xmlns:ns="http://www.cisco.com/AXL/API/14.0"><return><user uuid="{3F2A9C10-5B7E-4D21-8A6C-0E1F2A3B4C01}"><userid>ajones</userid></user></return></ns:listUserResponse></soapenv:Body></soapenv:Envelope>"#;
/// let users = ucx_cucm::parse_list_user(xml, None).unwrap();
/// assert_eq!(users[0].key.as_str(), "ajones");
/// ```
pub fn parse_list_user(
    xml: &[u8],
    email_domain: Option<&str>,
) -> Result<Vec<SourceRecord>, SourceError> {
    let response = if memchr_find(xml, b"getUserResponse") {
        "getUserResponse"
    } else {
        "listUserResponse"
    };
    let found = scan(xml, response, "return", "user").map_err(|f| {
        SourceError::new(ErrorKind::Protocol, "parse AXL answer").with_message(failure_message(f))
    })?;
    Ok(found
        .records
        .iter()
        .filter_map(|u| records::user(u, None, email_domain))
        .collect())
}

fn memchr_find(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
