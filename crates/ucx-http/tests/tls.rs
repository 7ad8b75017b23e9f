//! Certificate handling against a TLS server on loopback: a self-signed server (CUCM's
//! default) is refused by default, accepted when its certificate is pinned or given as an
//! extra CA, and accepted by the laboratory switch; a company CA in the system's trust store
//! is trusted by default.
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
    (serve(der, key).await, pem)
}

/// Starts a TLS server for `localhost` whose certificate a company CA of its own signed, as
/// an administrator installs on CUCM's Tomcat; returns its URL and the CA as PEM.
async fn company_ca_server() -> (Url, String) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Example Corp Issuing CA");
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&server_key, &ca, &ca_key)
        .unwrap();
    let der = CertificateDer::from(server.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    (serve(der, key).await, ca.pem())
}

/// Serves `ok` over TLS with `der` and `key` on loopback, for `localhost`.
async fn serve(der: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> Url {
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
    Url::parse(&format!("https://localhost:{port}/axl/")).unwrap()
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
    let pinned = {
        let mut v = options();
        v.extra_ca_pem = vec![pem.into_bytes()];
        v.only_extra_roots = true;
        v
    };
    let c = HttpClient::new(pinned, Arc::new(PlainErrors)).unwrap();
    let resp = c.send(Call::get(url.clone())).await.unwrap();
    assert_eq!(&resp.body[..], b"ok");

    // A different pinned certificate does not open this server.
    let (_, other) = self_signed_server().await;
    let wrong = {
        let mut v = options();
        v.extra_ca_pem = vec![other.into_bytes()];
        v.only_extra_roots = true;
        v
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
    let o = {
        let mut v = options();
        v.extra_ca_files = vec![file];
        v
    };
    let c = HttpClient::new(o, Arc::new(PlainErrors)).unwrap();
    assert_eq!(&c.send(Call::get(url)).await.unwrap().body[..], b"ok");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_laboratory_switch_accepts_any_certificate() {
    let (url, _) = self_signed_server().await;
    let o = {
        let mut v = options();
        v.danger_accept_invalid_certs = true;
        v
    };
    let c = HttpClient::new(o, Arc::new(PlainErrors)).unwrap();
    assert_eq!(&c.send(Call::get(url)).await.unwrap().body[..], b"ok");
}

/// Runs `system_store_child` in a child process (the trust store is read from the
/// environment when a client is built, so each case needs a process of its own), pointed at
/// `url`, with `SSL_CERT_FILE` when given; returns whether it passed.
fn child(url: &Url, cert_file: Option<&std::path::Path>, expect: &str) -> bool {
    let mut c = std::process::Command::new(std::env::current_exe().unwrap());
    c.args(["--exact", "system_store_child", "--ignored", "--quiet"])
        .env("UCX_TLS_URL", url.as_str())
        .env("UCX_TLS_EXPECT", expect)
        .env_remove("SSL_CERT_DIR");
    match cert_file {
        Some(f) => c.env("SSL_CERT_FILE", f),
        None => c.env_remove("SSL_CERT_FILE"),
    };
    let out = c.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success() && text.contains("1 passed")
}

/// A server whose certificate a company CA signed is trusted with the default options once
/// the CA is in the system's trust store (here `SSL_CERT_FILE`, which the platform store
/// honours as OpenSSL does), and refused while it is not: no `insecure` needed.
#[tokio::test(flavor = "multi_thread")]
async fn a_company_ca_in_the_system_store_is_trusted() {
    let (url, ca) = company_ca_server().await;
    let dir = std::env::temp_dir().join(format!("ucx-http-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("ca-certificates.crt");
    std::fs::write(&file, ca).unwrap();
    let (u, f) = (url.clone(), file.clone());
    let trusted = tokio::task::spawn_blocking(move || child(&u, Some(&f), "trusted"))
        .await
        .unwrap();
    let refused = tokio::task::spawn_blocking(move || child(&url, None, "refused"))
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(trusted, "the CA in SSL_CERT_FILE was not trusted");
    assert!(
        refused,
        "the server was trusted without its CA in the store"
    );
}

#[tokio::test]
#[ignore = "run by a_company_ca_in_the_system_store_is_trusted, in a child process with the store it sets"]
async fn system_store_child() {
    let url = Url::parse(&std::env::var("UCX_TLS_URL").unwrap()).unwrap();
    let c = HttpClient::new(options(), Arc::new(PlainErrors)).unwrap();
    let got = c.send(Call::get(url)).await;
    match std::env::var("UCX_TLS_EXPECT").unwrap().as_str() {
        "trusted" => assert_eq!(&got.unwrap().body[..], b"ok"),
        _ => assert!(matches!(got, Err(HttpError::Connect { .. })), "{got:?}"),
    }
}
