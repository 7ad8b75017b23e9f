//! The Microsoft Graph calls the source makes.

use std::sync::Arc;

use async_stream::try_stream;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt};
use serde::de::DeserializeOwned;
use ucx_http::paging::{NextLinks, ODataPage};
use ucx_http::{Call, HttpClient, HttpError, StatusCode, TokenCache, Url};
use ucx_sync_core::SourceError;

use crate::auth::ClientCredentials;
use crate::config::{ConfigError, EntraConfig};
use crate::error::{GraphErrors, source_error};
use crate::wire::SELECT;

/// A photo within the size cap.
#[derive(Debug, Clone)]
pub struct Photo {
    /// The content type Graph gave (`image/jpeg` usually).
    pub content_type: Option<String>,
    /// The image.
    pub bytes: bytes::Bytes,
}

/// A Graph client for one tenant. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GraphClient {
    http: HttpClient,
    v1: Url,
    config: Arc<EntraConfig>,
}

impl GraphClient {
    /// A client for `config`; checks the settings (and a certificate's key), sends nothing.
    pub fn new(config: EntraConfig) -> Result<Self, ConfigError> {
        let (token_url, v1, scope) = config.endpoints()?;
        let base = HttpClient::new(config.http.clone(), Arc::new(GraphErrors))
            .map_err(|e| ConfigError::new("http", e.to_string()))?;
        let source = ClientCredentials::new(
            base.clone(),
            token_url,
            config.client_id.clone(),
            scope,
            &config.credential,
        )?;
        let http = base.with_auth(Arc::new(TokenCache::new(Arc::new(source))));
        Ok(Self {
            http,
            v1,
            config: Arc::new(config),
        })
    }

    /// The settings.
    pub fn config(&self) -> &EntraConfig {
        &self.config
    }

    /// `v1.0/` + `path`, with `$select` of the connector's properties and `params`.
    pub(crate) fn url(&self, path: &str, params: &[(&str, &str)]) -> Result<Url, SourceError> {
        let mut url = self.v1.join(path).map_err(|e| {
            SourceError::new(ucx_sync_core::ErrorKind::Config, "build Graph URL")
                .with_message(e.to_string())
        })?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in params {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    /// The users listing URL: every selected property, 999 a page, and an optional `$filter`.
    pub(crate) fn users_url(&self, filter: Option<&str>) -> Result<Url, SourceError> {
        let top = self.config.page_size.to_string();
        let mut params = vec![("$select", SELECT), ("$top", top.as_str())];
        if let Some(f) = filter {
            params.push(("$filter", f));
        }
        self.url("users", &params)
    }

    /// One user, to check the token and its permissions (the STATUS light).
    pub async fn check(&self) -> Result<(), SourceError> {
        let url = self.url("users", &[("$select", "id"), ("$top", "1")])?;
        let resp = self
            .http
            .send(Call::get(url))
            .await
            .map_err(|e| source_error(e, "check users"))?;
        resp.json::<ODataPage<serde_json::Value>>()
            .map_err(|e| source_error(e, "check users"))?;
        Ok(())
    }

    /// Pages of an OData collection from `first`, following `@odata.nextLink` verbatim (with a
    /// fresh token on every page) until it is absent: an empty page with a next link does not
    /// end it. A next link to another host, a page requested twice or an endless run of empty
    /// pages is an error ([`NextLinks`]), never a loop or a listing called complete.
    /// The next page is fetched while the caller handles this one. The stream ends after its
    /// first error, which is kept as the transport's so the caller can branch on its code.
    pub(crate) fn pages<T>(&self, first: Url) -> BoxStream<'static, Result<ODataPage<T>, HttpError>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let this = self.clone();
        try_stream! {
            let mut links = NextLinks::new(&this.v1, &first);
            let mut pending = Some(this.prefetch::<T>(first));
            while let Some(handle) = pending.take() {
                let (page, url) = handle.await?;
                if let Some(next) = &page.next_link {
                    let next = this.checked(next, &url)?;
                    let next = links.check(next, &url, page.value.len())?;
                    pending = Some(this.prefetch::<T>(next));
                }
                yield page;
            }
        }
        .boxed()
    }

    fn prefetch<T>(
        &self,
        url: Url,
    ) -> futures::future::RemoteHandle<Result<(ODataPage<T>, Url), HttpError>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let http = self.http.clone();
        let (task, handle) = async move {
            let page = http
                .send_parsed(Call::get(url.clone()), |resp| resp.json::<ODataPage<T>>())
                .await?;
            Ok((page, url))
        }
        .remote_handle();
        tokio::spawn(task);
        handle
    }

    /// A next or delta link, only on the Graph host this client talks to.
    fn checked(&self, link: &str, current: &Url) -> Result<Url, HttpError> {
        let url = Url::parse(link)
            .map_err(|e| HttpError::malformed(current, format!("next link: {e}")))?;
        if url.host_str() != self.v1.host_str()
            || url.port_or_known_default() != self.v1.port_or_known_default()
        {
            return Err(HttpError::malformed(
                current,
                format!(
                    "next link points to another server ({}); not following it with the token",
                    ucx_http::redact_url(&url)
                ),
            ));
        }
        Ok(url)
    }

    /// Parses a stored delta link, checking its host.
    pub(crate) fn delta_link(&self, link: &str) -> Result<Url, HttpError> {
        self.checked(link, &self.v1)
    }

    /// A user's photo within `photo_max_bytes`; `None` when the user has none (404).
    pub async fn photo(&self, user_id: &str) -> Result<Option<Photo>, SourceError> {
        let op = "read photo";
        let id: String = url_segment(user_id);
        let url = self.url(&format!("users/{id}/photo/$value"), &[])?;
        let call = Call::get(url).limit_body(self.config.photo_max_bytes);
        match self.http.send(call).await {
            Ok(resp) => Ok(Some(Photo {
                content_type: resp
                    .headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                bytes: resp.body,
            })),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(source_error(e, op)),
        }
    }
}

/// Fetches Entra users' photos for the users database: the `picture` field holds the user's
/// object id, whose photo URL never changes, so a stored photo is asked for again on every pass
/// with its ETag (`If-None-Match`; an unchanged photo is a `304` without a body).
#[derive(Debug, Clone)]
pub struct EntraPictures {
    pub(crate) client: GraphClient,
}

#[async_trait::async_trait]
impl ucx_sync_core::PictureFetcher for EntraPictures {
    async fn fetch(
        &self,
        reference: &str,
        etag: Option<&str>,
    ) -> Result<ucx_sync_core::Fetched, ucx_sync_core::PictureError> {
        use ucx_sync_core::{Fetched, Picture, PictureError};
        let fetch_error = |e: SourceError| PictureError::Fetch(Box::new(e));
        let id = url_segment(reference);
        let url = self
            .client
            .url(&format!("users/{id}/photo/$value"), &[])
            .map_err(fetch_error)?;
        let limit = self.client.config.picture_max_bytes;
        let mut call = Call::get(url).limit_body(limit);
        if let Some(tag) = etag
            && let Ok(v) = ucx_http::header::HeaderValue::from_str(tag)
        {
            call = call.header("if-none-match", v);
        }
        match self.client.http.send(call).await {
            Ok(resp) => {
                let etag = resp
                    .headers
                    .get("etag")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                Picture::checked(resp.body, etag, limit).map(Fetched::Image)
            }
            Err(e) if e.status() == Some(StatusCode::NOT_MODIFIED) => Ok(Fetched::NotModified),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(Fetched::Absent),
            Err(HttpError::BodyTooLarge { .. }) => Err(PictureError::TooLarge { limit }),
            Err(e) => Err(fetch_error(source_error(e, "read photo"))),
        }
    }

    fn concurrency(&self) -> usize {
        self.client.config.photo_concurrency
    }

    fn revalidates(&self) -> bool {
        true
    }
}

/// `text` percent-encoded for one path segment (user ids and UPNs: `#EXT#` of guests).
pub(crate) fn url_segment(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'@') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
