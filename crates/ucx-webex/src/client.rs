//! The Webex REST calls the connectors make, with Webex's paging quirks handled once.

use std::collections::HashMap;
use std::sync::Arc;

use async_stream::try_stream;
use futures::stream::BoxStream;
use futures::{FutureExt, StreamExt, TryStreamExt};
use serde::de::DeserializeOwned;
use ucx_http::paging::NextLinks;
use ucx_http::{Call, HttpClient, HttpError, Response, StatusCode, TokenCache, Url, paging};
use ucx_sync_core::{ErrorKind, SourceError, SourceRecord};

use crate::avatar::{Avatar, AvatarError};
use crate::config::{ConfigError, WebexConfig};
use crate::error::WebexErrors;
use crate::ids::WebexId;
use crate::wire::{
    Location, NumberRow, Organization, PeoplePage, Person, ScimPage, TelephonyLocation,
    WorkspaceNumbers,
};

/// A people page, the URL it was read from (its page size may have shrunk), the page size that
/// worked, and its next link as sent.
type PeopleResult = Result<(PeoplePage, Url, usize, Option<String>), SourceError>;

/// A Webex API client for one organisation. Cheap to clone.
#[derive(Debug, Clone)]
pub struct WebexClient {
    http: HttpClient,
    anonymous: HttpClient,
    base: Url,
    identity: Url,
    config: Arc<WebexConfig>,
}

impl WebexClient {
    /// A client for `config`; checks the settings, sends nothing.
    pub fn new(config: WebexConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let (base, identity) = config.urls()?;
        let anonymous = HttpClient::new(config.http.clone(), Arc::new(WebexErrors))
            .map_err(|e| ConfigError::new("http", e.to_string()))?;
        let token_url = base
            .join("access_token")
            .map_err(|e| ConfigError::new("base_url", e.to_string()))?;
        let source = config.credentials.token_source(&anonymous, token_url);
        let http = anonymous.with_auth(Arc::new(TokenCache::new(source)));
        Ok(Self {
            http,
            anonymous,
            base,
            identity,
            config: Arc::new(config),
        })
    }

    /// The settings.
    pub fn config(&self) -> &WebexConfig {
        &self.config
    }

    /// `base` + `path` with `params`, plus `orgId` when configured to send it.
    fn url(&self, path: &str, params: &[(&str, &str)]) -> Result<Url, SourceError> {
        let mut url = self.base.join(path).map_err(|e| {
            SourceError::new(ErrorKind::Config, "build request URL").with_message(e.to_string())
        })?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in params {
                q.append_pair(k, v);
            }
            if self.config.send_org_id
                && let Some(org) = self.config.org_param()
            {
                q.append_pair("orgId", &org);
            }
        }
        Ok(url)
    }

    /// Whether the API answers with these credentials: one person read.
    pub async fn check(&self) -> Result<(), SourceError> {
        let url = self.url("people", &[("max", "1"), ("excludeStatus", "true")])?;
        let resp = self
            .http
            .send(Call::get(url))
            .await
            .map_err(|e| e.into_source_error("check people"))?;
        resp.json::<PeoplePage>()
            .map_err(|e| e.into_source_error("check people"))?;
        Ok(())
    }

    /// The people listing with calling data, page by page, following `Link` headers.
    ///
    /// - The parameters a next link drops (`callingData`, `excludeStatus`, `orgId`, a pushed
    ///   down `email`) are appended again; a next link to another host is refused, since it
    ///   would receive the token.
    /// - The listing ends on a page without a next link, and only there: an empty page that
    ///   still carries one is followed (Webex sends them when people are deleted mid-listing),
    ///   and a cycle, an endless run of empty pages or a link to another host is an error
    ///   ([`ucx_http::paging::NextLinks`]), so a listing is never cut short and called whole.
    /// - A 504 (Webex's answer to a page too large to assemble in time) is asked again with
    ///   half the page size, down to `min_page_size`, where ordinary retries take over.
    /// - The next page is fetched and parsed while the caller converts the current one, so the
    ///   listing runs at the API's pace rather than the sum of both. Dropping the stream
    ///   cancels that request.
    pub(crate) fn people(
        &self,
        email: Option<String>,
    ) -> BoxStream<'static, Result<Vec<Person>, SourceError>> {
        if self.config.read_concurrency > 1 {
            return self.people_in_parallel(email);
        }
        self.listing(email, true, self.config.page_size)
    }

    /// People in parallel: the listing without calling data (1,000 a page, fast), its ids cut
    /// into batches of 85 (the `id` parameter's limit) across page boundaries, and the people
    /// with their calling data fetched `read_concurrency` batches at a time, so no round waits
    /// for the last short batch of a page. Batches come in the listing's order, so the result
    /// is the sequential read's.
    fn people_in_parallel(
        &self,
        email: Option<String>,
    ) -> BoxStream<'static, Result<Vec<Person>, SourceError>> {
        const BATCH: usize = 85;
        let this = self.clone();
        let batches = try_stream! {
            let mut listing = this.listing(email, false, 1000);
            let mut ids: Vec<String> = Vec::new();
            while let Some(page) = listing.next().await {
                ids.extend(page?.into_iter().map(|p| p.id));
                while ids.len() >= BATCH {
                    let rest = ids.split_off(BATCH);
                    yield std::mem::replace(&mut ids, rest);
                }
            }
            if !ids.is_empty() {
                yield ids;
            }
        };
        let fetcher = self.clone();
        batches
            .map(move |ids: Result<Vec<String>, SourceError>| {
                let fetcher = fetcher.clone();
                async move { fetcher.people_with_ids(ids?).await }
            })
            .buffered(self.config.read_concurrency)
            .try_filter(|batch| futures::future::ready(!batch.is_empty()))
            .boxed()
    }

    /// The people of `ids` with their calling data, in the order of `ids`; one removed since
    /// it was listed is left out.
    async fn people_with_ids(&self, ids: Vec<String>) -> Result<Vec<Person>, SourceError> {
        let joined = ids.join(",");
        let mut params = vec![
            ("id", joined.as_str()),
            ("callingData", "true"),
            ("excludeStatus", "true"),
        ];
        let org = self.config.org_param();
        if let (true, Some(org)) = (self.config.send_org_id, org.as_deref()) {
            params.push(("orgId", org));
        }
        let max = ids.len().to_string();
        params.push(("max", &max));
        let mut url = self.base.join("people").map_err(|e| {
            SourceError::new(ErrorKind::Config, "list people").with_message(e.to_string())
        })?;
        url.query_pairs_mut().extend_pairs(params);
        let (page, _): (PeoplePage, Response) = self
            .http
            .get_json(url)
            .await
            .map_err(|e| e.into_source_error("read people by id"))?;
        let mut by_id: HashMap<String, Person> =
            page.items.into_iter().map(|p| (p.id.clone(), p)).collect();
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    /// The people listing, `max` a page, with or without calling data.
    fn listing(
        &self,
        email: Option<String>,
        calling: bool,
        max: usize,
    ) -> BoxStream<'static, Result<Vec<Person>, SourceError>> {
        let this = self.clone();
        try_stream! {
            let mut required: Vec<(String, String)> = vec![
                ("excludeStatus".into(), "true".into()),
            ];
            if calling {
                required.insert(0, ("callingData".into(), "true".into()));
            }
            if let Some(e) = email {
                required.push(("email".into(), e));
            }
            if let (true, Some(org)) = (this.config.send_org_id, this.config.org_param()) {
                required.push(("orgId".into(), org));
            }
            let required = Arc::new(required);
            let mut url = this.base.join("people").map_err(|e| {
                SourceError::new(ErrorKind::Config, "list people").with_message(e.to_string())
            })?;
            ensure_params(&mut url, &required);
            set_param(&mut url, "max", &max.to_string());
            let mut links = NextLinks::new(&this.base, &url);
            let mut pending = Some(this.prefetch_people(url, max));
            let mut pages = 0usize;
            while let Some(handle) = pending.take() {
                let (page, current, max, next) = handle.await?;
                pages += 1;
                if let Some(next) = next {
                    let url = this.checked_next(&mut links, &next, &current, &required, max, page.items.len())?;
                    pending = Some(this.prefetch_people(url, max));
                }
                if !page.items.is_empty() {
                    yield page.items;
                }
            }
            tracing::debug!(pages, "people listing complete");
        }
        .boxed()
    }

    /// Starts fetching one people page on the runtime; the handle cancels it when dropped.
    fn prefetch_people(&self, url: Url, max: usize) -> futures::future::RemoteHandle<PeopleResult> {
        let this = self.clone();
        let (task, handle) = async move { this.people_page(url, max).await }.remote_handle();
        tokio::spawn(task);
        handle
    }

    /// One people page (shrinking it on a 504), parsed, with its next link and the page size
    /// that worked.
    async fn people_page(&self, mut url: Url, mut max: usize) -> PeopleResult {
        let min = self.config.min_page_size;
        let (page, headers) = loop {
            let mut call = Call::get(url.clone());
            if max > min {
                call = call.fail_fast_on(StatusCode::GATEWAY_TIMEOUT);
            }
            let parse = |resp: Response| Ok((resp.json::<PeoplePage>()?, resp.headers));
            match self.http.send_parsed(call, parse).await {
                Ok(r) => break r,
                Err(e) if e.status() == Some(StatusCode::GATEWAY_TIMEOUT) && max > min => {
                    max = (max / 2).max(min);
                    tracing::warn!(
                        max,
                        "people page timed out at the gateway (504); asking again with a smaller page"
                    );
                    set_param(&mut url, "max", &max.to_string());
                }
                Err(e) => return Err(e.into_source_error("list people")),
            }
        };
        let next = paging::next_link(&headers);
        Ok((page, url, max, next))
    }

    /// Validates a next link through the listing's [`NextLinks`] (same scheme, host and port as
    /// the API root, no page twice, no endless empty pages), with the required parameters
    /// restored and a `max=null` (seen from Webex) replaced.
    fn checked_next(
        &self,
        links: &mut NextLinks,
        next: &str,
        current: &Url,
        required: &[(String, String)],
        max: usize,
        items: usize,
    ) -> Result<Url, SourceError> {
        let mut url = self.base.join(next).map_err(|e| {
            SourceError::new(ErrorKind::Protocol, "list")
                .with_message(format!("next link does not parse: {e}"))
        })?;
        ensure_params(&mut url, required);
        if url
            .query_pairs()
            .any(|(k, v)| k == "max" && v.parse::<usize>().is_err())
        {
            set_param(&mut url, "max", &max.to_string());
        }
        links
            .check(url, current, items)
            .map_err(|e| e.into_source_error("list"))
    }

    /// Every item of a telephony or workspace listing: `Link` paging where the API sends it,
    /// else `start`/`max` while pages come back full; a page with no next link that is not full
    /// ends it (an empty page with a next link does not). `key` is the
    /// collection's field (`huntGroups`, `queues`, `items`, ...).
    pub(crate) async fn list_all<T: DeserializeOwned>(
        &self,
        path: &str,
        params: &[(&str, &str)],
        key: &str,
        operation: &str,
    ) -> Result<Vec<T>, SourceError> {
        let max = self.config.feature_page_size;
        let mut url = self.url(path, params)?;
        set_param(&mut url, "max", &max.to_string());
        let required: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "max" && k != "start")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let mut out = Vec::new();
        let mut start = 0usize;
        let mut links = NextLinks::new(&self.base, &url);
        loop {
            let (items, headers) = self
                .http
                .send_parsed(Call::get(url.clone()), |resp| {
                    Ok((items_of::<T>(&resp, key)?, resp.headers))
                })
                .await
                .map_err(|e| e.into_source_error(operation))?;
            let got = items.len();
            out.extend(items);
            start += got;
            url = match paging::next_link(&headers) {
                Some(next) => self.checked_next(&mut links, &next, &url, &required, max, got)?,
                None if got >= max => {
                    let mut u = url.clone();
                    set_param(&mut u, "start", &start.to_string());
                    u
                }
                None => break,
            };
        }
        Ok(out)
    }

    /// Locations by decoded id: name and address.
    pub(crate) async fn locations(&self) -> Result<HashMap<String, Location>, SourceError> {
        let list: Vec<Location> = self
            .list_all("locations", &[], "items", "list locations")
            .await?;
        Ok(by_segment(list, |l| &l.id))
    }

    /// Calling locations by decoded id: routing prefix.
    pub(crate) async fn telephony_locations(
        &self,
    ) -> Result<HashMap<String, TelephonyLocation>, SourceError> {
        let list: Vec<TelephonyLocation> = self
            .list_all(
                "telephony/config/locations",
                &[],
                "locations",
                "list calling locations",
            )
            .await?;
        Ok(by_segment(list, |l| &l.id))
    }

    /// The organisation's name, or `None` when the token may not read it (403/404): the name
    /// is a convenience attribute, not worth failing a sync for.
    pub(crate) async fn organization_name(
        &self,
        org_id: &str,
    ) -> Result<Option<String>, SourceError> {
        let url = self
            .base
            .join(&format!("organizations/{org_id}"))
            .map_err(|e| {
                SourceError::new(ErrorKind::Config, "read organization").with_message(e.to_string())
            })?;
        match self.http.get_json::<Organization>(url).await {
            Ok((org, _)) => Ok(org.display_name),
            Err(e) if matches!(e.status().map(|s| s.as_u16()), Some(403 | 404)) => {
                tracing::warn!(error = %e, "cannot read the organization name; organization.name stays empty (set organization_name to provide it)");
                Ok(None)
            }
            Err(e) => Err(e.into_source_error("read organization")),
        }
    }

    /// The organisation the token administers, when it is one: `(id, name)` from
    /// `/organizations` (a partner token sees several, and must configure `org_id`).
    pub(crate) async fn own_organization(
        &self,
    ) -> Result<Option<(String, Option<String>)>, SourceError> {
        #[derive(serde::Deserialize)]
        struct Org {
            id: String,
            #[serde(rename = "displayName", default)]
            display_name: Option<String>,
        }
        let url = self.url("organizations", &[])?;
        match self.http.send(Call::get(url)).await {
            Ok(resp) => {
                let orgs: Vec<Org> = items_of(&resp, "items")
                    .map_err(|e| e.into_source_error("list organizations"))?;
                Ok(match <[Org; 1]>::try_from(orgs) {
                    Ok([org]) => Some((org.id, org.display_name)),
                    Err(_) => None,
                })
            }
            Err(e) if matches!(e.status().map(|s| s.as_u16()), Some(403 | 404)) => Ok(None),
            Err(e) => Err(e.into_source_error("list organizations")),
        }
    }

    /// The organisation records are tagged with: the configured one (its name configured or
    /// read), or the token's own when it administers exactly one.
    pub(crate) async fn organization(
        &self,
    ) -> Result<Option<(String, Option<String>)>, SourceError> {
        let fixed = self.config.organization_name.clone();
        match self.config.org_param() {
            Some(org) => {
                let name = match fixed {
                    Some(n) => Some(n),
                    None => self.organization_name(&org).await?,
                };
                Ok(Some((org, name)))
            }
            None => Ok(self
                .own_organization()
                .await?
                .map(|(id, name)| (id, fixed.or(name)))),
        }
    }

    /// The numbers of one workspace.
    pub(crate) async fn workspace_numbers(
        &self,
        workspace_id: &str,
    ) -> Result<WorkspaceNumbers, SourceError> {
        let url = self.url(&format!("workspaces/{workspace_id}/features/numbers"), &[])?;
        self.http
            .get_json(url)
            .await
            .map(|(v, _)| v)
            .map_err(|e| e.into_source_error("read workspace numbers"))
    }

    /// The call-recording external identifier of a person or workspace (`owner` is `people` or
    /// `workspaces`): what Control Hub shows under Call recording → call recording platform
    /// information → External Identifier, and what recording integrations correlate calls
    /// with. `None` for an entity without one (not a calling user: 404, or an empty value).
    pub(crate) async fn recording_external_id(
        &self,
        owner: &str,
        id: &str,
    ) -> Result<Option<String>, SourceError> {
        let url = self.url(&format!("{owner}/{id}/features/callRecording"), &[])?;
        match self.http.get_json::<crate::wire::CallRecording>(url).await {
            Ok((r, _)) => Ok(r
                .external_identifier
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Ok(None),
            Err(e) => Err(e.into_source_error("read call recording settings")),
        }
    }

    /// Fills `recordingExternalId` of the calling records in `records` (those with a location)
    /// from `known` (by Webex id, from the previous snapshot) or, for the rest, one request each,
    /// `lookup_concurrency` at a time. Returns how many were asked for.
    pub(crate) async fn fill_recording_ids(
        &self,
        owner: &str,
        records: &mut [SourceRecord],
        known: &HashMap<String, String>,
    ) -> Result<usize, SourceError> {
        let n = self.config.lookup_concurrency.max(1);
        let wanted: Vec<(usize, String)> = records
            .iter()
            .enumerate()
            .filter(|(_, r)| r.attributes.first("location.name").is_some())
            .filter_map(|(i, r)| Some((i, r.attributes.first("nativeUserId")?.to_owned())))
            .collect();
        let asked = wanted
            .iter()
            .filter(|(_, id)| !known.contains_key(id))
            .count();
        let found: Vec<(usize, Option<String>)> =
            futures::stream::iter(wanted.into_iter().map(|(i, id)| async move {
                match known.get(&id) {
                    Some(x) => Ok((i, Some(x.clone()))),
                    None => {
                        Ok::<_, SourceError>((i, self.recording_external_id(owner, &id).await?))
                    }
                }
            }))
            .buffered(n)
            .try_collect()
            .await?;
        for (i, x) in found {
            if let Some(x) = x {
                let r = &mut records[i];
                r.attributes = r.attributes.with("recordingExternalId", [x]);
            }
        }
        Ok(asked)
    }

    /// Decoded ids of workspaces owning a number of type FAX.
    pub(crate) async fn fax_number_owners(&self) -> Result<Vec<String>, SourceError> {
        let rows: Vec<NumberRow> = self
            .list_all(
                "telephony/config/numbers",
                &[("ownerType", "PLACE")],
                "phoneNumbers",
                "list numbers",
            )
            .await?;
        Ok(rows
            .into_iter()
            .filter(|r| {
                r.phone_number_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("FAX"))
            })
            .filter_map(|r| r.owner?.id)
            .filter_map(|id| WebexId::decode(&id).map(|i| i.segment))
            .collect())
    }

    /// `externalId` by Common Identity UUID, from SCIM (`startIndex` paging, sorted by `id` so
    /// pages neither repeat nor skip users).
    pub(crate) async fn external_ids(&self) -> Result<HashMap<String, String>, SourceError> {
        let op = "list SCIM users";
        let org = self.config.org_uuid().ok_or_else(|| {
            SourceError::new(ErrorKind::Config, op).with_message("org_id is required for SCIM")
        })?;
        let root = self
            .identity
            .join(&format!("{org}/v2/Users"))
            .map_err(|e| SourceError::new(ErrorKind::Config, op).with_message(e.to_string()))?;
        let mut out = HashMap::new();
        let mut offset = Some(paging::Offset::new(1, 1000));
        while let Some(o) = offset {
            let mut url = root.clone();
            url.query_pairs_mut()
                .append_pair("attributes", "id,externalId")
                .append_pair("sortBy", "id")
                .append_pair("startIndex", &o.start.to_string())
                .append_pair("count", &o.size.to_string());
            let (page, _): (ScimPage, Response) = self
                .http
                .get_json(url)
                .await
                .map_err(|e| e.into_source_error(op))?;
            let got = page.resources.len();
            for u in page.resources {
                if let Some(ext) = u.external_id.filter(|e| !e.is_empty()) {
                    out.insert(u.id.to_ascii_lowercase(), ext);
                }
            }
            // SCIM's startIndex is 1-based, so the total is reached past total + 1.
            offset = o.advance(got, page.total_results.map(|t| t + 1));
        }
        Ok(out)
    }

    /// Fetches an avatar within the size cap and checks it is a PNG, JPEG or BMP image. Avatar
    /// URLs point at a content host, so the request carries no token.
    pub async fn avatar(&self, url: &str) -> Result<Avatar, AvatarError> {
        let parsed = Url::parse(url).map_err(|_| AvatarError::BadUrl)?;
        let limit = self.config.avatar_max_bytes;
        let call = Call::get(parsed).anonymous().limit_body(limit);
        match self.anonymous.send(call).await {
            Ok(resp) => Avatar::from_bytes(resp.body),
            Err(HttpError::BodyTooLarge { .. }) => Err(AvatarError::TooLarge { limit }),
            Err(e) if e.status() == Some(StatusCode::NOT_FOUND) => Err(AvatarError::NotFound),
            Err(e) => Err(AvatarError::Fetch(Box::new(
                e.into_source_error("fetch avatar"),
            ))),
        }
    }

    /// Workspace listing for the virtual-object and fax sources (Webex Calling ones only).
    pub(crate) async fn workspaces(&self) -> Result<Vec<crate::wire::Workspace>, SourceError> {
        let list: Vec<crate::wire::Workspace> = self
            .list_all(
                "workspaces",
                &[("calling", "webexCalling")],
                "items",
                "list workspaces",
            )
            .await?;
        Ok(list
            .into_iter()
            .filter(|w| {
                w.calling
                    .as_ref()
                    .and_then(|c| c.kind.as_deref())
                    .is_none_or(|k| k.eq_ignore_ascii_case("webexCalling"))
            })
            .collect())
    }

    /// Looks up the numbers of `workspaces` with bounded concurrency, keeping their order.
    pub(crate) async fn numbers_of(
        &self,
        workspaces: Vec<crate::wire::Workspace>,
    ) -> Result<Vec<(crate::wire::Workspace, WorkspaceNumbers)>, SourceError> {
        let n = self.config.lookup_concurrency.max(1);
        futures::stream::iter(workspaces.into_iter().map(|w| async move {
            let numbers = self.workspace_numbers(&w.id).await?;
            Ok::<_, SourceError>((w, numbers))
        }))
        .buffered(n)
        .try_collect()
        .await
    }
}

/// `items` by the decoded segment of their id (items whose id does not decode are left out).
fn by_segment<T>(items: Vec<T>, id: impl Fn(&T) -> &str) -> HashMap<String, T> {
    items
        .into_iter()
        .filter_map(|item| Some((WebexId::decode(id(&item))?.segment, item)))
        .collect()
}

/// The array under `key` in a page.
fn items_of<T: DeserializeOwned>(resp: &Response, key: &str) -> Result<Vec<T>, HttpError> {
    let mut page: serde_json::Map<String, serde_json::Value> = resp.json()?;
    match page.remove(key) {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(v) => serde_json::from_value(v)
            .map_err(|e| HttpError::malformed(&resp.url, format!("`{key}`: {e}"))),
    }
}

fn set_param(url: &mut Url, name: &str, value: &str) {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair(name, value);
}

fn ensure_params(url: &mut Url, required: &[(String, String)]) {
    let missing: Vec<&(String, String)> = required
        .iter()
        .filter(|(k, _)| !url.query_pairs().any(|(qk, _)| qk == k.as_str()))
        .collect();
    if !missing.is_empty() {
        tracing::debug!(
            missing = ?missing.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
            "next link dropped parameters; appending them again"
        );
        let mut q = url.query_pairs_mut();
        for (k, v) in missing {
            q.append_pair(k, v);
        }
    }
}
