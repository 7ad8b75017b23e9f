//! Certificate handling against a TLS server on loopback: a self-signed server (CUCM's
//! default) is refused by default, accepted when its certificate is pinned or given as an
//! extra CA, and accepted by the laboratory switch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use ucx_http::{Call, ClientOptions, HttpClient, HttpError, PlainErrors, RetryPolicy, Url};

/// Starts a TLS server for `localhost` with a fresh self-signed certificate; returns its URL
/// and the certificate as PEM.
async fn self_signed_server() -> (Url, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let pem = cert.cert.pem();
    let der = CertificateDer::from(cert.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key_pair.serialize_der()));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der], key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = [0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
                    )
                    .await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (
        Url::parse(&format!("https://localhost:{port}/axl/")).unwrap(),
        pem,
    )
}

fn options() -> ClientOptions {
    ClientOptions::for_tests().with_retry(RetryPolicy::none())
}

#[tokio::test]
async fn a_self_signed_server_is_refused_by_default() {
    let (url, _) = self_signed_server().await;
    let c = HttpClient::new(options(), Arc::new(PlainErrors)).unwrap();
    let err = c.send(Call::get(url)).await.unwrap_err();
    assert!(matches!(err, HttpError::Connect { .. }), "{err:?}");
}

#[tokio::test]
async fn a_pinned_certificate_is_trusted_alone() {
    let (url, pem) = self_signed_server().await;
    let pinned = ClientOptions {
        extra_ca_pem: vec![pem.into_bytes()],
        only_extra_roots: true,
        ..options()
    };
    let c = HttpClient::new(pinned, Arc::new(PlainErrors)).unwrap();
    let resp = c.send(Call::get(url.clone())).await.unwrap();
    assert_eq!(&resp.body[..], b"ok");

    // A different pinned certificate does not open this server.
    let (_, other) = self_signed_server().await;
    let wrong = ClientOptions {
        extra_ca_pem: vec![other.into_bytes()],
        only_extra_roots: true,
        ..options()
    };
    let c = HttpClient::new(wrong, Arc::new(PlainErrors)).unwrap();
    assert!(c.send(Call::get(url)).await.is_err());
}

#[tokio::test]
async fn an_extra_ca_file_is_trusted_besides_the_roots() {
    let (url, pem) = self_signed_server().await;
    let dir = std::env::temp_dir().join(format!("ucx-http-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("tomcat.pem");
    std::fs::write(&file, pem).unwrap();
    let o = ClientOptions {
        extra_ca_files: vec![file],
        ..options()
    };
    let c = HttpClient::new(o, Arc::new(PlainErrors)).unwrap();
    assert_eq!(&c.send(Call::get(url)).await.unwrap().body[..], b"ok");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_laboratory_switch_accepts_any_certificate() {
    let (url, _) = self_signed_server().await;
    let o = ClientOptions {
        danger_accept_invalid_certs: true,
        ..options()
    };
    let c = HttpClient::new(o, Arc::new(PlainErrors)).unwrap();
    assert_eq!(&c.send(Call::get(url)).await.unwrap().body[..], b"ok");
}
