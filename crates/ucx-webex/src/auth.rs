//! Webex credentials: a fixed access token, or a service-app / integration refresh token
//! exchanged at `/v1/access_token` and renewed from the returned `expires_in`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ucx_http::secrecy::{ExposeSecret, SecretString};
use ucx_http::{Call, FetchedToken, HttpClient, HttpError, StaticToken, TokenSource, Url};
use ucx_sync_core::ErrorKind;

use crate::error::CLIENT_MISCONFIGURED;
use crate::wire::TokenResponse;

/// How the connector authenticates.
#[derive(Clone)]
pub enum WebexCredentials {
    /// A fixed access token (a personal token for trials, or one obtained elsewhere). It cannot
    /// be renewed: when it expires, `check` reports it.
    AccessToken(SecretString),
    /// A service app (recommended: a machine account authorised by a Full Admin in Control Hub)
    /// or integration: its client id and secret, and the refresh token of the organisation.
    RefreshToken {
        /// The app's client id.
        client_id: String,
        /// The app's client secret.
        client_secret: SecretString,
        /// The organisation's refresh token.
        refresh_token: SecretString,
    },
}

impl fmt::Debug for WebexCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WebexCredentials::AccessToken(_) => f
                .debug_tuple("AccessToken")
                .field(&ucx_http::REDACTED)
                .finish(),
            WebexCredentials::RefreshToken { client_id, .. } => f
                .debug_struct("RefreshToken")
                .field("client_id", client_id)
                .field("client_secret", &ucx_http::REDACTED)
                .field("refresh_token", &ucx_http::REDACTED)
                .finish(),
        }
    }
}

impl WebexCredentials {
    pub(crate) fn token_source(&self, http: &HttpClient, token_url: Url) -> Arc<dyn TokenSource> {
        match self {
            WebexCredentials::AccessToken(t) => Arc::new(StaticToken::new(t.clone())),
            WebexCredentials::RefreshToken {
                client_id,
                client_secret,
                refresh_token,
            } => Arc::new(RefreshGrant {
                http: http.clone(),
                token_url,
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                refresh_token: refresh_token.clone(),
            }),
        }
    }
}

/// The `refresh_token` grant against `/v1/access_token`.
struct RefreshGrant {
    http: HttpClient,
    token_url: Url,
    client_id: String,
    client_secret: SecretString,
    refresh_token: SecretString,
}

impl fmt::Debug for RefreshGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshGrant")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl TokenSource for RefreshGrant {
    async fn fetch(&self) -> Result<FetchedToken, HttpError> {
        let call = Call::post_form(
            self.token_url.clone(),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &self.client_id),
                ("client_secret", self.client_secret.expose_secret()),
                ("refresh_token", self.refresh_token.expose_secret()),
            ],
        )
        .idempotent()
        .anonymous();
        let resp = match self.http.send(call).await {
            Ok(r) => r,
            Err(e) => return Err(classify(e)),
        };
        let body: TokenResponse = resp.json().map_err(|_| HttpError::Token {
            kind: ErrorKind::Protocol,
            message: "the token endpoint's answer has no access_token".into(),
            tracking_id: resp.tracking_id.clone(),
        })?;
        Ok(FetchedToken {
            token: SecretString::from(body.access_token),
            expires_in: body.expires_in.map(Duration::from_secs),
        })
    }
}

/// Token endpoint refusals as the product's STATUS messages: a refused client is "Client ID or
/// Client Secret are misconfigured"; a refused refresh token means the app is no longer
/// authorised in the organisation.
fn classify(e: HttpError) -> HttpError {
    let Some(status) = e.status() else {
        return e;
    };
    let remote = e.remote().cloned().unwrap_or_default();
    let code = remote.code.as_deref().unwrap_or("");
    let text = remote.message.as_deref().unwrap_or("").to_ascii_lowercase();
    let refused_grant = code == "invalid_grant"
        || (text.contains("refresh") && text.contains("token"))
        || text.contains("expired");
    let refused_client = code == "invalid_client"
        || status.as_u16() == 401
        || (status.as_u16() == 400 && !refused_grant);
    let message = if refused_client {
        CLIENT_MISCONFIGURED.to_owned()
    } else if refused_grant || status.as_u16() == 403 {
        format!(
            "the refresh token was refused{}; authorize the service app again in Control Hub",
            remote
                .message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        )
    } else {
        return e;
    };
    HttpError::Token {
        kind: ErrorKind::Auth,
        message,
        tracking_id: remote.tracking_id,
    }
}
