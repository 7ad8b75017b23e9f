//! The SOAP requests, built by hand (no WSDL code generation: the schema is 3.7 MB and known
//! to disagree with the server in places). Each validates against the real `AXLSoap.xsd` of
//! its version (tested with xmllint).

use crate::version::AxlVersion;

/// The `listUser` returnedTags: every field the connector emits that `LUser` can return, in
/// schema order. Booleans (`enableCti`) are left out: an empty boolean element is what CUCM
/// expects but not what the schema allows, and the sync does not need them.
const LIST_USER_TAGS: &str = "<firstName/><middleName/><lastName/><userid/><mailid/><department/><manager/>\
<primaryExtension><pattern/><routePartitionName/></primaryExtension>\
<directoryUri/><telephoneNumber/><title/><mobileNumber/><homeNumber/><pagerNumber/>";

/// The `getUser` returnedTags (`RUser` order), adding the associated devices `LUser` lacks.
const GET_USER_TAGS: &str = "<firstName/><middleName/><lastName/><userid/><mailid/><department/><manager/>\
<associatedDevices><device/></associatedDevices>\
<primaryExtension><pattern/><routePartitionName/></primaryExtension>\
<directoryUri/><telephoneNumber/><title/><mobileNumber/><homeNumber/><pagerNumber/>";

/// Escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `body` (the operation element, prefixed `ns:`) in a SOAP 1.1 envelope for `version`.
pub fn envelope(version: AxlVersion, body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:ns=\"{}\">\
<soapenv:Header/><soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>",
        version.namespace()
    )
}

/// `listUser` of every user (`userid` like `%`), `first` users after `skip`.
pub fn list_user(skip: u64, first: u64) -> String {
    format!(
        "<ns:listUser><searchCriteria><userid>%</userid></searchCriteria>\
<returnedTags>{LIST_USER_TAGS}</returnedTags><skip>{skip}</skip><first>{first}</first></ns:listUser>"
    )
}

/// `getUser` by uuid (sent as `{UPPER}`, the form the schema's XUUID takes).
pub fn get_user(uuid: &str) -> String {
    format!(
        "<ns:getUser><uuid>{{{}}}</uuid><returnedTags>{GET_USER_TAGS}</returnedTags></ns:getUser>",
        escape(&uuid.to_ascii_uppercase())
    )
}

/// `executeSQLQuery` with `sql` in a CDATA section (split where the text holds `]]>`).
pub fn sql(sql: &str) -> String {
    format!(
        "<ns:executeSQLQuery><sql><![CDATA[{}]]></sql></ns:executeSQLQuery>",
        sql.replace("]]>", "]]]]><![CDATA[>")
    )
}

/// `listChange` for users, from a bookmark or (without one) to take the bookmark.
pub fn list_change(start: Option<(&str, u64)>) -> String {
    let start = match start {
        Some((queue, id)) => format!(
            "<startChangeId queueId=\"{}\">{id}</startChangeId>",
            escape(queue)
        ),
        None => String::new(),
    };
    format!("<ns:listChange>{start}<objectList><object>User</object></objectList></ns:listChange>")
}

/// `getCCMVersion`, the cheapest authenticated call (the STATUS check).
pub fn get_ccm_version() -> String {
    "<ns:getCCMVersion/>".to_owned()
}
