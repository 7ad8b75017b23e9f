//! The `ucx-testkit` conformance suite, run against each of the three Webex sources.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};
use support::*;
use ucx_sync_core::SourceAdapter;
use ucx_testkit::conformance::{self, Fault, Harness};
use ucx_webex::{WebexFaxWorkspaces, WebexId, WebexUsers, WebexVirtualObjects};
use wiremock::matchers::{path, path_regex, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Clone, Copy)]
enum Which {
    Users,
    Virtual,
    Fax,
}

struct Webex(Which);

fn uuid(i: usize) -> String {
    format!("00000000-0000-4000-8000-{i:012}")
}

/// The listing's path, collection key, and one item.
fn shape(which: Which, i: usize) -> (&'static str, &'static str, Value) {
    match which {
        Which::Users => (
            "/v1/people",
            "items",
            json!({
                "id": WebexId::encode("PEOPLE", &uuid(i)),
                "emails": [format!("user{i}@example.com")],
                "displayName": format!("User {i}"),
                "type": "person"
            }),
        ),
        Which::Virtual => (
            "/v1/telephony/config/huntGroups",
            "huntGroups",
            json!({
                "id": WebexId::encode("HUNT_GROUP", &format!("hg{i}")),
                "name": format!("Group {i}"),
                "extension": format!("{}", 1000 + i)
            }),
        ),
        Which::Fax => (
            "/v1/workspaces",
            "items",
            json!({
                "id": WebexId::encode("PLACE", &uuid(i)),
                "displayName": format!("Fax {i}"),
                "calling": {"type": "webexCalling"}
            }),
        ),
    }
}

#[async_trait]
impl Harness for Webex {
    async fn adapter(&self, server: &MockServer) -> Arc<dyn SourceAdapter> {
        let c = config(server);
        match self.0 {
            Which::Users => Arc::new(WebexUsers::new(c).unwrap()),
            Which::Virtual => Arc::new(WebexVirtualObjects::new(c).unwrap()),
            Which::Fax => Arc::new(WebexFaxWorkspaces::new(c).unwrap()),
        }
    }

    async fn mount_listing(
        &self,
        server: &MockServer,
        records: usize,
        pages: usize,
        fault: Option<Fault>,
    ) {
        mount_directory(server).await;
        let per_page = records.div_ceil(pages);
        let (route, key, _) = shape(self.0, 0);
        for page in 1..=pages {
            let items: Vec<Value> = (0..records)
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|i| shape(self.0, i).2)
                .collect();
            let mut template = body(json!({ key: items }));
            if page < pages {
                template = template.insert_header(
                    "Link",
                    format!("<{}{route}?page={}>; rel=\"next\"", server.uri(), page + 1).as_str(),
                );
            }
            let matcher = || {
                let m = Mock::given(path(route));
                if page == 1 {
                    m.and(query_param_is_missing("page"))
                } else {
                    m.and(query_param("page", page.to_string()))
                }
            };
            conformance::mount_page(server, matcher, page, template, fault.as_ref()).await;
        }
        // The other listings of each source are empty.
        for (p, k) in [
            ("/v1/telephony/config/queues", "queues"),
            ("/v1/telephony/config/autoAttendants", "autoAttendants"),
            ("/v1/telephony/config/virtualLines", "virtualLines"),
            ("/v1/telephony/config/numbers", "phoneNumbers"),
            ("/v1/workspaces", "items"),
        ] {
            if p != route {
                Mock::given(path(p))
                    .respond_with(body(json!({ k: [] })))
                    .with_priority(5)
                    .mount(server)
                    .await;
            }
        }
        Mock::given(path_regex("^/v1/workspaces/[^/]+/features/numbers$"))
            .respond_with(body(json!({"phoneNumbers": [{"external": "+15550100", "extension": "100", "primary": true}]})))
            .mount(server)
            .await;
    }

    async fn mount_check(&self, server: &MockServer, response: ResponseTemplate) {
        Mock::given(path("/v1/people"))
            .respond_with(response)
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn webex_users_conform() {
    conformance::run_all(&Webex(Which::Users)).await.unwrap();
}

#[tokio::test]
async fn webex_virtual_objects_conform() {
    conformance::run_all(&Webex(Which::Virtual)).await.unwrap();
}

#[tokio::test]
async fn webex_fax_workspaces_conform() {
    conformance::run_all(&Webex(Which::Fax)).await.unwrap();
}
