//! The synthetic tenant pages through exactly N users in each API, and the rate limit answers
//! as the real APIs do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ucx_loadgen::{Tenant, serve};

async fn tenant(users: usize, rate_limit: Option<u32>) -> ucx_loadgen::Served {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    serve(listener, Tenant::new(users).with_rate_limit(rate_limit)).await
}

#[tokio::test]
async fn every_api_pages_through_the_same_users() {
    let t = tenant(2_345, None).await;
    let http = reqwest::Client::new();

    // Webex: Link rel="next" until the last page.
    let mut url = format!("{}/v1/people?callingData=true", t.uri());
    let mut emails = Vec::new();
    loop {
        let answer = http.get(&url).send().await.unwrap();
        let next = answer
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_owned());
        let body: serde_json::Value = answer.json().await.unwrap();
        for p in body["items"].as_array().unwrap() {
            emails.push(p["emails"][0].as_str().unwrap().to_owned());
        }
        match next {
            Some(link) => url = link[1..link.find('>').unwrap()].to_owned(),
            None => break,
        }
    }
    assert_eq!(emails.len(), 2_345);
    assert_eq!(emails[2_344], "user2344@example.com");

    // Graph: @odata.nextLink.
    let mut url = format!("{}/v1.0/users?$top=999", t.uri());
    let mut n = 0;
    loop {
        let body: serde_json::Value = http.get(&url).send().await.unwrap().json().await.unwrap();
        n += body["value"].as_array().unwrap().len();
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(n, 2_345);

    // AXL: skip/first, the last page short.
    let last = http
        .post(format!("{}/axl/", t.uri()))
        .header("SOAPAction", "\"CUCM:DB ver=15.0 listUser\"")
        .body("<skip>2000</skip><first>1000</first>")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(last.matches("<user uuid=").count(), 345);
    assert!(last.contains("<userid>user2344</userid>"));
    assert_eq!(t.stats().throttled(), 0);
}

#[tokio::test]
async fn the_rate_limit_answers_429_or_503_with_retry_after() {
    let t = tenant(10, Some(2)).await;
    let http = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let r = http
            .get(format!("{}/v1/people", t.uri()))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert_eq!(r.headers()["retry-after"], "1");
        }
    }
    assert_eq!(statuses, [200, 200, 429]);
    let axl = http
        .post(format!("{}/axl/", t.uri()))
        .header("SOAPAction", "\"CUCM:DB ver=15.0 listUser\"")
        .body("<skip>0</skip><first>5</first>")
        .send()
        .await
        .unwrap();
    assert_eq!(axl.status(), 503);
    assert_eq!(t.stats().throttled(), 2);
    assert_eq!(t.stats().requests(), 4);
    let stats: serde_json::Value = http
        .get(format!("{}/stats", t.uri()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(stats["throttled"], 2);
}
