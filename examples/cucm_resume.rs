//! A CUCM snapshot fill that is interrupted and resumes from its last page: the cursor of each
//! page is kept (here in a variable; a service stores it with the pages), and the second run
//! continues where the first stopped instead of reading the cluster again from the start.
//!
//! ```text
//! cargo run --example cucm_resume
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use futures::StreamExt;
use ucx_sync::cucm::{CucmConfig, CucmUsers, FillCursor};
use ucx_sync::http::ClientOptions;
use ucx_sync::http::secrecy::SecretString;
use wiremock::matchers::{body_string_contains, header_regex, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn fixture(name: &str) -> ResponseTemplate {
    let body = std::fs::read_to_string(format!(
        "{}/fixtures/cucm/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    ResponseTemplate::new(200).set_body_raw(body, "text/xml")
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cucm = MockServer::start().await;
    let op = |name: &str| Mock::given(method("POST")).and(header_regex("soapaction", name));
    op("listUser")
        .and(body_string_contains("<skip>0</skip>"))
        .respond_with(fixture("listUser-page1.xml"))
        .mount(&cucm)
        .await;
    // The second page fails for good the first time (every retry), then works.
    op("listUser")
        .and(body_string_contains("<skip>3</skip>"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(4)
        .with_priority(1)
        .mount(&cucm)
        .await;
    op("listUser")
        .and(body_string_contains("<skip>3</skip>"))
        .respond_with(fixture("listUser-page2-last.xml"))
        .mount(&cucm)
        .await;
    op("executeSQLQuery")
        .respond_with(fixture("sql-extras-page1.xml"))
        .mount(&cucm)
        .await;

    let mut config = CucmConfig::new(
        format!("{}/axl/", cucm.uri()),
        "axl-sync",
        SecretString::from("from-your-vault"),
    );
    config.page_size = 3;
    config.min_page_size = 1;
    config.email_domain = Some("example.com".into());
    config.http = {
        let mut v = ClientOptions::for_tests();
        v.max_concurrency_per_host = 1;
        v
    };
    let users = CucmUsers::new(config)?;

    let mut kept = Vec::new();
    let mut resume = FillCursor {
        skip: 0,
        page_size: 3,
    };
    for attempt in 1..=2 {
        let mut pages = users.fill(resume);
        while let Some(page) = pages.next().await {
            match page {
                Ok(p) => {
                    println!("attempt {attempt}: page read, {} users so far", p.read);
                    kept.extend(p.records);
                    match p.next {
                        Some(next) => resume = next,
                        None => {
                            println!("fill complete: {} users", kept.len());
                            for r in &kept {
                                println!(
                                    "  {} ({})",
                                    r.key,
                                    r.attributes.first("email").unwrap_or("-")
                                );
                            }
                            return Ok(());
                        }
                    }
                }
                Err(e) => {
                    println!(
                        "attempt {attempt}: interrupted ({e}); will resume at {:?}",
                        resume.to_cursor()
                    );
                    break;
                }
            }
        }
    }
    Err("the fill did not complete".into())
}
