//! The AXL client: one endpoint, Basic authentication, the version in two places, the session
//! cookie, and a single fall-back when the cluster refuses the version.

use std::sync::{Arc, Mutex};

use base64::Engine;
use ucx_http::header::{HeaderValue, SET_COOKIE};
use ucx_http::secrecy::ExposeSecret;
use ucx_http::{Call, HttpClient, HttpError, Response, Url};
use ucx_sync_core::SourceError;

use crate::config::{ConfigError, CucmConfig};
use crate::envelope::envelope;
use crate::error::{AxlErrors, Refusal, failure_message, refusal, source_error};
use crate::parse::{Scan, scan};
use crate::version::AxlVersion;

#[derive(Debug)]
struct State {
    version: AxlVersion,
    fell_back: bool,
    cookie: Option<String>,
}

/// An AXL client for one cluster. Cheap to clone; clones share the negotiated version and the
/// session cookie.
#[derive(Clone)]
pub struct AxlClient {
    http: HttpClient,
    url: Url,
    auth: HeaderValue,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for AxlClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AxlClient")
            .field("url", &self.url.as_str())
            .field("version", &self.version())
            .finish_non_exhaustive()
    }
}

impl AxlClient {
    /// A client for `config`; checks the settings, sends nothing.
    pub fn new(config: &CucmConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let url = config.url()?;
        let http = HttpClient::new(config.client_options(), Arc::new(AxlErrors))
            .map_err(|e| ConfigError::new("http", e.to_string()))?;
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            config.username,
            config.password.expose_secret()
        ));
        let mut auth = HeaderValue::from_str(&format!("Basic {basic}"))
            .map_err(|_| ConfigError::new("username", "contains characters not allowed"))?;
        auth.set_sensitive(true);
        Ok(Self {
            http,
            url,
            auth,
            state: Arc::new(Mutex::new(State {
                version: config.version,
                fell_back: false,
                cookie: None,
            })),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The schema version in use (after any fall-back).
    pub fn version(&self) -> AxlVersion {
        self.lock().version
    }

    /// Sends `body` (the operation element) as `operation`. HTTP 599 switches once to the
    /// version the cluster names and sends again; the session cookie CUCM sets is sent back
    /// (with the credentials too, so an expired session costs nothing).
    pub(crate) async fn call<T>(
        &self,
        operation: &str,
        body: &str,
        mut parse: impl FnMut(&Response) -> Result<T, HttpError>,
    ) -> Result<T, HttpError> {
        loop {
            let (version, cookie) = {
                let s = self.lock();
                (s.version, s.cookie.clone())
            };
            let mut call = Call::post(
                self.url.clone(),
                "text/xml;charset=UTF-8",
                envelope(version, body),
            )
            .idempotent()
            .anonymous()
            .header("accept", HeaderValue::from_static("text/xml"))
            .header("authorization", self.auth.clone());
            if let Ok(action) = HeaderValue::from_str(&version.soap_action(operation)) {
                call = call.header("soapaction", action);
            }
            if let Some(c) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
                call = call.header("cookie", c);
            }
            let parsed = self
                .http
                .send_parsed(call, |resp| {
                    if let Some(session) = resp
                        .headers
                        .get_all(SET_COOKIE)
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .find(|v| v.starts_with("JSESSIONIDSSO="))
                        .and_then(|v| v.split(';').next())
                    {
                        self.lock().cookie = Some(session.to_owned());
                    }
                    parse(&resp)
                })
                .await;
            match parsed {
                Ok(value) => return Ok(value),
                Err(e) => {
                    if let Refusal::Version(message) = refusal(&e) {
                        let next = {
                            let mut s = self.lock();
                            match (s.fell_back, AxlVersion::fallback(version, &message)) {
                                (false, Some(next)) => {
                                    s.fell_back = true;
                                    s.version = next;
                                    Some(next)
                                }
                                _ => None,
                            }
                        };
                        if let Some(next) = next {
                            tracing::warn!(tried = %version, using = %next, "the cluster does not support this AXL version; falling back");
                            continue;
                        }
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Calls `operation` and scans the answer for `record` elements under `parent`.
    pub(crate) async fn scan(
        &self,
        operation: &str,
        body: &str,
        parent: &str,
        record: &str,
    ) -> Result<Scan, HttpError> {
        let response = format!("{operation}Response");
        self.call(operation, body, |resp| {
            scan(&resp.body, &response, parent, record)
                .map_err(|f| HttpError::malformed(&resp.url, failure_message(f)))
        })
        .await
    }

    /// The cluster's version (`getCCMVersion`), e.g. `14.0.1.13900(155)`.
    pub async fn ccm_version(&self) -> Result<String, SourceError> {
        let op = "getCCMVersion";
        let s = self
            .scan(
                op,
                &crate::envelope::get_ccm_version(),
                "return",
                "componentVersion",
            )
            .await
            .map_err(|e| source_error(e, op))?;
        Ok(s.records
            .first()
            .and_then(|r| r.get("version"))
            .or_else(|| s.other("return/componentVersion/version"))
            .unwrap_or_default()
            .to_owned())
    }
}
