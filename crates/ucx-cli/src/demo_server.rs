//! The demo's loopback servers: Webex, CUCM and Microsoft Graph answering from the bundled
//! `fixtures/` (compiled in, so the binary needs no checkout), on hyper, so the shipped
//! binary carries no test framework. The tests' mock servers (`ucx-testkit`) answer the same.

use std::net::SocketAddr;

use bytes::Bytes;
use tokio::net::TcpListener;

macro_rules! file {
    ($path:literal) => {
        include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/",
            $path
        ))
    };
}

/// The organisation every Webex fixture belongs to.
pub(crate) const WEBEX_ORG: &str = "c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4";
/// The tenant of the Entra fixtures.
pub(crate) const ENTRA_TENANT: &str = "6b1f3c2e-8d4a-4f7b-9e21-5c3a7d9b0e14";
/// The application of the Entra fixtures.
pub(crate) const ENTRA_CLIENT: &str = "0f4e2d6c-9a3b-4c8e-b1f7-5e2a9d6c3b80";
/// The `$skiptoken` of the second `/users` page.
const ENTRA_PAGE2: &str = "RFNwdAIAAQAAABc6ZGFuYS5va2Fmb3JAZXhhbXBsZS5jb20pVXNlcl9lOWI0YzdhMi02ZjNkLTRiMWUtOGE1Yy0zZDdmMmU5YjFjNjC5AAAAAAAAAAAA";
/// The fax workspace of `workspaces.json`, with an extension and no phone number here.
const FAX_WORKSPACE: &str =
    "Y2lzY29zcGFyazovL3VzL1BMQUNFLzk5MWY3NDdmLTRmYzctNTAzYS1iZDA3LWE2YjVmMTJhZGExNQ";
/// The host the fixtures' avatar URLs name, served here under `/avatars/`.
const AVATAR_HOST: &str = "https://avatar-prod-us-east-2.webexcontent.com/";
const AVATAR_PNG: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/webex/avatar.png"
));

/// Which API a server answers as.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Api {
    Webex,
    Cucm,
    Entra,
}

pub(crate) use crate::http_server::Served;
use crate::http_server::{Answer, Asked};

/// Starts a server answering as `api` on a free loopback port.
pub(crate) async fn serve(api: Api) -> std::io::Result<Served> {
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    crate::http_server::spawn(listener, move |asked: Asked, base: String| async move {
        let found = match api {
            Api::Webex => webex(&asked, &base),
            Api::Cucm => cucm(&asked),
            Api::Entra => entra(&asked, &base),
        };
        found.unwrap_or_else(|| {
            Answer::text(
                500,
                format!("no fixture for {} {}", asked.method, asked.path),
            )
        })
    })
}

fn json(body: impl Into<String>) -> Answer {
    Answer(
        200,
        "application/json",
        Some(("TrackingID", "ROUTER_FIXTURE".into())),
        Bytes::from(body.into()),
    )
}

fn xml(body: &'static str) -> Answer {
    Answer(
        200,
        "text/xml;charset=UTF-8",
        None,
        Bytes::from_static(body.as_bytes()),
    )
}

/// The people pages with their avatars on this server.
fn people_pages(base: &str) -> [String; 2] {
    let local = |p: &str| p.replace(AVATAR_HOST, &format!("{base}/avatars/"));
    [
        local(file!("webex/people-page1.json")),
        local(file!("webex/people-page2.json")),
    ]
}

fn webex(a: &Asked, base: &str) -> Option<Answer> {
    let p = a.path.as_str();
    let segments: Vec<&str> = p.split('/').collect();
    Some(match p {
        "/v1/locations" => json(file!("webex/locations.json")),
        "/v1/telephony/config/locations" => json(file!("webex/telephony-locations.json")),
        "/v1/people" => match (a.param("id"), a.param("after")) {
            (Some(ids), _) => people_by_id(&people_pages(base), ids),
            (None, Some("P2")) => json(people_pages(base)[1].clone()),
            (None, None) => {
                let [first, _] = people_pages(base);
                let next = format!(
                    "<{base}/v1/people?callingData=true&excludeStatus=true&max=100&after=P2>; rel=\"next\""
                );
                let Answer(s, t, _, b) = json(first);
                Answer(s, t, Some(("Link", next)), b)
            }
            _ => return None,
        },
        "/v1/telephony/config/huntGroups" => match a.param("start") {
            None => {
                let next =
                    format!("<{base}/v1/telephony/config/huntGroups?max=2&start=2>;rel=\"next\"");
                let Answer(s, t, _, b) = json(file!("webex/hunt-groups-page1.json"));
                Answer(s, t, Some(("Link", next)), b)
            }
            Some("2") => json(file!("webex/hunt-groups-page2.json")),
            _ => return None,
        },
        "/v1/telephony/config/queues" => match a.param("hasCxEssentials") {
            Some("true") => json(file!("webex/call-queues-cx.json")),
            _ => json(file!("webex/call-queues.json")),
        },
        "/v1/telephony/config/autoAttendants" => json(file!("webex/auto-attendants.json")),
        "/v1/telephony/config/virtualLines" => json(file!("webex/virtual-lines.json")),
        "/v1/telephony/config/numbers" => json(file!("webex/numbers.json")),
        "/v1/workspaces" => json(file!("webex/workspaces.json")),
        _ if p.starts_with("/avatars/") => {
            Answer(200, "image/png", None, Bytes::from_static(AVATAR_PNG))
        }
        _ => match segments.as_slice() {
            ["", "v1", "organizations", _] => json(file!("webex/organization.json")),
            [
                "",
                "v1",
                "people" | "workspaces",
                id,
                "features",
                "callRecording",
            ] => json(file!("webex/call-recording.json").replace(
                "a34iidrh5o@64941297.int10.bcld.webex.com",
                &recording_external_id(id),
            )),
            ["", "v1", "workspaces", id, "features", "numbers"] => json(match *id {
                "Y2lzY29zcGFyazovL3VzL1BMQUNFL2U1ZDlmYzIxLWZjOWItNTkzYS1hODJlLWRhNGJkYjYxYTY1MA" => {
                    file!("webex/workspace-numbers-boardroom.json")
                }
                "Y2lzY29zcGFyazovL3VzL1BMQUNFL2UxMWM4OTRiLTg1NjEtNTI3Ni05NDdjLTc4MDBmMDFmMjkzMw" => {
                    file!("webex/workspace-numbers-lobby.json")
                }
                FAX_WORKSPACE => file!("webex/workspace-numbers-fax-extension.json"),
                _ => return None,
            }),
            _ => return None,
        },
    })
}

/// `GET /v1/people?id=a,b,…`: those people of the pages.
fn people_by_id(pages: &[String], ids: &str) -> Answer {
    let ids: Vec<&str> = ids.split(',').collect();
    let items: Vec<serde_json::Value> = pages
        .iter()
        .filter_map(|p| serde_json::from_str::<serde_json::Value>(p).ok())
        .filter_map(|p| p.get("items").and_then(|i| i.as_array()).cloned())
        .flatten()
        .filter(|p| {
            p.get("id")
                .and_then(|i| i.as_str())
                .is_some_and(|i| ids.contains(&i))
        })
        .collect();
    json(serde_json::json!({ "items": items }).to_string())
}

/// The call-recording External Identifier of the person or workspace `id`, as the tests'
/// servers give it: the id's last ten characters, lower-cased, at the recording domain.
fn recording_external_id(id: &str) -> String {
    let start = id.len().saturating_sub(10);
    let local = id.get(start..).unwrap_or(id).to_ascii_lowercase();
    format!("{local}@64941297.int10.bcld.webex.com")
}

fn cucm(a: &Asked) -> Option<Answer> {
    if a.method != hyper::Method::POST || a.path != "/axl/" {
        return None;
    }
    // `"CUCM:DB ver=15.0 listUser"`: the operation is the last word.
    let operation = a.soap_action.trim_matches('"').rsplit(' ').next()?;
    Some(match operation {
        "listUser" if a.body.contains("<skip>0</skip>") => xml(file!("cucm/listUser-page1.xml")),
        "listUser" if a.body.contains("<skip>3</skip>") => {
            xml(file!("cucm/listUser-page2-last.xml"))
        }
        "executeSQLQuery" if a.body.contains("3f2a9c10-5b7e-4d21-8a6c-0e1f2a3b4c01") => {
            xml(file!("cucm/sql-extras-page1.xml"))
        }
        "executeSQLQuery" if a.body.contains("3f2a9c10-5b7e-4d21-8a6c-0e1f2a3b4c04") => {
            xml(file!("cucm/sql-extras-page2.xml"))
        }
        "executeSQLQuery" => xml(file!("cucm/sql-empty.xml")),
        "getCCMVersion" => xml(file!("cucm/getCCMVersion.xml")),
        _ => return None,
    })
}

fn entra(a: &Asked, base: &str) -> Option<Answer> {
    Some(match (&a.method, a.path.as_str()) {
        (&hyper::Method::POST, p) if p == format!("/{ENTRA_TENANT}/oauth2/v2.0/token") => {
            json(file!("entra/token-response.json"))
        }
        (&hyper::Method::GET, "/v1.0/users") => match a.param("$skiptoken") {
            None => {
                json(file!("entra/users-page1.json").replace("https://graph.microsoft.com", base))
            }
            Some(ENTRA_PAGE2) => json(file!("entra/users-page2.json")),
            Some(_) => return None,
        },
        _ => return None,
    })
}
