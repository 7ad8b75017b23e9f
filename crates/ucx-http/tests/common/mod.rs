//! Helpers the transport's test binaries share: a client with the test options, URLs on a mock
//! server, a scripted sequence of answers, a token source that counts its fetches.
#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use ucx_http::{ClientOptions, FetchedToken, HttpClient, HttpError, PlainErrors, TokenSource, Url};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub fn client() -> HttpClient {
    HttpClient::new(ClientOptions::for_tests(), Arc::new(PlainErrors)).unwrap()
}

pub fn url(server: &MockServer, p: &str) -> Url {
    Url::parse(&format!("{}{p}", server.uri())).unwrap()
}

/// Answers with the templates in order, then repeats the last; counts the requests.
pub struct Seq(Vec<ResponseTemplate>, Arc<AtomicUsize>);

impl Respond for Seq {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.1.fetch_add(1, Ordering::SeqCst);
        self.0[n.min(self.0.len() - 1)].clone()
    }
}

pub async fn serve_seq(
    server: &MockServer,
    p: &str,
    seq: Vec<ResponseTemplate>,
) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    Mock::given(path(p))
        .respond_with(Seq(seq, count.clone()))
        .mount(server)
        .await;
    count
}

#[derive(Debug)]
pub struct Counting(pub AtomicUsize);

#[async_trait]
impl TokenSource for Counting {
    async fn fetch(&self) -> Result<FetchedToken, HttpError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(FetchedToken {
            token: SecretString::from(format!("token-{n}")),
            expires_in: Some(Duration::from_secs(3600)),
        })
    }
}
