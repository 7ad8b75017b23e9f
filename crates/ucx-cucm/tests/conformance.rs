//! The `ucx-testkit` conformance suite, run against the CUCM source.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;

use async_trait::async_trait;
use support::*;
use ucx_cucm::CucmUsers;
use ucx_sync_core::SourceAdapter;
use ucx_testkit::conformance::{self, Fault, Harness};
use wiremock::matchers::body_string_contains;
use wiremock::{MockServer, ResponseTemplate};

/// The suite lists 25 records over 3 pages: pages of 9.
const PAGE: usize = 9;

struct Cucm;

fn users_page(from: usize, to: usize) -> String {
    let users: String = (from..to)
        .map(|i| {
            format!(
                "<user uuid=\"{{00000000-0000-4000-8000-{i:012}}}\"><firstName>User</firstName>\
<lastName>{i}</lastName><userid>user{i}</userid><mailid>user{i}@example.com</mailid></user>"
            )
        })
        .collect();
    format!(
        "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">\
<soapenv:Body><ns:listUserResponse xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\"><return>{users}</return>\
</ns:listUserResponse></soapenv:Body></soapenv:Envelope>"
    )
}

#[async_trait]
impl Harness for Cucm {
    async fn adapter(&self, server: &MockServer) -> Arc<dyn SourceAdapter> {
        let mut c = config(server);
        c.page_size = PAGE as u64;
        Arc::new(CucmUsers::new(c).unwrap())
    }

    async fn mount_listing(
        &self,
        server: &MockServer,
        records: usize,
        pages: usize,
        fault: Option<Fault>,
    ) {
        assert_eq!(records.div_ceil(pages), PAGE, "the harness pages by {PAGE}");
        for page in 1..=pages {
            let skip = (page - 1) * PAGE;
            let matcher =
                || op("listUser").and(body_string_contains(format!("<skip>{skip}</skip>")));
            let page_body = ResponseTemplate::new(200)
                .set_body_raw(users_page(skip, (skip + PAGE).min(records)), "text/xml");
            conformance::mount_page(server, matcher, page, page_body, fault.as_ref()).await;
        }
        op("executeSQLQuery")
            .respond_with(soap("sql-empty.xml"))
            .mount(server)
            .await;
    }

    async fn mount_check(&self, server: &MockServer, response: ResponseTemplate) {
        op("getCCMVersion")
            .respond_with(response)
            .mount(server)
            .await;
    }

    fn healthy_check(&self) -> ResponseTemplate {
        soap("getCCMVersion.xml")
    }
}

#[tokio::test]
async fn cucm_users_conform() {
    conformance::run_all(&Cucm).await.unwrap();
}
