//! CUCM: AXL listUser pages and the device SQL, with CUCM's own ways of failing: 503 under
//! load, the "Maximum AXL Memory Allocation Consumed" throttling fault, "Query request too
//! large", truncated XML and slow answers.

use std::sync::Arc;

use ucx_sync::cucm::{CucmConfig, CucmUsers};
use ucx_sync::http::secrecy::SecretString;
use wiremock::matchers::{header_regex, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::{Counts, Scenario, Shared, Tenant};

const HEAD: &str = "<?xml version='1.0' encoding='UTF-8'?><soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body>";
const TAIL: &str = "</soapenv:Body></soapenv:Envelope>";
const XML: &str = "text/xml;charset=UTF-8";

fn number_in(body: &str, tag: &str) -> usize {
    let open = format!("<{tag}>");
    body.find(&open)
        .and_then(|at| {
            let rest = &body[at + open.len()..];
            rest[..rest.find('<')?].parse().ok()
        })
        .unwrap_or(0)
}

fn fault(message: &str, request: &str) -> ResponseTemplate {
    ResponseTemplate::new(500).set_body_raw(
        format!("{HEAD}<soapenv:Fault><faultcode>soapenv:Server</faultcode><faultstring>{message}</faultstring><detail><axlError><axlcode>-1</axlcode><axlmessage>{message}</axlmessage><request>{request}</request></axlError></detail></soapenv:Fault>{TAIL}"),
        XML,
    )
}

/// The faults both operations share; `None` lets the request through.
fn common_fault(t: &Tenant, roll: u64, request: &str) -> Option<ResponseTemplate> {
    let c = &t.counts;
    match roll {
        0..=5 => {
            Counts::add(&c.throttled);
            let answer = ResponseTemplate::new(503);
            Some(match t.rng.below(3) {
                0 => answer.insert_header("Retry-After", "0"),
                1 => answer.insert_header("Retry-After", "garbage"),
                _ => answer,
            })
        }
        6..=8 => {
            Counts::add(&c.soap_faults);
            Some(fault(
                "Maximum AXL Memory Allocation Consumed. Please retry once requests in progress have completed",
                request,
            ))
        }
        9..=10 => {
            Counts::add(&c.server_errors);
            Some(ResponseTemplate::new([500, 502][t.rng.below(2) as usize]))
        }
        _ => None,
    }
}

struct ListUser(Arc<Tenant>);

impl Respond for ListUser {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let t = &self.0;
        let c = &t.counts;
        Counts::add(&c.requests);
        let roll = t.rng.below(100);
        if let Some(answer) = common_fault(t, roll, "listUser") {
            return answer;
        }
        let body = String::from_utf8_lossy(&request.body);
        let (skip, first) = (number_in(&body, "skip"), number_in(&body, "first"));
        let users = t.snapshot();
        if roll == 11 && first > 20 {
            Counts::add(&c.soap_faults);
            return fault(
                &format!(
                    "Query request too large. Total rows matched: {} rows. Suggestive Row Fetch: less than {} rows",
                    users.len(),
                    first / 2
                ),
                "listUser",
            );
        }
        let mut out = String::from(HEAD);
        out.push_str(
            "<ns:listUserResponse xmlns:ns=\"http://www.cisco.com/AXL/API/15.0\"><return>",
        );
        for &i in users.iter().skip(skip).take(first) {
            out.push_str(&format!(
                "<user uuid=\"{{3F2A9C10-5B7E-4D21-8A6C-{i:012X}}}\"><firstName>First{i}</firstName><lastName>Last{i}</lastName><userid>user{i}</userid><mailid>user{i}@example.com</mailid><department>Dept {}</department><primaryExtension><pattern>\\+1202{i:07}</pattern><routePartitionName>PT_E164</routePartitionName></primaryExtension><telephoneNumber>+1 202 {i:07}</telephoneNumber></user>",
                i % 7
            ));
        }
        out.push_str("</return></ns:listUserResponse>");
        out.push_str(TAIL);
        crate::page(
            c,
            roll,
            (12..=14, 15..=16),
            ResponseTemplate::new(200),
            out,
            XML,
        )
    }
}

/// The device and SIP URI query: one device per user asked for.
struct Sql(Arc<Tenant>);

impl Respond for Sql {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let t = &self.0;
        Counts::add(&t.counts.requests);
        if let Some(answer) = common_fault(t, t.rng.below(100), "executeSQLQuery") {
            return answer;
        }
        Counts::add(&t.counts.pages_served);
        let body = String::from_utf8_lossy(&request.body);
        let answer = ucx_loadgen::keyset_answer(&body, |from, n| {
            let mut users = t.snapshot();
            users.sort_unstable();
            users.into_iter().filter(|&i| i >= from).take(n).collect()
        })
        .unwrap_or_else(|| ucx_loadgen::sql_answer(&body));
        ResponseTemplate::new(200).set_body_raw(answer, XML)
    }
}

pub(crate) async fn scenario(tenant: Arc<Tenant>) -> Scenario {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/axl/"))
        .and(header_regex("soapaction", "listUser"))
        .respond_with(Shared(Arc::new(ListUser(tenant.clone()))))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/axl/"))
        .and(header_regex("soapaction", "executeSQLQuery"))
        .respond_with(Shared(Arc::new(Sql(tenant.clone()))))
        .mount(&server)
        .await;
    let mut config = CucmConfig::new(
        format!("{}/axl/", server.uri()),
        "axl-sync",
        SecretString::from("axl-password"),
    );
    // Small pages, so a sync is twenty-odd requests and a run thousands.
    config.page_size = 100;
    config.min_page_size = 10;
    config.http = crate::fast_http();
    Scenario {
        name: "cucm listUser",
        adapter: Arc::new(CucmUsers::new(config).unwrap()),
        rules: "cucm",
        params: vec![("email_domain", "example.com")],
        key: |i| format!("user{i}"),
        tenant,
        _server: server,
    }
}
