//! The Webex People API and the location lists it is joined with.

use std::fmt::Write;

use base64::Engine;
use wiremock::{Request, Respond, ResponseTemplate};

use crate::throttle::Inner;

pub(crate) const LOCATIONS: &str = include_str!("../../../fixtures/webex/locations.json");
pub(crate) const TELEPHONY_LOCATIONS: &str =
    include_str!("../../../fixtures/webex/telephony-locations.json");
/// The location of `locations.json` every synthetic person is in (HQ Denver).
const LOCATION: &str = "6a4eba35-ac1d-514d-8d98-a64a03819378";
/// The second calling location of `telephony-locations.json` (Branch Austin), for overlapping
/// extensions.
const LOCATION_B: &str = "c6307bd6-f422-5789-bdca-766479502e61";

/// The routing prefixes of the two calling locations, in the order of [`LOCATIONS_BY_INDEX`].
const PREFIXES: [&str; 2] = ["8101", "8102"];
/// The two calling locations' ids and names.
const LOCATIONS_BY_INDEX: [(&str, &str); 2] =
    [(LOCATION, "HQ Denver"), (LOCATION_B, "Branch Austin")];

/// A fixed JSON answer.
pub(crate) fn fixed(body: &'static str) -> Inner {
    Box::new(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
}

/// A fixed JSON answer made at start-up.
pub(crate) fn fixed_owned(body: String) -> Inner {
    Box::new(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
}

/// The calling locations with no routing prefix, as in an organisation that does not use ESNs.
pub(crate) fn without_routing_prefixes() -> String {
    TELEPHONY_LOCATIONS
        .lines()
        .filter(|l| !l.trim_start().starts_with("\"routingPrefix\""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A Webex id: base64 of `ciscospark://us/{kind}/{uuid}` without padding.
fn id(kind: &str, uuid: &str) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD
        .encode(format!("ciscospark://us/{kind}/{uuid}"))
}

/// `GET /v1/people`: `max` people (100 by default, as Webex) from `after`.
pub(crate) struct People {
    pub(crate) total: usize,
    pub(crate) base: String,
    pub(crate) overlapping: bool,
    pub(crate) esn: bool,
}

impl Respond for People {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let (max, start) = crate::window(request, "max", 100, 1000, "after");
        // `id=a,b,…` (at most 85): those people, in no particular order, and no next link.
        let by_id: Option<Vec<usize>> = crate::query(request, "id").map(|ids| {
            ids.split(',')
                .filter_map(person_index)
                .filter(|&i| i < self.total)
                .take(85)
                .collect()
        });
        let end = (start + max).min(self.total);
        let indices: Vec<usize> = match &by_id {
            Some(ids) => ids.iter().rev().copied().collect(),
            None => (start..end).collect(),
        };
        let end = if by_id.is_some() { self.total } else { end };
        let org = id("ORGANIZATION", crate::WEBEX_ORG);
        let locations = [id("LOCATION", LOCATION), id("LOCATION", LOCATION_B)];
        let mut body = String::with_capacity(indices.len() * 1500 + 16);
        body.push_str("{\"items\":[");
        for (n, &i) in indices.iter().enumerate() {
            if n > 0 {
                body.push(',');
            }
            let (location, extension, esn) = if self.overlapping {
                let prefix = PREFIXES[i % 2];
                (&locations[i % 2], i / 2, format!("{prefix}{:07}", i / 2))
            } else {
                (&locations[0], i, format!("8101{i:07}"))
            };
            // Without routing prefixes the work_extension number is the bare extension.
            let esn = if self.esn {
                esn
            } else {
                format!("{extension:07}")
            };
            person(&mut body, &self.base, i, &org, location, extension, &esn);
        }
        body.push_str("]}");
        let mut answer = ResponseTemplate::new(200).set_body_raw(body, "application/json");
        if end < self.total {
            answer = answer.insert_header(
                "Link",
                format!(
                    "<{}/v1/people?callingData=true&excludeStatus=true&max={max}&after={end}>; rel=\"next\"",
                    self.base
                )
                .as_str(),
            );
        }
        answer
    }
}

/// The index of the generated person whose People id is `id`.
fn person_index(id: &str) -> Option<usize> {
    let raw = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(id.trim().trim_end_matches('='))
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let uuid = text.rsplit('/').next()?;
    usize::from_str_radix(uuid.get(..8)?, 16).ok()
}

/// Person `i` with calling data, about 1.4 KB as Webex answers it.
fn person(
    out: &mut String,
    base: &str,
    i: usize,
    org: &str,
    location: &str,
    extension: usize,
    esn: &str,
) {
    // Phone numbers are unique per person, as in a real organisation (up to ten million people).
    let n = i;
    let d = i % 50;
    let person_id = id("PEOPLE", &format!("{i:08x}-77cb-5b42-8673-6d3ebdeac9f0"));
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        r#"{{"id":"{person_id}","emails":["user{i}@example.com"],"phoneNumbers":[{{"type":"work","value":"+1303{n:07}","primary":true}},{{"type":"work_extension","value":"{esn}","primary":false}},{{"type":"mobile","value":"+1 720 {n:07}","primary":false}}],"extension":"{extension:07}","locationId":"{location}","displayName":"User {i} Example","nickName":"U{i}","firstName":"User{i}","lastName":"Example","avatar":"{base}/avatars/Avtr~V1~{org}/V1~{i}~1600","orgId":"{org}","roles":[],"licenses":["Y2lzY29zcGFyazovL3VzL0xJQ0VOU0UvNDJhNjE0OGUtNjMwNy01ZTYyLTg0MzAtMDEyZmY1YjY2MWUx","Y2lzY29zcGFyazovL3VzL0xJQ0VOU0UvYzA2Zjg0MTEtNGQ5Ny01NmNhLWI0ZGItMmYyZjU1Y2ZhYzc0"],"department":"Dept {d}","manager":"Manager {d}","title":"Engineer","addresses":[{{"type":"work","country":"US","locality":"Denver","region":"CO","streetAddress":"{i} Example Plaza","postalCode":"80202"}}],"created":"2024-02-12T16:04:11.123Z","lastModified":"2025-09-30T08:15:42.517Z","timezone":"America/Denver","siteUrls":["example.webex.com#attendee"],"sipAddresses":[{{"type":"cloud-calling","value":"user{i}@example.calls.webex.com","primary":true}}],"invitePending":false,"loginEnabled":true,"type":"person"}}"#
    );
}

/// Every avatar URL: a 4×4 PNG.
pub(crate) const AVATAR_PNG: &[u8] = include_bytes!("../../../fixtures/webex/avatar.png");

/// `GET /v1/people/{id}/features/callRecording`: the call-recording settings, with an External
/// Identifier of the person's own (the last ten characters of the id, lower-cased).
pub(crate) struct Recording;

impl Respond for Recording {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id = request.url.path().split('/').nth(3).unwrap_or_default();
        let local = id
            .get(id.len().saturating_sub(10)..)
            .unwrap_or(id)
            .to_ascii_lowercase();
        let body = format!(
            r#"{{"enabled":true,"record":"Always","recordVoicemailEnabled":false,"startStopAnnouncementEnabled":false,"notification":{{"type":"None","enabled":false}},"repeat":{{"interval":15,"enabled":false}},"serviceProvider":"Imagicle Recording","externalGroup":"64941297","externalIdentifier":"{local}@64941297.int10.bcld.webex.com"}}"#
        );
        ResponseTemplate::new(200).set_body_raw(body, "application/json")
    }
}

/// The kinds of virtual object served, each from its own list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeatureKind {
    HuntGroup,
    CallQueue,
    AutoAttendant,
    VirtualLine,
}

impl FeatureKind {
    pub(crate) const ALL: [FeatureKind; 4] = [
        Self::HuntGroup,
        Self::CallQueue,
        Self::AutoAttendant,
        Self::VirtualLine,
    ];

    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::HuntGroup => "/v1/telephony/config/huntGroups",
            Self::CallQueue => "/v1/telephony/config/queues",
            Self::AutoAttendant => "/v1/telephony/config/autoAttendants",
            Self::VirtualLine => "/v1/telephony/config/virtualLines",
        }
    }

    /// The list's key in the answer.
    fn key(self) -> &'static str {
        match self {
            Self::HuntGroup => "huntGroups",
            Self::CallQueue => "queues",
            Self::AutoAttendant => "autoAttendants",
            Self::VirtualLine => "virtualLines",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The id's resource type.
    fn resource(self) -> &'static str {
        match self {
            Self::HuntGroup => "HUNT_GROUP",
            Self::CallQueue => "CALL_QUEUE",
            Self::AutoAttendant => "AUTO_ATTENDANT",
            Self::VirtualLine => "VIRTUAL_LINE",
        }
    }
}

/// Which virtual object is the `m`th of `kind`: objects come in pairs of one kind (the two
/// locations of one extension when overlapping), the kinds in turn, so object `j` is of kind
/// `(j / 2) % 4`.
pub(crate) fn object_index(kind: FeatureKind, m: usize) -> usize {
    2 * (4 * (m / 2) + kind.index()) + m % 2
}

/// How many of `objects` are of `kind`.
pub(crate) fn objects_of(kind: FeatureKind, objects: usize) -> usize {
    let rest = objects % 8;
    2 * (objects / 8) + rest.saturating_sub(2 * kind.index()).min(2)
}

/// `GET /v1/telephony/config/{huntGroups,queues,autoAttendants,virtualLines}`: `max` objects
/// (the client asks for its page size) from `start`.
pub(crate) struct Features {
    pub(crate) kind: FeatureKind,
    pub(crate) objects: usize,
    pub(crate) base: String,
    pub(crate) overlapping: bool,
    pub(crate) esn: bool,
}

impl Respond for Features {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let (max, start) = crate::window(request, "max", 2000, 2000, "start");
        // Only Customer Experience Basic queues: a Customer Assist listing is empty.
        let total = if crate::query(request, "hasCxEssentials").as_deref() == Some("true") {
            0
        } else {
            objects_of(self.kind, self.objects)
        };
        let end = (start + max).min(total);
        let mut body = String::with_capacity((end - start.min(end)) * 500 + 32);
        let _ = write!(body, "{{\"{}\":[", self.kind.key());
        for m in start..end {
            if m > start {
                body.push(',');
            }
            self.object(&mut body, object_index(self.kind, m));
        }
        body.push_str("]}");
        let mut answer = ResponseTemplate::new(200).set_body_raw(body, "application/json");
        if end < total {
            answer = answer.insert_header(
                "Link",
                format!(
                    "<{}{}?max={max}&start={end}>; rel=\"next\"",
                    self.base,
                    self.kind.path()
                )
                .as_str(),
            );
        }
        answer
    }
}

impl Features {
    /// Virtual object `j`: extension `600000 + j` in HQ Denver, or with overlapping extensions
    /// `600000 + j / 2` in Denver or Austin by `j % 2`; every third object has a phone number.
    fn object(&self, out: &mut String, j: usize) {
        let (site, extension) = if self.overlapping {
            (j % 2, 600_000 + j / 2)
        } else {
            (0, 600_000 + j)
        };
        let (location_uuid, location_name) = LOCATIONS_BY_INDEX[site];
        let location = id("LOCATION", location_uuid);
        let object_id = id(
            self.kind.resource(),
            &format!("{j:08x}-5e1f-4c2a-9b7d-0a11c0ffee00"),
        );
        let phone = j.is_multiple_of(3).then(|| format!("+1719{j:07}"));
        let mut numbers = String::new();
        if self.kind == FeatureKind::VirtualLine {
            numbers.push_str("\"number\":{");
            if let Some(p) = &phone {
                let _ = write!(numbers, "\"external\":\"{p}\",");
            }
            let _ = write!(numbers, "\"extension\":\"{extension}\",");
            if self.esn {
                let prefix = PREFIXES[site];
                let _ = write!(
                    numbers,
                    "\"routingPrefix\":\"{prefix}\",\"esn\":\"{prefix}{extension}\","
                );
            }
            numbers.push_str("\"primary\":true}");
            let _ = write!(
                out,
                r#"{{"id":"{object_id}","lastName":"Line {j}","firstName":"Virtual","callerIdLastName":"Line {j}","callerIdFirstName":"Virtual","externalCallerIdNamePolicy":"DIRECT_LINE",{numbers},"location":{{"id":"{location}","name":"{location_name}"}},"numberOfDevicesAssigned":1,"billingPlan":"BCOCP1"}}"#
            );
            return;
        }
        if let Some(p) = &phone {
            let _ = write!(numbers, "\"phoneNumber\":\"{p}\",");
        }
        let _ = write!(numbers, "\"extension\":\"{extension}\",");
        if self.esn {
            let prefix = PREFIXES[site];
            let _ = write!(
                numbers,
                "\"routingPrefix\":\"{prefix}\",\"esn\":\"{prefix}{extension}\","
            );
        }
        let name = match self.kind {
            FeatureKind::HuntGroup => "Hunt group",
            FeatureKind::CallQueue => "Queue",
            _ => "Menu",
        };
        let extra = match self.kind {
            FeatureKind::CallQueue => r#","hasCxEssentials":false"#,
            FeatureKind::AutoAttendant => r#","tollFreeNumber":false"#,
            _ => "",
        };
        let _ = write!(
            out,
            r#"{{"id":"{object_id}","name":"{name} {j}","locationName":"{location_name}","locationId":"{location}",{numbers}"enabled":true{extra}}}"#
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_object_index_is_of_exactly_one_kind() {
        for objects in [0, 1, 7, 8, 9, 15, 16, 17, 1001] {
            let mut seen: Vec<usize> = FeatureKind::ALL
                .iter()
                .flat_map(|&k| (0..objects_of(k, objects)).map(move |m| object_index(k, m)))
                .collect();
            seen.sort_unstable();
            assert_eq!(seen, (0..objects).collect::<Vec<_>>(), "{objects} objects");
        }
    }
}
