//! Reads a synthetic cluster of N end users (default 100,000) from a mock CUCM on loopback,
//! through the real AXL client and CUCM source, and prints users/s and peak memory.
//!
//! ```text
//! cargo run --release -p ucx-cucm --example listuser_throughput -- [N] [PAGE] [devices]
//! ```
//!
//! `listUser` pages are rendered before the clock starts (the process's peak memory includes
//! them) in CUCM's shape (every returned tag, `\+` escaped
//! E.164 patterns, empty elements). With `devices`, each page also answers the SQL query for
//! devices and SIP URIs, as a real fill does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Instant;

use ucx_cucm::{CucmConfig, CucmUsers};
use ucx_http::ClientOptions;
use ucx_http::secrecy::SecretString;
use ucx_sync_core::{ListRequest, SourceAdapterExt};
use ucx_testkit::peak_rss_mb;
use wiremock::matchers::{header_regex, method};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const HEAD: &str = "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>";
const TAIL: &str = "</soapenv:Body></soapenv:Envelope>";

fn uuid(i: usize) -> String {
    format!("3F2A9C10-5B7E-4D21-8A6C-{i:012X}")
}

/// Serves listUser pages rendered before the clock starts, so the figure is the client's.
struct ListUser {
    total: usize,
    pages: std::collections::HashMap<(usize, usize), String>,
}

fn number_in(body: &str, tag: &str) -> usize {
    let open = format!("<{tag}>");
    body.find(&open)
        .and_then(|at| {
            let rest = &body[at + open.len()..];
            rest[..rest.find('<')?].parse().ok()
        })
        .unwrap_or(0)
}

impl Respond for ListUser {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&request.body);
        let skip = number_in(&body, "skip");
        let first = number_in(&body, "first");
        let out = match self.pages.get(&(skip, first)) {
            Some(page) => page.clone(),
            None => render(skip, first, self.total),
        };
        ResponseTemplate::new(200).set_body_raw(out, "text/xml;charset=UTF-8")
    }
}

fn render(skip: usize, first: usize, total: usize) -> String {
    {
        let mut out = String::with_capacity(first * 700 + 300);
        out.push_str(HEAD);
        out.push_str(
            "<ns:listUserResponse xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\"><return>",
        );
        for i in skip..(skip + first).min(total) {
            out.push_str(&format!(
                "<user uuid=\"{{{}}}\"><firstName>First{i}</firstName><middleName/><lastName>Last{i}</lastName>\
<userid>user{i}</userid><mailid>user{i}@example.com</mailid><department>Dept {d}</department>\
<manager>manager{d}</manager><primaryExtension><pattern>\\+1202555{n:04}</pattern>\
<routePartitionName>PT_E164</routePartitionName></primaryExtension><directoryUri>user{i}@example.com</directoryUri>\
<telephoneNumber>+1 202 555 {n:04}</telephoneNumber><title>Engineer</title><mobileNumber>+1 202 556 {n:04}</mobileNumber>\
<homeNumber/><pagerNumber/></user>",
                uuid(i),
                d = i % 40,
                n = i % 10_000
            ));
        }
        out.push_str("</return></ns:listUserResponse>");
        out.push_str(TAIL);
        out
    }
}

/// The device query, and the keyset scan of the fill check over `total` users: both answered
/// by the load generator's code.
struct Sql(usize);

impl Respond for Sql {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&request.body);
        let answer = ucx_loadgen::keyset_answer(&body, |from, n| (from..self.0).take(n).collect())
            .unwrap_or_else(|| ucx_loadgen::sql_answer(&body));
        ResponseTemplate::new(200).set_body_raw(answer, "text/xml;charset=UTF-8")
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let total: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(100_000);
    let page: u64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let devices = args.get(3).is_some_and(|a| a == "devices");
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(header_regex("soapaction", "listUser"))
        .respond_with(ListUser {
            total,
            pages: (0..total)
                .step_by(page as usize)
                .map(|skip| ((skip, page as usize), render(skip, page as usize, total)))
                .collect(),
        })
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header_regex("soapaction", "executeSQLQuery"))
        .respond_with(Sql(total))
        .mount(&server)
        .await;
    let mut config = CucmConfig::new(
        format!("{}/axl/", server.uri()),
        "axl-sync",
        SecretString::from("bench"),
    );
    config.page_size = page;
    config.devices = devices;
    // `noverify` leaves out the keyset check after the fill, to measure what it costs.
    config.verify_fill = !args.iter().any(|a| a == "noverify");
    config.http = {
        let mut v = ClientOptions::default();
        v.max_concurrency_per_host = 1;
        v
    };
    let config_verify = config.verify_fill;
    let users = CucmUsers::new(config).unwrap();
    let started = Instant::now();
    let snap = users.snapshot(ListRequest::all()).await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(snap.records.len(), total);
    if devices {
        assert!(snap.records[0].attributes.first("deviceName").is_some());
    }
    println!(
        "cucm listUser{}{}: {total} users in {:.2?} = {:.0} users/s ({} pages of {page}); peak RSS {:.0} MB",
        if devices { " + device SQL" } else { "" },
        if config_verify { " + keyset check" } else { "" },
        elapsed,
        total as f64 / elapsed.as_secs_f64(),
        (total as u64).div_ceil(page),
        peak_rss_mb(),
    );
}
