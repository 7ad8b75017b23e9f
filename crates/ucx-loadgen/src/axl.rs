//! CUCM's AXL: `listUser`, the device and SIP URI SQL query, `getCCMVersion`.

use std::fmt::Write;

use wiremock::{Request, Respond, ResponseTemplate};

const HEAD: &str = "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>";
const TAIL: &str = "</soapenv:Body></soapenv:Envelope>";
const XML: &str = "text/xml;charset=UTF-8";

/// The number in the first `<tag>…</tag>` of a request body.
fn number_in(body: &str, tag: &str) -> Option<usize> {
    let open = format!("<{tag}>");
    let at = body.find(&open)?;
    let rest = &body[at + open.len()..];
    rest[..rest.find('<')?].trim().parse().ok()
}

/// `listUser` from `skip`, `first` users (all of them without `first`, as CUCM).
pub(crate) struct ListUser {
    pub(crate) total: usize,
}

impl Respond for ListUser {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&request.body);
        let skip = number_in(&body, "skip").unwrap_or(0);
        let first = number_in(&body, "first").unwrap_or(self.total);
        let end = skip.saturating_add(first).min(self.total);
        let mut out = String::with_capacity(end.saturating_sub(skip) * 700 + 300);
        out.push_str(HEAD);
        out.push_str(
            "<ns:listUserResponse xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\"><return>",
        );
        for i in skip..end {
            user(&mut out, i);
        }
        out.push_str("</return></ns:listUserResponse>");
        out.push_str(TAIL);
        ResponseTemplate::new(200).set_body_raw(out, XML)
    }
}

/// End user `i`, the tags in the schema's order, as CUCM answers them (`\+` in patterns,
/// empty elements, upper-case uuid in braces).
fn user(out: &mut String, i: usize) {
    let d = i % 40;
    // Numbers are unique per user, as in a real cluster.
    let n = i;
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "<user uuid=\"{{3F2A9C10-5B7E-4D21-8A6C-{i:012X}}}\"><firstName>First{i}</firstName><middleName/><lastName>Last{i}</lastName>\
<userid>user{i}</userid><mailid>user{i}@example.com</mailid><department>Dept {d}</department>\
<manager>manager{d}</manager><primaryExtension><pattern>\\+1202{n:07}</pattern>\
<routePartitionName>PT_E164</routePartitionName></primaryExtension><directoryUri>user{i}@example.com</directoryUri>\
<telephoneNumber>+1 202 {n:07}</telephoneNumber><title>Engineer</title><mobileNumber>+1 203 {n:07}</mobileNumber>\
<homeNumber/><pagerNumber/></user>"
    );
}

/// `executeSQLQuery`: one device and the SIP URI of every user uuid quoted in the query.
pub(crate) struct Sql;

impl Respond for Sql {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200)
            .set_body_raw(sql_answer(&String::from_utf8_lossy(&request.body)), XML)
    }
}

/// The `executeSQLQuery` answer to `request_body`: a device (`SEP` and the uuid's last 12
/// characters) and a SIP URI for every user uuid quoted in the query.
pub fn sql_answer(request_body: &str) -> String {
    let mut out = String::from(HEAD);
    out.push_str(
        "<ns:executeSQLQueryResponse xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\"><return>",
    );
    for id in request_body.split('\'').skip(1).step_by(2) {
        let tail = id.get(24..).unwrap_or(id);
        let _ = write!(
            out,
            "<row><pkid>{id}</pkid><ocsprimaryuseraddress>sip:{id}@example.com</ocsprimaryuseraddress><device>SEP{tail}</device></row>"
        );
    }
    out.push_str("</return></ns:executeSQLQueryResponse>");
    out.push_str(TAIL);
    out
}

/// `getCCMVersion`.
pub(crate) struct Version;

impl Respond for Version {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_raw(
            format!("{HEAD}<ns:getCCMVersionResponse xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\"><return><componentVersion><version>15.0.1.11900(23)</version></componentVersion></return></ns:getCCMVersionResponse>{TAIL}"),
            XML,
        )
    }
}
