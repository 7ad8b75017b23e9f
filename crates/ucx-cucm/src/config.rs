//! What a CUCM source is configured with.

use std::path::PathBuf;
use std::time::Duration;

use ucx_http::secrecy::SecretString;
use ucx_http::{ClientOptions, Url};

use crate::version::AxlVersion;

pub use ucx_sync_core::ConfigError;

/// How the publisher's certificate is trusted. CUCM presents a self-signed Tomcat certificate
/// unless the administrator installed a CA-signed one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum CucmTls {
    /// The system's trust store (where a company CA is installed; `SSL_CERT_FILE` and
    /// `SSL_CERT_DIR` point elsewhere) and Mozilla's roots: a CA-signed Tomcat certificate.
    #[default]
    Verify,
    /// A private CA (PEM file) trusted besides the system's trust store.
    CaFile(PathBuf),
    /// Only this certificate (PEM file; the Tomcat certificate downloaded from Cisco Unified OS
    /// Administration, or its CA) is trusted.
    Pinned(PathBuf),
    /// No verification. For laboratories: logged as an error every time a client is built.
    Insecure,
}

/// A CUCM source's settings. [`CucmConfig::new`] gives the defaults; then set the fields you
/// need. `#[non_exhaustive]`, so a new option is never a breaking change:
///
/// ```
/// # use ucx_http::secrecy::SecretString;
/// let mut c = ucx_cucm::CucmConfig::new("cucm-pub.example.com", "axl-sync", SecretString::from("pw"));
/// c.page_size = 500;
/// ```
///
/// ```compile_fail
/// # use ucx_http::secrecy::SecretString;
/// let base = ucx_cucm::CucmConfig::new("cucm-pub.example.com", "axl-sync", SecretString::from("pw"));
/// let c = ucx_cucm::CucmConfig { page_size: 500, ..base };
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct CucmConfig {
    /// The publisher: a host name (`cucm-pub.example.com`, port 8443 assumed) or a full URL
    /// (`https://host:8443/axl/`; tests use `http://127.0.0.1:port/axl/`).
    pub publisher: String,
    /// The AXL user (an application user with "Standard AXL API Users" and "Standard AXL Read
    /// Only API Access").
    pub username: String,
    /// Its password.
    pub password: SecretString,
    /// The schema version tried first. On HTTP 599 the client falls back once to the highest
    /// version the cluster lists, and keeps it.
    pub version: AxlVersion,
    /// The domain emails are composed with (`userid@domain`) when a user has no mail id (users
    /// managed only in CUCM).
    pub email_domain: Option<String>,
    /// Users per `listUser` page. A "Query request too large" answer shrinks it.
    pub page_size: u64,
    /// The smallest page tried before giving up.
    pub min_page_size: u64,
    /// Reads each user's associated devices and Microsoft SIP URI (`ocsprimaryuseraddress`)
    /// with `executeSQLQuery`, one query per page of users.
    pub devices: bool,
    /// Users per device query. As many as a `listUser` page by default, so a page costs two
    /// round trips (the list and one query for its devices and SIP URIs), not three; a query
    /// CUCM finds too large is split in two.
    pub sql_chunk: usize,
    /// After a fill, check it by a keyset scan of every end user's pkid (`executeSQLQuery`,
    /// `pkid > last ORDER BY pkid`, `keyset_page` at a time) and read any user the fill
    /// missed with `getUser`. `listUser` pages by offset: a user removed before the current
    /// offset during the fill shifts the others back, and one of them would be skipped and
    /// deleted as if it had left. On by default.
    pub verify_fill: bool,
    /// Pkids per keyset query (36 bytes each: 5,000 make about 300 KB, far inside CUCM's
    /// answer limits).
    pub keyset_page: usize,
    /// Certificate handling.
    pub tls: CucmTls,
    /// The source id (default `cucm:<publisher host>`).
    pub source_id: Option<String>,
    /// Transport settings. One request in flight by default: CUCM shares 16 MB of response
    /// memory between all concurrent AXL requests and asks clients to wait for each answer.
    pub http: ClientOptions,
}

impl std::fmt::Debug for CucmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CucmConfig")
            .field("publisher", &self.publisher)
            .field("username", &self.username)
            .field("password", &ucx_http::REDACTED)
            .field("version", &self.version)
            .field("email_domain", &self.email_domain)
            .field("page_size", &self.page_size)
            .field("devices", &self.devices)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl CucmConfig {
    /// The defaults for `publisher` with these credentials.
    pub fn new(
        publisher: impl Into<String>,
        username: impl Into<String>,
        password: SecretString,
    ) -> Self {
        Self {
            publisher: publisher.into(),
            username: username.into(),
            password,
            version: AxlVersion::V15_0,
            email_domain: None,
            page_size: 1000,
            min_page_size: 10,
            devices: true,
            sql_chunk: 1000,
            verify_fill: true,
            keyset_page: 5000,
            tls: CucmTls::Verify,
            source_id: None,
            http: {
                let mut v = ClientOptions::default();
                v.max_concurrency_per_host = 1;
                v.connect_timeout = Duration::from_secs(30);
                v
            },
        }
    }

    /// The AXL endpoint.
    pub(crate) fn url(&self) -> Result<Url, ConfigError> {
        let p = self.publisher.trim();
        if p.is_empty() {
            return Err(ConfigError::new("publisher", "is empty"));
        }
        let text = if p.contains("://") {
            p.to_owned()
        } else {
            format!("https://{p}:8443/axl/")
        };
        let mut url =
            Url::parse(&text).map_err(|e| ConfigError::new("publisher", format!("{p}: {e}")))?;
        if url.host_str().is_none() {
            return Err(ConfigError::new("publisher", format!("{p}: no host")));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(url)
    }

    /// The transport options with the TLS choice applied.
    pub(crate) fn client_options(&self) -> ClientOptions {
        let mut o = self.http.clone();
        match &self.tls {
            CucmTls::Verify => {}
            CucmTls::CaFile(p) => o.extra_ca_files.push(p.clone()),
            CucmTls::Pinned(p) => {
                o.extra_ca_files.push(p.clone());
                o.only_extra_roots = true;
            }
            CucmTls::Insecure => o.danger_accept_invalid_certs = true,
        }
        o
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.url()?;
        if self.username.trim().is_empty() {
            return Err(ConfigError::new("username", "is empty"));
        }
        if self.page_size == 0 || self.min_page_size == 0 || self.min_page_size > self.page_size {
            return Err(ConfigError::new(
                "page_size",
                "page_size and min_page_size must be at least 1, min_page_size ≤ page_size",
            ));
        }
        if self.sql_chunk == 0 {
            return Err(ConfigError::new("sql_chunk", "must be at least 1"));
        }
        if let Some(d) = &self.email_domain
            && (d.trim().is_empty() || d.contains('@') || d.contains(char::is_whitespace))
        {
            return Err(ConfigError::new(
                "email_domain",
                format!("{d:?} is not a domain (example.com)"),
            ));
        }
        Ok(())
    }
}
