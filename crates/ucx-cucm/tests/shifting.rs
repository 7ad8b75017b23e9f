//! A directory that changes while it is listed: `listUser` pages by offset, so a user removed
//! before the offset shifts the others back (one is skipped) and a user added before it shifts
//! them forward (one is read twice). The fill's keyset check must leave nobody out and nobody
//! twice, or the skipped user would be deleted as if it had left.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeSet;
use std::sync::Mutex;

use support::*;
use ucx_cucm::CucmUsers;
use ucx_sync_core::{ListRequest, SourceAdapterExt};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

const XML: &str = "text/xml;charset=UTF-8";

/// A directory of generated users (in listing order) that changes after given pages.
struct Directory {
    users: Mutex<Vec<usize>>,
    pages: Mutex<usize>,
}

fn number_in(body: &str, tag: &str) -> usize {
    let open = format!("<{tag}>");
    let at = body.find(&open).unwrap() + open.len();
    body[at..at + body[at..].find('<').unwrap()]
        .parse()
        .unwrap()
}

impl Respond for &'static Directory {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&r.body);
        let (skip, first) = (number_in(&body, "skip"), number_in(&body, "first"));
        let page: Vec<usize> = {
            let users = self.users.lock().unwrap();
            users.iter().copied().skip(skip).take(first).collect()
        };
        let mut pages = self.pages.lock().unwrap();
        *pages += 1;
        let mut users = self.users.lock().unwrap();
        match *pages {
            // After the first page, user 1 leaves: everyone after it moves back one place.
            1 => users.retain(|&u| u != 1),
            // After the second, user 20 joins at the front: everyone moves forward one.
            2 => users.insert(0, 20),
            _ => {}
        }
        ResponseTemplate::new(200).set_body_raw(ucx_loadgen::list_user_answer(page), XML)
    }
}

struct Sql(&'static Directory);

impl Respond for Sql {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&r.body);
        let users: BTreeSet<usize> = self.0.users.lock().unwrap().iter().copied().collect();
        let answer = ucx_loadgen::keyset_answer(&body, |from, n| {
            users.range(from..).take(n).copied().collect()
        })
        .unwrap_or_else(|| ucx_loadgen::sql_answer(&body));
        ResponseTemplate::new(200).set_body_raw(answer, XML)
    }
}

struct GetUser;

impl Respond for GetUser {
    fn respond(&self, r: &Request) -> ResponseTemplate {
        let body = String::from_utf8_lossy(&r.body);
        let at = body.find("<uuid>{").unwrap() + "<uuid>{".len();
        let uuid = &body[at..at + 36];
        let i = usize::from_str_radix(&uuid[24..], 16).unwrap();
        ResponseTemplate::new(200).set_body_raw(ucx_loadgen::get_user_answer(i), XML)
    }
}

async fn listed(verify_fill: bool) -> (Vec<String>, usize) {
    let directory: &'static Directory = Box::leak(Box::new(Directory {
        users: Mutex::new((0..10).collect()),
        pages: Mutex::new(0),
    }));
    let server = MockServer::start().await;
    op("listUser").respond_with(directory).mount(&server).await;
    op("executeSQLQuery")
        .respond_with(Sql(directory))
        .mount(&server)
        .await;
    op("getUser").respond_with(GetUser).mount(&server).await;
    let mut c = config(&server);
    c.verify_fill = verify_fill;
    let snap = CucmUsers::new(c)
        .unwrap()
        .snapshot(ListRequest::all())
        .await
        .unwrap();
    let mut got: Vec<String> = snap
        .records
        .iter()
        .map(|r| r.key.as_str().to_owned())
        .collect();
    got.sort();
    let asked = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| String::from_utf8_lossy(&r.body).contains("getUser"))
        .count();
    (got, asked)
}

#[tokio::test]
async fn users_added_and_removed_between_pages_are_all_read_once() {
    let (got, asked) = listed(true).await;
    let mut want: Vec<String> = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20]
        .iter()
        .map(|i| format!("user{i}"))
        .collect();
    want.sort();
    // Pages by offset read 0 1 2 | 4 5 6 | 6 7 8 | 9: user 3, present throughout, was
    // skipped, 6 was read twice, and 20 joined. The check reads 3 and 20 by uuid; 6 is kept
    // once; 1 was read while it existed (the next refresh sees it gone).
    assert_eq!(got, want);
    assert_eq!(asked, 2);
    // Without the check the offset fill alone misses user 3 (and 20), and holds 6 twice.
    let (got, _) = listed(false).await;
    assert!(!got.contains(&"user3".to_owned()), "{got:?}");
}
