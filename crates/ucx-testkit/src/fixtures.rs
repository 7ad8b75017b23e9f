//! Mock servers answering like Webex, CUCM and Microsoft Graph from the bundled `fixtures/`
//! (compiled in, so a binary needs no checkout): the connector tests, the examples and
//! `ucx-sync demo` mount the same answers.

use wiremock::matchers::{
    body_string_contains, header_regex, method, path, path_regex, query_param,
    query_param_is_missing,
};
use wiremock::{Mock, MockBuilder, MockServer, ResponseTemplate};

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
pub const WEBEX_ORG: &str = "c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4";
/// The tenant of the Entra fixtures.
pub const ENTRA_TENANT: &str = "6b1f3c2e-8d4a-4f7b-9e21-5c3a7d9b0e14";
/// The application of the Entra fixtures.
pub const ENTRA_CLIENT: &str = "0f4e2d6c-9a3b-4c8e-b1f7-5e2a9d6c3b80";
/// The `$skiptoken` of the second `/users` page.
pub const ENTRA_PAGE2: &str = "RFNwdAIAAQAAABc6ZGFuYS5va2Fmb3JAZXhhbXBsZS5jb20pVXNlcl9lOWI0YzdhMi02ZjNkLTRiMWUtOGE1Yy0zZDdmMmU5YjFjNjC5AAAAAAAAAAAA";

fn json(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("TrackingID", "ROUTER_FIXTURE")
        .set_body_raw(body.to_owned(), "application/json")
}

fn xml(body: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.to_owned(), "text/xml;charset=UTF-8")
}

/// Webex locations, calling locations and the organisation (what every Webex listing joins).
pub async fn webex_directory(server: &MockServer) {
    Mock::given(path("/v1/locations"))
        .respond_with(json(file!("webex/locations.json")))
        .mount(server)
        .await;
    Mock::given(path("/v1/telephony/config/locations"))
        .respond_with(json(file!("webex/telephony-locations.json")))
        .mount(server)
        .await;
    Mock::given(path_regex("^/v1/organizations/[^/]+$"))
        .respond_with(json(file!("webex/organization.json")))
        .mount(server)
        .await;
    Mock::given(path_regex(
        "^/v1/(people|workspaces)/[^/]+/features/callRecording$",
    ))
    .respond_with(RecordingSettings)
    .mount(server)
    .await;
    Mock::given(method("GET"))
        .and(path_regex("^/avatars/"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(AVATAR_PNG.to_vec(), "image/png"))
        .mount(server)
        .await;
}

/// The call-recording External Identifier the test servers give the person or workspace `id`:
/// `<last ten characters of the id, lower-cased>@64941297.int10.bcld.webex.com`.
pub fn recording_external_id(id: &str) -> String {
    let start = id.len().saturating_sub(10);
    let local = id.get(start..).unwrap_or(id).to_ascii_lowercase();
    format!("{local}@64941297.int10.bcld.webex.com")
}

/// `GET /v1/{people,workspaces}/{id}/features/callRecording`, from `call-recording.json` with
/// the id's own External Identifier.
struct RecordingSettings;

impl wiremock::Respond for RecordingSettings {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let id = request.url.path().split('/').nth(3).unwrap_or_default();
        json(&file!("webex/call-recording.json").replace(
            "a34iidrh5o@64941297.int10.bcld.webex.com",
            &recording_external_id(id),
        ))
    }
}

/// The host the fixtures' avatar URLs name.
const AVATAR_HOST: &str = "https://avatar-prod-us-east-2.webexcontent.com/";

/// `body` with its avatar URLs on `server` (`/avatars/…`), so a test or the demo that stores
/// pictures never leaves loopback.
fn local_avatars(server: &MockServer, body: &str) -> String {
    body.replace(AVATAR_HOST, &format!("{}/avatars/", server.uri()))
}

/// The avatar every `/avatars/…` URL answers: a 4×4 PNG.
pub const AVATAR_PNG: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/webex/avatar.png"
));

/// Webex people: five over two pages (`Link` to `after=P2`), or only the first three; and
/// `id=a,b,…` answered with those of them (the parallel read).
pub async fn webex_people(server: &MockServer, both_pages: bool) {
    let mut pages = vec![file!("webex/people-page1.json")];
    if both_pages {
        pages.push(file!("webex/people-page2.json"));
    }
    Mock::given(path("/v1/people"))
        .and(wiremock::matchers::query_param_contains("id", ""))
        .respond_with(PeopleById(
            pages.iter().map(|p| local_avatars(server, p)).collect(),
        ))
        .with_priority(1)
        .mount(server)
        .await;
    let mut first = json(&local_avatars(server, file!("webex/people-page1.json")));
    if both_pages {
        let next = format!(
            "<{}/v1/people?callingData=true&excludeStatus=true&max=100&after=P2>; rel=\"next\"",
            server.uri()
        );
        first = first.insert_header("Link", next.as_str());
    }
    Mock::given(path("/v1/people"))
        .and(query_param_is_missing("after"))
        .respond_with(first)
        .mount(server)
        .await;
    Mock::given(path("/v1/people"))
        .and(query_param("after", "P2"))
        .respond_with(json(&local_avatars(
            server,
            file!("webex/people-page2.json"),
        )))
        .mount(server)
        .await;
}

/// `GET /v1/people?id=a,b,…`: the people of `pages` with those ids.
struct PeopleById(Vec<String>);

impl wiremock::Respond for PeopleById {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let ids: Vec<String> = request
            .url
            .query_pairs()
            .filter(|(k, _)| k == "id")
            .flat_map(|(_, v)| v.split(',').map(str::to_owned).collect::<Vec<_>>())
            .collect();
        let items: Vec<serde_json::Value> = self
            .0
            .iter()
            .filter_map(|p| serde_json::from_str::<serde_json::Value>(p).ok())
            .filter_map(|p| p.get("items").and_then(|i| i.as_array()).cloned())
            .flatten()
            .filter(|p| {
                p.get("id")
                    .and_then(|i| i.as_str())
                    .is_some_and(|i| ids.iter().any(|x| x == i))
            })
            .collect();
        json(&serde_json::json!({ "items": items }).to_string())
    }
}

/// Webex people from a body of the People API's shape, on one page: `people-overlapping.json`
/// (six people whose extensions overlap across two locations), or a body a test builds.
pub async fn webex_people_body(server: &MockServer, body: &str) {
    Mock::given(path("/v1/people"))
        .respond_with(json(&local_avatars(server, body)))
        .mount(server)
        .await;
}

/// The bundled multi-location people with overlapping extensions.
pub const WEBEX_PEOPLE_OVERLAPPING: &str = file!("webex/people-overlapping.json");

/// Every Webex virtual-object listing (hunt groups over two pages, queues, auto attendants,
/// virtual lines) and the workspaces.
pub async fn webex_virtual(server: &MockServer) {
    let next = format!(
        "<{}/v1/telephony/config/huntGroups?max=2&start=2>;rel=\"next\"",
        server.uri()
    );
    Mock::given(path("/v1/telephony/config/huntGroups"))
        .and(query_param_is_missing("start"))
        .respond_with(
            json(file!("webex/hunt-groups-page1.json")).insert_header("Link", next.as_str()),
        )
        .mount(server)
        .await;
    Mock::given(path("/v1/telephony/config/huntGroups"))
        .and(query_param("start", "2"))
        .respond_with(json(file!("webex/hunt-groups-page2.json")))
        .mount(server)
        .await;
    Mock::given(path("/v1/telephony/config/queues"))
        .and(query_param("hasCxEssentials", "true"))
        .respond_with(json(file!("webex/call-queues-cx.json")))
        .mount(server)
        .await;
    Mock::given(path("/v1/telephony/config/queues"))
        .and(query_param_is_missing("hasCxEssentials"))
        .respond_with(json(file!("webex/call-queues.json")))
        .mount(server)
        .await;
    Mock::given(path("/v1/telephony/config/autoAttendants"))
        .respond_with(json(file!("webex/auto-attendants.json")))
        .mount(server)
        .await;
    Mock::given(path("/v1/telephony/config/virtualLines"))
        .respond_with(json(file!("webex/virtual-lines.json")))
        .mount(server)
        .await;
    webex_workspaces(server).await;
}

/// The fax workspace of `workspaces.json` (DEN Fax).
pub const WEBEX_FAX_WORKSPACE: &str =
    "Y2lzY29zcGFyazovL3VzL1BMQUNFLzk5MWY3NDdmLTRmYzctNTAzYS1iZDA3LWE2YjVmMTJhZGExNQ";

/// Workspaces, their numbers, and the numbers listing.
pub async fn webex_workspaces(server: &MockServer) {
    Mock::given(path("/v1/workspaces"))
        .respond_with(json(file!("webex/workspaces.json")))
        .mount(server)
        .await;
    for (id, body) in [
        (
            "Y2lzY29zcGFyazovL3VzL1BMQUNFL2U1ZDlmYzIxLWZjOWItNTkzYS1hODJlLWRhNGJkYjYxYTY1MA",
            file!("webex/workspace-numbers-boardroom.json"),
        ),
        (
            "Y2lzY29zcGFyazovL3VzL1BMQUNFL2UxMWM4OTRiLTg1NjEtNTI3Ni05NDdjLTc4MDBmMDFmMjkzMw",
            file!("webex/workspace-numbers-lobby.json"),
        ),
        (
            WEBEX_FAX_WORKSPACE,
            file!("webex/workspace-numbers-fax.json"),
        ),
    ] {
        Mock::given(path(format!("/v1/workspaces/{id}/features/numbers")))
            .respond_with(json(body))
            .mount(server)
            .await;
    }
    Mock::given(path("/v1/telephony/config/numbers"))
        .respond_with(json(file!("webex/numbers.json")))
        .mount(server)
        .await;
}

/// The fax workspace with an extension and no phone number
/// (`workspace-numbers-fax-extension.json`): its fax number is its ESN. Mounted over
/// [`webex_workspaces`].
pub async fn webex_fax_extension_only(server: &MockServer) {
    Mock::given(path(format!(
        "/v1/workspaces/{WEBEX_FAX_WORKSPACE}/features/numbers"
    )))
    .respond_with(json(file!("webex/workspace-numbers-fax-extension.json")))
    .with_priority(1)
    .mount(server)
    .await;
}

/// A POST of AXL `operation` (any version).
pub fn axl(operation: &str) -> MockBuilder {
    Mock::given(method("POST"))
        .and(path("/axl/"))
        .and(header_regex(
            "soapaction",
            &format!(r#"^"CUCM:DB ver=[0-9.]+ {operation}"$"#),
        ))
}

/// The SQL answers for devices and SIP URIs of the two listUser pages (others: empty).
pub async fn cucm_extras(server: &MockServer) {
    axl("executeSQLQuery")
        .and(body_string_contains("3f2a9c10-5b7e-4d21-8a6c-0e1f2a3b4c01"))
        .respond_with(xml(file!("cucm/sql-extras-page1.xml")))
        .mount(server)
        .await;
    axl("executeSQLQuery")
        .and(body_string_contains("3f2a9c10-5b7e-4d21-8a6c-0e1f2a3b4c04"))
        .respond_with(xml(file!("cucm/sql-extras-page2.xml")))
        .mount(server)
        .await;
    axl("executeSQLQuery")
        .respond_with(xml(file!("cucm/sql-empty.xml")))
        .with_priority(10)
        .mount(server)
        .await;
}

/// CUCM: two listUser pages of 3 and 1 users (page size 3), their SQL, and getCCMVersion.
pub async fn cucm_users(server: &MockServer) {
    axl("listUser")
        .and(body_string_contains("<skip>0</skip>"))
        .respond_with(xml(file!("cucm/listUser-page1.xml")))
        .mount(server)
        .await;
    axl("listUser")
        .and(body_string_contains("<skip>3</skip>"))
        .respond_with(xml(file!("cucm/listUser-page2-last.xml")))
        .mount(server)
        .await;
    cucm_extras(server).await;
    axl("getCCMVersion")
        .respond_with(xml(file!("cucm/getCCMVersion.xml")))
        .mount(server)
        .await;
}

/// The identity platform's token endpoint of [`ENTRA_TENANT`], answering a token with roles.
pub async fn entra_token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(format!("/{ENTRA_TENANT}/oauth2/v2.0/token")))
        .respond_with(json(file!("entra/token-response.json")))
        .mount(server)
        .await;
}

/// Graph `/users`: seven users over two pages, links pointing at `server`.
pub async fn entra_users(server: &MockServer) {
    let page1 =
        file!("entra/users-page1.json").replace("https://graph.microsoft.com", &server.uri());
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(json(&page1))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", ENTRA_PAGE2))
        .respond_with(json(file!("entra/users-page2.json")))
        .mount(server)
        .await;
}
