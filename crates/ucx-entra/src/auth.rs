//! Client-credentials tokens from the Microsoft identity platform, with a secret or a
//! certificate assertion.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use ucx_http::secrecy::{ExposeSecret, SecretString};
use ucx_http::{Call, FetchedToken, HttpClient, HttpError, TokenSource, Url};
use ucx_sync_core::ErrorKind;

use crate::config::{ConfigError, EntraCredential};

/// What an administrator must do when the application has no permissions in the tenant.
pub(crate) const CONSENT: &str = "the application has no permission in this tenant: grant admin consent for User.Read.All (and GroupMember.Read.All, Application.Read.All when scoped to groups or an application) in Entra admin center → App registrations → API permissions";

/// The `client_credentials` grant.
pub(crate) struct ClientCredentials {
    http: HttpClient,
    token_url: Url,
    client_id: String,
    scope: String,
    secret: Secret,
}

enum Secret {
    Value(SecretString),
    Certificate {
        key: jsonwebtoken::EncodingKey,
        thumbprint: String,
    },
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    pub(crate) fn new(
        http: HttpClient,
        token_url: Url,
        client_id: String,
        scope: String,
        credential: &EntraCredential,
    ) -> Result<Self, ConfigError> {
        let secret = match credential {
            EntraCredential::Secret(s) => Secret::Value(s.clone()),
            EntraCredential::Certificate {
                certificate_pem,
                private_key_pem,
            } => {
                let der = pem_body(certificate_pem, "CERTIFICATE").ok_or_else(|| {
                    ConfigError::new("credential.certificate", "no PEM CERTIFICATE block")
                })?;
                let digest = ring::digest::digest(&ring::digest::SHA256, &der);
                let key = jsonwebtoken::EncodingKey::from_rsa_pem(
                    private_key_pem.expose_secret().as_bytes(),
                )
                .map_err(|e| {
                    ConfigError::new(
                        "credential.private_key",
                        format!("not an RSA private key: {e}"),
                    )
                })?;
                Secret::Certificate {
                    key,
                    thumbprint: URL_SAFE_NO_PAD.encode(digest.as_ref()),
                }
            }
        };
        Ok(Self {
            http,
            token_url,
            client_id,
            scope,
            secret,
        })
    }

    /// A signed client assertion (RFC 7523) for the token endpoint.
    fn assertion(
        &self,
        key: &jsonwebtoken::EncodingKey,
        thumbprint: &str,
    ) -> Result<String, HttpError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::PS256);
        header.x5t_s256 = Some(thumbprint.to_owned());
        let claims = Assertion {
            aud: self.token_url.as_str(),
            iss: &self.client_id,
            sub: &self.client_id,
            jti: random_id(),
            nbf: now,
            iat: now,
            exp: now + 600,
        };
        jsonwebtoken::encode(&header, &claims, key).map_err(|e| HttpError::Token {
            kind: ErrorKind::Config,
            message: format!("signing the client assertion failed: {e}"),
            tracking_id: None,
        })
    }
}

#[derive(Serialize, Deserialize)]
pub(crate) struct Assertion<'a> {
    pub aud: &'a str,
    pub iss: &'a str,
    pub sub: &'a str,
    pub jti: String,
    pub nbf: u64,
    pub iat: u64,
    pub exp: u64,
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The base64 body of the first PEM block labelled `label`, decoded.
pub(crate) fn pem_body(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let b64: String = pem[start..stop].split_whitespace().collect();
    STANDARD.decode(b64).ok()
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<u64>,
}

#[derive(Deserialize, Default)]
struct TokenError {
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
    #[serde(default)]
    trace_id: Option<String>,
}

#[async_trait]
impl TokenSource for ClientCredentials {
    async fn fetch(&self) -> Result<FetchedToken, HttpError> {
        let assertion;
        let mut fields: Vec<(&str, &str)> = vec![
            ("grant_type", "client_credentials"),
            ("client_id", &self.client_id),
            ("scope", &self.scope),
        ];
        match &self.secret {
            Secret::Value(s) => fields.push(("client_secret", s.expose_secret())),
            Secret::Certificate { key, thumbprint } => {
                assertion = self.assertion(key, thumbprint)?;
                fields.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ));
                fields.push(("client_assertion", &assertion));
            }
        }
        let call = Call::post_form(self.token_url.clone(), &fields)
            .idempotent()
            .anonymous();
        let resp = self.http.send(call).await.map_err(classify)?;
        let body: TokenResponse = resp.json().map_err(|_| HttpError::Token {
            kind: ErrorKind::Protocol,
            message: "the token endpoint's answer has no access_token".into(),
            tracking_id: resp.tracking_id.clone(),
        })?;
        if !has_roles(&body.access_token) {
            return Err(HttpError::Token {
                kind: ErrorKind::Forbidden,
                message: CONSENT.into(),
                tracking_id: resp.tracking_id.clone(),
            });
        }
        Ok(FetchedToken {
            token: SecretString::from(body.access_token),
            expires_in: body.expires_in.map(Duration::from_secs),
        })
    }
}

/// Whether an app token carries application permissions. A token issued before admin consent
/// has no `roles` claim; every Graph call with it fails. Tokens that are not JWTs (opaque) are
/// given the benefit of the doubt.
pub(crate) fn has_roles(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(_), Some(payload), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return true;
    };
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')) else {
        return true;
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(claims) => claims
            .get("roles")
            .and_then(|r| r.as_array())
            .is_some_and(|r| !r.is_empty()),
        Err(_) => true,
    }
}

/// Token endpoint refusals, by OAuth error and AADSTS code: never retried, each with what to
/// fix.
fn classify(e: HttpError) -> HttpError {
    let Some(status) = e.status() else {
        return e;
    };
    let remote = e.remote().cloned().unwrap_or_default();
    let code = remote.code.clone().unwrap_or_default();
    let text = remote.message.clone().unwrap_or_default();
    let (kind, what) = if text.contains("AADSTS90002") || text.contains("AADSTS900023") {
        (
            ErrorKind::Config,
            "the tenant was not found (check the tenant and the cloud)",
        )
    } else if text.contains("AADSTS700016") || code == "unauthorized_client" {
        (
            ErrorKind::Forbidden,
            "the application is not known in this tenant: grant admin consent there",
        )
    } else if code == "invalid_client" || status.as_u16() == 401 {
        (
            ErrorKind::Auth,
            "the client secret or certificate was refused (use the secret's value, not its id; check it has not expired)",
        )
    } else if status.is_client_error() {
        (ErrorKind::Config, "the token request was refused")
    } else {
        return e;
    };
    HttpError::Token {
        kind,
        message: format!("{what}: {text}"),
        tracking_id: remote.tracking_id,
    }
}

/// The decoder for the token endpoint's OAuth errors (`error`, `error_description`,
/// `trace_id`).
pub(crate) fn decode_token_error(body: &[u8]) -> Option<ucx_http::RemoteError> {
    let e: TokenError = serde_json::from_slice(body).ok()?;
    e.error.as_ref()?;
    Some(ucx_http::RemoteError {
        message: e.error_description,
        code: e.error,
        tracking_id: e.trace_id,
    })
}
