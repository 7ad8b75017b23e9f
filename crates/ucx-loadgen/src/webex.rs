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

/// A fixed JSON answer.
pub(crate) fn fixed(body: &'static str) -> Inner {
    Box::new(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
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
}

impl Respond for People {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let max: usize = crate::query(request, "max")
            .and_then(|m| m.parse().ok())
            .unwrap_or(100)
            .clamp(1, 1000);
        let start: usize = crate::query(request, "after")
            .and_then(|a| a.parse().ok())
            .unwrap_or(0);
        let end = (start + max).min(self.total);
        let org = id("ORGANIZATION", crate::WEBEX_ORG);
        let locations = [id("LOCATION", LOCATION), id("LOCATION", LOCATION_B)];
        let mut body = String::with_capacity((end - start.min(end)) * 1500 + 16);
        body.push_str("{\"items\":[");
        for i in start..end {
            if i > start {
                body.push(',');
            }
            let (location, extension, esn) = if self.overlapping {
                let prefix = ["8101", "8102"][i % 2];
                (&locations[i % 2], i / 2, format!("{prefix}{:07}", i / 2))
            } else {
                (&locations[0], i, format!("8{i:07}"))
            };
            person(&mut body, i, &org, location, extension, &esn);
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

/// Person `i` with calling data, about 1.4 KB as Webex answers it.
fn person(out: &mut String, i: usize, org: &str, location: &str, extension: usize, esn: &str) {
    // Phone numbers are unique per person, as in a real organisation (up to ten million people).
    let n = i;
    let d = i % 50;
    let person_id = id("PEOPLE", &format!("{i:08x}-77cb-5b42-8673-6d3ebdeac9f0"));
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        r#"{{"id":"{person_id}","emails":["user{i}@example.com"],"phoneNumbers":[{{"type":"work","value":"+1303{n:07}","primary":true}},{{"type":"work_extension","value":"{esn}","primary":false}},{{"type":"mobile","value":"+1 720 {n:07}","primary":false}}],"extension":"{extension:07}","locationId":"{location}","displayName":"User {i} Example","nickName":"U{i}","firstName":"User{i}","lastName":"Example","avatar":"https://avatar-prod-us-east-2.webexcontent.com/Avtr~V1~{org}/V1~{i}~1600","orgId":"{org}","roles":[],"licenses":["Y2lzY29zcGFyazovL3VzL0xJQ0VOU0UvNDJhNjE0OGUtNjMwNy01ZTYyLTg0MzAtMDEyZmY1YjY2MWUx","Y2lzY29zcGFyazovL3VzL0xJQ0VOU0UvYzA2Zjg0MTEtNGQ5Ny01NmNhLWI0ZGItMmYyZjU1Y2ZhYzc0"],"department":"Dept {d}","manager":"Manager {d}","title":"Engineer","addresses":[{{"type":"work","country":"US","locality":"Denver","region":"CO","streetAddress":"{i} Example Plaza","postalCode":"80202"}}],"created":"2024-02-12T16:04:11.123Z","lastModified":"2025-09-30T08:15:42.517Z","timezone":"America/Denver","siteUrls":["example.webex.com#attendee"],"sipAddresses":[{{"type":"cloud-calling","value":"user{i}@example.calls.webex.com","primary":true}}],"invitePending":false,"loginEnabled":true,"type":"person"}}"#
    );
}
