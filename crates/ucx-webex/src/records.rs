//! Webex objects into source records, under the attribute names `docs/connectors/webex.md`
//! documents and the mapping rules read.

use std::collections::HashMap;

use ucx_sync_core::{Attributes, ObjectKind, SourceRecord};

use crate::ids::WebexId;
use crate::wire::{
    Feature, LineNumber, Location, Person, PhoneNumber, TelephonyLocation, VirtualLine, Workspace,
    WorkspaceNumbers,
};

/// Attribute values gathered for one record; blank values are left out, so a missing value and
/// an empty one read the same to filters and rules.
#[derive(Default)]
pub(crate) struct Attrs(Vec<(&'static str, String)>);

impl Attrs {
    pub(crate) fn set(&mut self, name: &'static str, value: Option<impl AsRef<str>>) {
        if let Some(v) = value {
            let v = v.as_ref().trim();
            if !v.is_empty() {
                self.0.push((name, v.to_owned()));
            }
        }
    }

    fn build(self) -> Attributes {
        self.0.into_iter().map(|(k, v)| (k, [v])).collect()
    }
}

/// A phone number with the punctuation people type removed (`+1 408 526 7209` →
/// `+14085267209`): Webex returns both forms, the users database wants E.164.
pub(crate) fn e164(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let mut out = String::with_capacity(raw.len());
    for (i, c) in raw.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push('+'),
            '0'..='9' => out.push(c),
            ' ' | '-' | '(' | ')' | '.' | '/' => {}
            // Letters or a second '+': not a number to normalise; keep it as given.
            _ => return Some(raw.to_owned()),
        }
    }
    (!out.is_empty() && out != "+").then_some(out)
}

/// The routing prefix and extension joined, or the given ESN.
fn esn(given: Option<&str>, prefix: Option<&str>, extension: Option<&str>) -> Option<String> {
    if let Some(e) = given.filter(|e| !e.trim().is_empty()) {
        return Some(e.trim().to_owned());
    }
    match (prefix.map(str::trim), extension.map(str::trim)) {
        (Some(p), Some(x)) if !p.is_empty() && !x.is_empty() => Some(format!("{p}{x}")),
        _ => None,
    }
}

/// What the users listing joins people with.
#[derive(Debug, Default)]
pub(crate) struct Directory {
    /// Locations by decoded id.
    pub locations: HashMap<String, Location>,
    /// Calling locations by decoded id.
    pub calling: HashMap<String, TelephonyLocation>,
    /// Organisation names by organisation UUID.
    pub org_names: HashMap<String, Option<String>>,
    /// SCIM `externalId` by Common Identity UUID.
    pub external_ids: HashMap<String, String>,
}

impl Directory {
    fn location_of(&self, id: Option<&str>) -> (Option<&Location>, Option<&TelephonyLocation>) {
        let Some(seg) = id.and_then(WebexId::decode).map(|i| i.segment) else {
            return (None, None);
        };
        (self.locations.get(&seg), self.calling.get(&seg))
    }

    fn set_org(&self, a: &mut Attrs, org_id: Option<&str>) {
        if let Some(org) = org_id.and_then(WebexId::decode) {
            a.set(
                "organization.name",
                self.org_names.get(&org.segment).cloned().flatten(),
            );
            a.set("orgId", Some(org.segment));
        }
    }

    fn set_location(&self, a: &mut Attrs, id: Option<&str>, name: Option<&str>) -> Option<String> {
        let (loc, calling) = self.location_of(id);
        let name = name
            .map(str::to_owned)
            .or_else(|| loc.and_then(|l| l.name.clone()))
            .or_else(|| calling.and_then(|c| c.name.clone()));
        a.set("location.name", name.as_deref());
        a.set("location", name.as_deref());
        let prefix = calling.and_then(|c| c.routing_prefix.clone());
        a.set("routingPrefix", prefix.as_deref());
        prefix
    }
}

/// Why a person is not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    /// No email: there is no key to sync on.
    NoEmail,
    /// A bot or application user, not a person.
    NotAPerson,
}

/// A person as a `User` record, keyed by email.
pub(crate) fn person(p: Person, dir: &Directory) -> Result<SourceRecord, Skip> {
    if p.kind
        .as_deref()
        .is_some_and(|k| !k.eq_ignore_ascii_case("person"))
    {
        return Err(Skip::NotAPerson);
    }
    let Some(email) = p.emails.iter().find(|e| !e.trim().is_empty()) else {
        return Err(Skip::NoEmail);
    };
    let mut a = Attrs::default();
    a.set("email", Some(email));
    a.set("firstName", p.first_name.as_deref());
    a.set("lastName", p.last_name.as_deref());
    a.set("displayName", p.display_name.as_deref());
    a.set("nickName", p.nick_name.as_deref());
    a.set("department", p.department.as_deref());
    a.set("title", p.title.as_deref());
    a.set("manager", p.manager.as_deref());
    a.set("extension", p.extension.as_deref());
    a.set("avatarUrl", p.avatar.as_deref());
    a.set("userType", Some(ObjectKind::User.filter_name()));

    let numbers = |kind: &'static str| numbers_of(&p, kind);
    let primary_work = numbers("work")
        .find(|n| n.primary == Some(true))
        .or_else(|| numbers("work").next());
    a.set(
        "phoneNumber",
        primary_work.and_then(|n| n.value.as_deref()).and_then(e164),
    );
    for n in numbers("work") {
        a.set("workPhone", n.value.as_deref().and_then(e164));
    }
    a.set(
        "mobilePhone",
        numbers("mobile")
            .find_map(|n| n.value.as_deref())
            .and_then(e164),
    );
    a.set(
        "faxNumber",
        numbers("fax")
            .find_map(|n| n.value.as_deref())
            .and_then(e164),
    );
    let work_extension = numbers("work_extension").find_map(|n| n.value.clone());

    let prefix = dir.set_location(&mut a, p.location_id.as_deref(), None);
    let esn_value = match (&prefix, &p.extension) {
        (Some(_), Some(_)) => esn(None, prefix.as_deref(), p.extension.as_deref()),
        _ => work_extension.or_else(|| esn(None, prefix.as_deref(), p.extension.as_deref())),
    };
    a.set("esn", esn_value.as_deref());

    let address = p
        .addresses
        .iter()
        .find(|x| {
            x.kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("work"))
        })
        .or_else(|| p.addresses.first());
    if let Some(x) = address {
        a.set("streetAddress", x.street_address.as_deref());
        a.set("postalCode", x.postal_code.as_deref());
        a.set("locality", x.locality.as_deref());
        a.set("region", x.region.as_deref());
        a.set("country", x.country.as_deref());
    }
    dir.set_org(&mut a, p.org_id.as_deref());

    let ci = WebexId::decode(&p.id).map(|i| i.segment);
    a.set("nativeUserId", Some(&p.id));
    a.set("commonIdentityId", ci.as_deref());
    if let Some(ext) = ci.as_ref().and_then(|c| dir.external_ids.get(c)) {
        a.set("externalId", Some(ext));
    }
    let mut record = SourceRecord::new(ObjectKind::User, email).with_attributes(a.build());
    if let Some(ci) = ci {
        record = record.with_stable_id(ci);
    }
    Ok(record)
}

fn numbers_of<'a>(p: &'a Person, kind: &'a str) -> impl Iterator<Item = &'a PhoneNumber> {
    p.phone_numbers.iter().filter(move |n| {
        n.kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case(kind))
    })
}

/// The shared tail of every virtual object: kind, ids, number, location, organisation.
struct Virtual<'a> {
    kind: ObjectKind,
    id: &'a str,
    org_id: Option<&'a str>,
    name: Option<&'a str>,
    phone: Option<&'a str>,
    extension: Option<&'a str>,
    esn: Option<&'a str>,
    prefix: Option<&'a str>,
    location_id: Option<&'a str>,
    location_name: Option<&'a str>,
}

fn virtual_record(v: Virtual<'_>, mut a: Attrs, dir: &Directory) -> Option<SourceRecord> {
    let decoded = WebexId::decode(v.id)?;
    a.set("name", v.name);
    a.set("userType", Some(v.kind.filter_name()));
    a.set("phoneNumber", v.phone.and_then(e164));
    a.set("extension", v.extension);
    let prefix = dir
        .set_location(&mut a, v.location_id, v.location_name)
        .or_else(|| v.prefix.map(str::to_owned));
    if v.prefix.is_some() {
        a.set("routingPrefix", v.prefix);
    }
    a.set("esn", esn(v.esn, prefix.as_deref(), v.extension).as_deref());
    dir.set_org(&mut a, v.org_id);
    a.set("nativeUserId", Some(v.id));
    a.set("commonIdentityId", Some(&decoded.segment));
    Some(SourceRecord::new(v.kind, &decoded.segment).with_attributes(a.build()))
}

/// A hunt group, call queue or auto attendant.
pub(crate) fn feature(
    kind: ObjectKind,
    f: &Feature,
    org_id: Option<&str>,
    dir: &Directory,
) -> Option<SourceRecord> {
    let mut a = Attrs::default();
    a.set("enabled", f.enabled.map(|b| b.to_string()));
    if kind == ObjectKind::CallQueue {
        a.set(
            "queueType",
            Some(if f.has_cx_essentials == Some(true) {
                "customer-assist"
            } else {
                "customer-experience-basic"
            }),
        );
        a.set(
            "department",
            f.department.as_ref().and_then(|d| d.name.as_deref()),
        );
    }
    a.set("tollFreeNumber", f.toll_free_number.as_deref());
    virtual_record(
        Virtual {
            kind,
            id: &f.id,
            org_id,
            name: f.name.as_deref(),
            phone: f.phone_number.as_deref(),
            extension: f.extension.as_deref(),
            esn: f.esn.as_deref(),
            prefix: f.routing_prefix.as_deref(),
            location_id: f.location_id.as_deref(),
            location_name: f.location_name.as_deref(),
        },
        a,
        dir,
    )
}

/// A virtual line.
pub(crate) fn virtual_line(
    v: &VirtualLine,
    org_id: Option<&str>,
    dir: &Directory,
) -> Option<SourceRecord> {
    let mut a = Attrs::default();
    a.set("firstName", v.first_name.as_deref());
    a.set("lastName", v.last_name.as_deref());
    let joined = [v.first_name.as_deref(), v.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let name = v
        .display_name
        .clone()
        .or_else(|| (!joined.is_empty()).then_some(joined));
    a.set("displayName", name.as_deref());
    let n = v.number.as_ref();
    let loc = v.location.as_ref();
    virtual_record(
        Virtual {
            kind: ObjectKind::VirtualLine,
            id: &v.id,
            org_id,
            name: name.as_deref(),
            phone: n.and_then(|n| n.external.as_deref()),
            extension: n.and_then(|n| n.extension.as_deref()),
            esn: n.and_then(|n| n.esn.as_deref()),
            prefix: n.and_then(|n| n.routing_prefix.as_deref()),
            location_id: loc.and_then(|l| l.id.as_deref()),
            location_name: loc.and_then(|l| l.name.as_deref()),
        },
        a,
        dir,
    )
}

/// A workspace (or fax workspace) with its numbers.
pub(crate) fn workspace(
    kind: ObjectKind,
    w: &Workspace,
    numbers: &WorkspaceNumbers,
    org_id: Option<&str>,
    dir: &Directory,
) -> Option<SourceRecord> {
    let primary: Option<&LineNumber> = numbers
        .phone_numbers
        .iter()
        .find(|n| n.primary == Some(true))
        .or_else(|| numbers.phone_numbers.first());
    let mut a = Attrs::default();
    a.set("displayName", w.display_name.as_deref());
    a.set("sipAddress", w.sip_address.as_deref());
    // A room's calendar mailbox is the only email a workspace has.
    a.set(
        "email",
        w.calendar.as_ref().and_then(|c| c.email_address.as_deref()),
    );
    a.set("notes", w.notes.as_deref());
    if kind == ObjectKind::FaxWorkspace {
        a.set(
            "faxNumber",
            primary.and_then(|n| n.external.as_deref()).and_then(e164),
        );
    }
    let loc = numbers.location.as_ref();
    virtual_record(
        Virtual {
            kind,
            id: &w.id,
            org_id,
            name: w.display_name.as_deref(),
            phone: primary.and_then(|n| n.external.as_deref()),
            extension: primary.and_then(|n| n.extension.as_deref()),
            esn: primary.and_then(|n| n.esn.as_deref()),
            prefix: primary.and_then(|n| n.routing_prefix.as_deref()),
            location_id: w
                .location_id
                .as_deref()
                .or(loc.and_then(|l| l.id.as_deref())),
            location_name: loc.and_then(|l| l.name.as_deref()),
        },
        a,
        dir,
    )
}
