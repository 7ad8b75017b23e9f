//! The `ucx-testkit` conformance suite, run against the Entra ID source.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{Value, json};
use support::*;
use ucx_entra::EntraUsers;
use ucx_sync_core::SourceAdapter;
use ucx_testkit::conformance::{self, Fault, Harness};
use wiremock::matchers::{path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Entra;

#[async_trait]
impl Harness for Entra {
    async fn adapter(&self, server: &MockServer) -> Arc<dyn SourceAdapter> {
        Arc::new(EntraUsers::new(config(server)).unwrap())
    }

    async fn mount_listing(
        &self,
        server: &MockServer,
        records: usize,
        pages: usize,
        fault: Option<Fault>,
    ) {
        mount_token(server).await;
        let per_page = records.div_ceil(pages);
        for page in 1..=pages {
            let users: Vec<Value> = (0..records)
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|i| {
                    json!({
                        "id": format!("00000000-0000-4000-8000-{i:012}"),
                        "userPrincipalName": format!("user{i}@example.com"),
                        "businessPhones": [],
                    })
                })
                .collect();
            let mut body = json!({ "value": users });
            if page < pages {
                body["@odata.nextLink"] = json!(format!(
                    "{}/v1.0/users?$skiptoken=page{}",
                    server.uri(),
                    page + 1
                ));
            }
            let matcher = || {
                let m = Mock::given(path("/v1.0/users"));
                if page == 1 {
                    m.and(query_param_is_missing("$skiptoken"))
                } else {
                    m.and(query_param("$skiptoken", format!("page{page}")))
                }
            };
            let response = ResponseTemplate::new(200).set_body_json(body);
            conformance::mount_page(server, matcher, page, response, fault.as_ref()).await;
        }
    }

    async fn mount_check(&self, server: &MockServer, response: ResponseTemplate) {
        mount_token(server).await;
        Mock::given(path("/v1.0/users"))
            .respond_with(response)
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn entra_users_conform() {
    conformance::run_all(&Entra).await.unwrap();
}
