//! AXL users into source records, under the attribute names `docs/connectors/cucm.md`
//! documents and the `cucm` rule set reads.

use ucx_sync_core::{Attributes, ObjectKind, SourceRecord};

use crate::parse::Flat;

/// A uuid or pkid in one form: lower case, no braces (`{3F2A…}` from getUser and listUser,
/// `3f2a…` from SQL and listChange). `None` unless it is a UUID, so it is safe to put in SQL.
pub fn normalise_uuid(raw: &str) -> Option<String> {
    let t = raw.trim().trim_start_matches('{').trim_end_matches('}');
    let ok = t.len() == 36
        && t.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        });
    ok.then(|| t.to_ascii_lowercase())
}

/// A directory number as dialled: AXL escapes the `+` of E.164 patterns (`\+12025550104`).
fn unescape_pattern(p: &str) -> String {
    p.replace("\\+", "+")
}

/// What SQL adds to a user: controlled devices (in name order) and the Microsoft SIP URI.
#[derive(Debug, Default, Clone)]
pub(crate) struct Extra {
    pub devices: Vec<String>,
    pub ms_sip_uri: Option<String>,
}

/// A `user` element (listUser or getUser) as a record keyed by userid. `None` without a userid.
pub(crate) fn user(
    flat: &Flat,
    extra: Option<&Extra>,
    email_domain: Option<&str>,
) -> Option<SourceRecord> {
    let userid = flat
        .get("userid")
        .map(str::trim)
        .filter(|u| !u.is_empty())?;
    let mut pairs: Vec<(&str, String)> = Vec::with_capacity(24);
    let mut set = |name: &'static str, value: Option<&str>| {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            pairs.push((name, v.to_owned()));
        }
    };
    set("userid", Some(userid));
    set("firstName", flat.get("firstName"));
    set("middleName", flat.get("middleName"));
    set("lastName", flat.get("lastName"));
    set("displayName", flat.get("displayName"));
    let mail = flat.get("mailid").map(str::trim).filter(|m| !m.is_empty());
    set("mail", mail);
    let composed = match (mail, email_domain) {
        (None, Some(domain)) => Some(format!("{userid}@{}", domain.trim())),
        _ => None,
    };
    set("email", mail.or(composed.as_deref()));
    set("department", flat.get("department"));
    set("manager", flat.get("manager"));
    set("title", flat.get("title"));
    set("telephoneNumber", flat.get("telephoneNumber"));
    set("mobileNumber", flat.get("mobileNumber"));
    set("homeNumber", flat.get("homeNumber"));
    set("pager", flat.get("pagerNumber"));
    set("directoryUri", flat.get("directoryUri"));
    let pattern = flat.get("primaryExtension/pattern").map(unescape_pattern);
    set("primaryExtension", pattern.as_deref());
    set("partition", flat.get("primaryExtension/routePartitionName"));
    set("userType", Some(ObjectKind::User.filter_name()));
    let uuid = flat.attr("uuid").and_then(normalise_uuid);
    set("uuid", uuid.as_deref());
    let mut devices: Vec<String> = flat
        .all("associatedDevices/device")
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect();
    let mut sip = None;
    if let Some(x) = extra {
        if devices.is_empty() {
            devices = x.devices.clone();
        }
        sip = x.ms_sip_uri.clone();
    }
    set("msSipUri", sip.as_deref());
    set("deviceName", devices.first().map(String::as_str));
    for d in &devices {
        pairs.push(("devices", d.clone()));
    }
    let mut record =
        SourceRecord::new(ObjectKind::User, userid).with_attributes(Attributes::from_pairs(pairs));
    if let Some(u) = uuid {
        record = record.with_stable_id(u);
    }
    Some(record)
}
