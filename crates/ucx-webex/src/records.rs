//! Webex objects into source records, under the attribute names `docs/connectors/webex.md`
//! documents and the mapping rules read.

use std::borrow::Cow;
use std::collections::HashMap;

use ucx_sync_core::{Attributes, ObjectKind, SourceRecord};

use crate::ids::WebexId;
use crate::wire::{
    Feature, LineNumber, Location, Person, PhoneNumber, TelephonyLocation, VirtualLine, Workspace,
    WorkspaceNumbers,
};

/// Attribute values gathered for one record, borrowed from the page where possible; blank
/// values are left out, so a missing value and an empty one read the same to filters and rules.
#[derive(Default)]
pub(crate) struct Attrs<'a>(Vec<(&'static str, Cow<'a, str>)>);

impl<'a> Attrs<'a> {
    pub(crate) fn set(&mut self, name: &'static str, value: Option<&'a str>) {
        if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
            self.0.push((name, Cow::Borrowed(v)));
        }
    }

    pub(crate) fn set_cow(&mut self, name: &'static str, value: Option<Cow<'a, str>>) {
        match value {
            Some(Cow::Borrowed(v)) => self.set(name, Some(v)),
            Some(Cow::Owned(v)) if !v.trim().is_empty() => {
                self.0.push((name, Cow::Owned(v.trim().to_owned())));
            }
            _ => {}
        }
    }

    fn build(self) -> Attributes {
        Attributes::from_pairs(self.0)
    }
}

/// A phone number with the punctuation people type removed (`+1 408 526 7209` →
/// `+14085267209`): Webex returns both forms, the users database wants E.164. A number that
/// is already clean is borrowed as is.
pub(crate) fn e164(raw: &str) -> Option<Cow<'_, str>> {
    let raw = raw.trim();
    let clean = raw
        .bytes()
        .enumerate()
        .all(|(i, b)| b.is_ascii_digit() || (b == b'+' && i == 0));
    if clean {
        return (!raw.is_empty() && raw != "+").then_some(Cow::Borrowed(raw));
    }
    let mut out = String::with_capacity(raw.len());
    for (i, c) in raw.chars().enumerate() {
        match c {
            '+' if i == 0 => out.push('+'),
            '0'..='9' => out.push(c),
            ' ' | '-' | '(' | ')' | '.' | '/' => {}
            // Letters or a second '+': not a number to normalise; keep it as given.
            _ => return Some(Cow::Borrowed(raw)),
        }
    }
    (!out.is_empty() && out != "+").then_some(Cow::Owned(out))
}

/// The routing prefix and extension joined, or the given ESN.
fn esn<'a>(
    given: Option<&'a str>,
    prefix: Option<&str>,
    extension: Option<&str>,
) -> Option<Cow<'a, str>> {
    if let Some(e) = given.map(str::trim).filter(|e| !e.is_empty()) {
        return Some(Cow::Borrowed(e));
    }
    match (prefix.map(str::trim), extension.map(str::trim)) {
        (Some(p), Some(x)) if !p.is_empty() && !x.is_empty() => Some(Cow::Owned(format!("{p}{x}"))),
        _ => None,
    }
}

/// What records are joined with: locations, organisations, SCIM ids.
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
    /// Decoded segments of the location and organisation ids seen, by raw id: every person
    /// repeats one of a handful, so each is decoded once.
    segments: HashMap<String, String>,
}

impl Directory {
    /// Remembers the decoded segment of `raw` (a location or organisation id).
    pub(crate) fn learn(&mut self, raw: &str) -> Option<&str> {
        if !self.segments.contains_key(raw) {
            let seg = WebexId::decode(raw)?.segment;
            self.segments.insert(raw.to_owned(), seg);
        }
        self.segments.get(raw).map(String::as_str)
    }

    /// A directory of these locations, their raw ids learnt.
    pub(crate) fn new(
        locations: HashMap<String, Location>,
        calling: HashMap<String, TelephonyLocation>,
    ) -> Self {
        let segments = locations
            .iter()
            .map(|(seg, l)| (l.id.clone(), seg.clone()))
            .chain(calling.iter().map(|(seg, l)| (l.id.clone(), seg.clone())))
            .collect();
        Self {
            locations,
            calling,
            segments,
            ..Self::default()
        }
    }

    fn segment<'s>(&'s self, raw: &str) -> Option<Cow<'s, str>> {
        match self.segments.get(raw) {
            Some(s) => Some(Cow::Borrowed(s)),
            None => WebexId::decode(raw).map(|i| Cow::Owned(i.segment)),
        }
    }

    fn location_of(&self, id: Option<&str>) -> (Option<&Location>, Option<&TelephonyLocation>) {
        let Some(seg) = id.and_then(|raw| self.segment(raw)) else {
            return (None, None);
        };
        (
            self.locations.get(seg.as_ref()),
            self.calling.get(seg.as_ref()),
        )
    }

    fn set_org<'a>(&'a self, a: &mut Attrs<'a>, org_id: Option<&str>) {
        if let Some(org) = org_id.and_then(|raw| self.segment(raw)) {
            a.set(
                "organization.name",
                self.org_names.get(org.as_ref()).and_then(Option::as_deref),
            );
            a.set_cow("orgId", Some(org));
        }
    }

    /// Sets the location attributes; returns the routing prefix.
    fn set_location<'a>(
        &'a self,
        a: &mut Attrs<'a>,
        id: Option<&str>,
        name: Option<&'a str>,
    ) -> Option<&'a str> {
        let (loc, calling) = self.location_of(id);
        let name = name
            .or_else(|| loc.and_then(|l| l.name.as_deref()))
            .or_else(|| calling.and_then(|c| c.name.as_deref()));
        a.set("location.name", name);
        a.set("location", name);
        let prefix = calling.and_then(|c| c.routing_prefix.as_deref());
        a.set("routingPrefix", prefix);
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

fn numbers_of<'a>(p: &'a Person, kind: &'a str) -> impl Iterator<Item = &'a PhoneNumber> {
    p.phone_numbers.iter().filter(move |n| {
        n.kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case(kind))
    })
}

/// A person as a `User` record, keyed by email.
pub(crate) fn person(p: &Person, dir: &Directory) -> Result<SourceRecord, Skip> {
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

    let primary_work = numbers_of(p, "work")
        .find(|n| n.primary == Some(true))
        .or_else(|| numbers_of(p, "work").next());
    a.set_cow(
        "phoneNumber",
        primary_work.and_then(|n| n.value.as_deref()).and_then(e164),
    );
    for n in numbers_of(p, "work") {
        a.set_cow("workPhone", n.value.as_deref().and_then(e164));
    }
    let first = |kind| {
        numbers_of(p, kind)
            .find_map(|n| n.value.as_deref())
            .and_then(e164)
    };
    a.set_cow("mobilePhone", first("mobile"));
    a.set_cow("faxNumber", first("fax"));

    let prefix = dir.set_location(&mut a, p.location_id.as_deref(), None);
    let computed = esn(None, prefix, p.extension.as_deref());
    let esn_value = match (&computed, prefix) {
        (Some(_), Some(_)) => computed,
        // Without a known routing prefix the work_extension number is the ESN.
        _ => numbers_of(p, "work_extension")
            .find_map(|n| n.value.as_deref())
            .map(Cow::Borrowed)
            .or(computed),
    };
    a.set_cow("esn", esn_value);

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
    if let Some(ext) = ci.as_ref().and_then(|c| dir.external_ids.get(c)) {
        a.set("externalId", Some(ext));
    }
    a.set_cow("commonIdentityId", ci.clone().map(Cow::Owned));
    let mut record = SourceRecord::new(ObjectKind::User, email).with_attributes(a.build());
    if let Some(ci) = ci {
        record = record.with_stable_id(ci);
    }
    Ok(record)
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

fn virtual_record<'a>(
    v: Virtual<'a>,
    mut a: Attrs<'a>,
    dir: &'a Directory,
) -> Option<SourceRecord> {
    let decoded = WebexId::decode(v.id)?;
    a.set("name", v.name);
    a.set("userType", Some(v.kind.filter_name()));
    a.set_cow("phoneNumber", v.phone.and_then(e164));
    a.set("extension", v.extension);
    let prefix = dir
        .set_location(&mut a, v.location_id, v.location_name)
        .or(v.prefix);
    if v.prefix.is_some() {
        a.set("routingPrefix", v.prefix);
    }
    // An object has no address of its own: its location's is the "User address".
    if let Some(addr) = dir
        .location_of(v.location_id)
        .0
        .and_then(|l| l.address.as_ref())
    {
        a.set("streetAddress", addr.address1.as_deref());
        a.set("postalCode", addr.postal_code.as_deref());
        a.set("locality", addr.city.as_deref());
        a.set("region", addr.state.as_deref());
        a.set("country", addr.country.as_deref());
    }
    // In a calling location without a routing prefix the extension is dialled as it is from
    // every location, so it is the ESN, as the work_extension number of a person there is.
    let unprefixed =
        prefix.is_none_or(|p| p.trim().is_empty()) && dir.location_of(v.location_id).1.is_some();
    let esn = esn(v.esn, prefix, v.extension).or_else(|| {
        unprefixed
            .then(|| v.extension.map(str::trim).filter(|x| !x.is_empty()))
            .flatten()
            .map(Cow::Borrowed)
    });
    a.set_cow("esn", esn);
    dir.set_org(&mut a, v.org_id);
    a.set("nativeUserId", Some(v.id));
    let record = SourceRecord::new(v.kind, &decoded.segment);
    a.set_cow("commonIdentityId", Some(Cow::Owned(decoded.segment)));
    Some(record.with_attributes(a.build()))
}

/// A hunt group, call queue or auto attendant.
pub(crate) fn feature(
    kind: ObjectKind,
    f: &Feature,
    org_id: Option<&str>,
    dir: &Directory,
) -> Option<SourceRecord> {
    let mut a = Attrs::default();
    a.set_cow("enabled", f.enabled.map(|b| Cow::Owned(b.to_string())));
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
    a.set_cow("displayName", name.clone().map(Cow::Owned));
    a.set_cow("name", name.map(Cow::Owned));
    let n = v.number.as_ref();
    let loc = v.location.as_ref();
    virtual_record(
        Virtual {
            kind: ObjectKind::VirtualLine,
            id: &v.id,
            org_id,
            name: None,
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
        a.set_cow(
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
