//! AXL users into source records, under the attribute names `docs/connectors/cucm.md`
//! documents and the `cucm` rule set reads.

use std::borrow::Cow;

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
fn unescape_pattern(p: &str) -> Cow<'_, str> {
    if p.contains('\\') {
        Cow::Owned(p.replace("\\+", "+"))
    } else {
        Cow::Borrowed(p)
    }
}

/// What SQL adds to a user: controlled devices (in name order) and the Microsoft SIP URI.
#[derive(Debug, Default, Clone)]
pub(crate) struct Extra {
    pub devices: Vec<String>,
    pub ms_sip_uri: Option<String>,
}

/// AXL element paths and the attribute each becomes (the names the `cucm` rules read).
const ATTRIBUTE_OF: &[(&str, &str)] = &[
    ("firstName", "firstName"),
    ("middleName", "middleName"),
    ("lastName", "lastName"),
    ("displayName", "displayName"),
    ("department", "department"),
    ("manager", "manager"),
    ("title", "title"),
    ("telephoneNumber", "telephoneNumber"),
    ("mobileNumber", "mobileNumber"),
    ("homeNumber", "homeNumber"),
    ("pagerNumber", "pager"),
    ("directoryUri", "directoryUri"),
    ("primaryExtension/routePartitionName", "partition"),
];

/// Adds a non-blank, trimmed value.
fn push<'a>(
    pairs: &mut Vec<(&'static str, Cow<'a, str>)>,
    name: &'static str,
    value: Option<Cow<'a, str>>,
) {
    let Some(v) = value else { return };
    if v.trim().is_empty() {
        return;
    }
    let v = match v {
        Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
        Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
    };
    pairs.push((name, v));
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
    // Values are borrowed from the parsed page; only composed ones are owned. One pass over
    // the fields, whatever their order or case.
    let mut pairs: Vec<(&'static str, Cow<'_, str>)> = Vec::with_capacity(24);
    let mut mail = None;
    let mut devices: Vec<&str> = Vec::new();
    for (path, value) in &flat.fields {
        let value = value.as_str();
        let name = match path.as_str() {
            "userid" => continue,
            "mailid" => {
                mail = Some(value.trim()).filter(|m| !m.is_empty());
                continue;
            }
            "associatedDevices/device" => {
                if !value.trim().is_empty() {
                    devices.push(value.trim());
                }
                continue;
            }
            "primaryExtension/pattern" => {
                push(
                    &mut pairs,
                    "primaryExtension",
                    Some(unescape_pattern(value)),
                );
                continue;
            }
            other => match ATTRIBUTE_OF
                .iter()
                .find(|(p, _)| p.eq_ignore_ascii_case(other))
            {
                Some((_, name)) => *name,
                None => continue,
            },
        };
        push(&mut pairs, name, Some(Cow::Borrowed(value)));
    }
    push(&mut pairs, "userid", Some(Cow::Borrowed(userid)));
    push(&mut pairs, "mail", mail.map(Cow::Borrowed));
    let email = match (mail, email_domain) {
        (Some(m), _) => Some(Cow::Borrowed(m)),
        (None, Some(domain)) => Some(Cow::Owned(format!("{userid}@{}", domain.trim()))),
        (None, None) => None,
    };
    push(&mut pairs, "email", email);
    push(
        &mut pairs,
        "userType",
        Some(Cow::Borrowed(ObjectKind::User.filter_name())),
    );
    let uuid = flat.attr("uuid").and_then(normalise_uuid);
    push(&mut pairs, "uuid", uuid.clone().map(Cow::Owned));
    if let Some(x) = extra {
        if devices.is_empty() {
            devices = x.devices.iter().map(String::as_str).collect();
        }
        push(
            &mut pairs,
            "msSipUri",
            x.ms_sip_uri.as_deref().map(Cow::Borrowed),
        );
    }
    push(
        &mut pairs,
        "deviceName",
        devices.first().map(|d| Cow::Borrowed(*d)),
    );
    for d in devices {
        pairs.push(("devices", Cow::Borrowed(d)));
    }
    let mut record =
        SourceRecord::new(ObjectKind::User, userid).with_attributes(Attributes::from_pairs(pairs));
    if let Some(u) = uuid {
        record = record.with_stable_id(u);
    }
    Some(record)
}
