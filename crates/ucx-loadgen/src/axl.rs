//! CUCM's AXL: `listUser`, `getUser`, `listChange`, the device and SIP URI SQL query,
//! `getCCMVersion`.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    pub(crate) overlapping: bool,
    /// Users `0..changed` have changed (`POST /change`).
    pub(crate) changed: Arc<AtomicUsize>,
}

impl Respond for ListUser {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&request.body);
        let skip = number_in(&body, "skip").unwrap_or(0);
        let first = number_in(&body, "first").unwrap_or(self.total);
        let end = skip.saturating_add(first).min(self.total);
        let changed = self.changed.load(Ordering::Relaxed);
        let mut out = String::with_capacity(end.saturating_sub(skip) * 700 + 300);
        out.push_str(HEAD);
        out.push_str(
            "<ns:listUserResponse xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\"><return>",
        );
        for i in skip..end {
            user(&mut out, i, self.overlapping, i < changed);
        }
        out.push_str("</return></ns:listUserResponse>");
        out.push_str(TAIL);
        ResponseTemplate::new(200).set_body_raw(out, XML)
    }
}

/// A `listUser` answer holding the generated users `ids`, in that order (for directories that
/// change while they are listed).
pub fn list_user_answer(ids: impl IntoIterator<Item = usize>) -> String {
    let mut out = String::from(HEAD);
    out.push_str("<ns:listUserResponse xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\"><return>");
    for i in ids {
        user(&mut out, i, false, false);
    }
    out.push_str("</return></ns:listUserResponse>");
    out.push_str(TAIL);
    out
}

/// A `getUser` answer for generated user `i`.
pub fn get_user_answer(i: usize) -> String {
    changed_user_answer(i, false, false)
}

fn changed_user_answer(i: usize, overlapping: bool, changed: bool) -> String {
    let mut out = String::from(HEAD);
    out.push_str("<ns:getUserResponse xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\"><return>");
    user(&mut out, i, overlapping, changed);
    out.push_str("</return></ns:getUserResponse>");
    out.push_str(TAIL);
    out
}

/// End user `i`, the tags in the schema's order, as CUCM answers them (`\+` in patterns,
/// empty elements, upper-case uuid in braces); a changed user has moved department.
fn user(out: &mut String, i: usize, overlapping: bool, changed: bool) {
    let d = i % 40;
    let moved = if changed { " (moved)" } else { "" };
    // Numbers are unique per user, as in many clusters; with `overlapping`, number `i / 2`
    // repeats in two partitions, as in a cluster serving sites with overlapping dial plans.
    let n = i;
    let (pattern, partition, phone) = if overlapping {
        let number = format!("{:07}", i / 2);
        (number.clone(), ["PT_SITE_A", "PT_SITE_B"][i % 2], number)
    } else {
        (
            format!("\\+1202{n:07}"),
            "PT_E164",
            format!("+1 202 {n:07}"),
        )
    };
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "<user uuid=\"{{3F2A9C10-5B7E-4D21-8A6C-{i:012X}}}\"><firstName>First{i}</firstName><middleName/><lastName>Last{i}</lastName>\
<userid>user{i}</userid><mailid>user{i}@example.com</mailid><department>Dept {d}{moved}</department>\
<manager>manager{d}</manager><primaryExtension><pattern>{pattern}</pattern>\
<routePartitionName>{partition}</routePartitionName></primaryExtension><directoryUri>user{i}@example.com</directoryUri>\
<telephoneNumber>{phone}</telephoneNumber><title>Engineer</title><mobileNumber>+1 203 {n:07}</mobileNumber>\
<homeNumber/><pagerNumber/></user>"
    );
}

/// `executeSQLQuery`: the keyset scan of pkids, or one device and the SIP URI of every user
/// uuid quoted in the query.
pub(crate) struct Sql {
    pub(crate) total: usize,
}

impl Respond for Sql {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&request.body);
        let answer = keyset_answer(&body, |from, n| (from..self.total).take(n).collect())
            .unwrap_or_else(|| sql_answer(&body));
        ResponseTemplate::new(200).set_body_raw(answer, XML)
    }
}

/// The pkid of generated user `i`, as `enduser.pkid` holds it (lower case, no braces).
pub fn pkid(i: usize) -> String {
    format!("3f2a9c10-5b7e-4d21-8a6c-{i:012x}")
}

/// The answer to the keyset scan `SELECT FIRST n pkid FROM enduser WHERE pkid > 'last' ORDER BY
/// pkid` (`None` for any other query). `users(from, n)` gives the indices of at most `n` users
/// from index `from` on, in order; pkids sort as their indices do.
pub fn keyset_answer(
    request_body: &str,
    users: impl FnOnce(usize, usize) -> Vec<usize>,
) -> Option<String> {
    let at = request_body.find("SELECT FIRST ")?;
    let rest = &request_body[at + "SELECT FIRST ".len()..];
    let n: usize = rest[..rest.find(' ')?].parse().ok()?;
    let last = rest.split('\'').nth(1).unwrap_or_default();
    let from = match last.rsplit('-').next() {
        Some(tail) if !last.is_empty() => usize::from_str_radix(tail, 16).ok()? + 1,
        _ => 0,
    };
    let mut out = String::from(HEAD);
    out.push_str(
        "<ns:executeSQLQueryResponse xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\"><return>",
    );
    for i in users(from, n) {
        let _ = write!(out, "<row><pkid>{}</pkid></row>", pkid(i));
    }
    out.push_str("</return></ns:executeSQLQueryResponse>");
    out.push_str(TAIL);
    Some(out)
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

/// `getUser` by uuid: the generated user, or the "not found" fault CUCM answers.
pub(crate) struct GetUser {
    pub(crate) total: usize,
    pub(crate) overlapping: bool,
    pub(crate) changed: Arc<AtomicUsize>,
}

impl Respond for GetUser {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&request.body);
        let index = body
            .split("<uuid>")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
            .and_then(|uuid| uuid.trim_matches(['{', '}']).rsplit('-').next())
            .and_then(|tail| usize::from_str_radix(tail, 16).ok())
            .filter(|&i| i < self.total);
        match index {
            Some(i) => {
                let changed = i < self.changed.load(Ordering::Relaxed);
                ResponseTemplate::new(200)
                    .set_body_raw(changed_user_answer(i, self.overlapping, changed), XML)
            }
            None => ResponseTemplate::new(500).set_body_raw(
                format!("{HEAD}<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>Item not valid: The specified User was not found</faultstring><detail><axlError><axlcode>5007</axlcode><axlmessage>Item not valid: The specified User was not found</axlmessage><request>getUser</request></axlError></detail></soapenv:Fault>{TAIL}"),
                XML,
            ),
        }
    }
}

/// The queue id of the generated cluster's change queue.
const QUEUE: &str = "QloadGen1";

/// `listChange`: change `k` (from 1) is user `k - 1` changing (`POST /change?users=N` makes
/// changes `1..=N`). Without a `startChangeId`, the bookmark of now and no changes; from one,
/// at most `PAGE` changes after it and the bookmark to go on from; a foreign queue id is the
/// 5007 fault of a restarted queue.
pub(crate) struct ListChange {
    pub(crate) changed: Arc<AtomicUsize>,
}

impl ListChange {
    const PAGE: usize = 1000;
}

impl Respond for ListChange {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&request.body);
        let last = self.changed.load(Ordering::Relaxed);
        let start = body.split("<startChangeId").nth(1).map(|rest| {
            let queue = rest.split('"').nth(1).unwrap_or_default().to_owned();
            let id = rest
                .split('>')
                .nth(1)
                .and_then(|v| v.split('<').next())
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(1);
            (queue, id)
        });
        let from = match &start {
            Some((queue, _)) if queue != QUEUE => {
                return ResponseTemplate::new(500).set_body_raw(
                    format!("{HEAD}<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>The queueId value does not match the server. This indicates that it is either incorrect or the server restarted and a full sync is needed.</faultstring><detail><axlError><axlcode>5007</axlcode><axlmessage>The queueId value does not match the server. This indicates that it is either incorrect or the server restarted and a full sync is needed.</axlmessage><request>listChange</request></axlError></detail></soapenv:Fault>{TAIL}"),
                    XML,
                );
            }
            Some((_, id)) => (*id).max(1),
            None => last + 1,
        };
        let to = last.min(from.saturating_add(Self::PAGE - 1));
        let mut out = String::from(HEAD);
        let _ = write!(
            out,
            "<ns:listChangeResponse xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\"><queueInfo><firstChangeId>1</firstChangeId><lastChangeId>{last}</lastChangeId><nextStartChangeId>{}</nextStartChangeId><queueId>{QUEUE}</queueId></queueInfo><changes>",
            to.max(from.saturating_sub(1)) + 1
        );
        for k in from..=to {
            let i = k - 1;
            let _ = write!(
                out,
                "<change type=\"User\" uuid=\"{}\"><id>{k}</id><action>u</action><doGet>true</doGet><changedTags/></change>",
                pkid(i)
            );
        }
        out.push_str("</changes></ns:listChangeResponse>");
        out.push_str(TAIL);
        ResponseTemplate::new(200).set_body_raw(out, XML)
    }
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
