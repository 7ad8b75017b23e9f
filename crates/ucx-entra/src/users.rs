//! The Entra ID source: users of the tenant, of groups, or assigned to an application.

use std::collections::HashSet;

use async_stream::try_stream;
use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use ucx_sync_core::{
    Capabilities, ChangeSet, Cursor, ErrorKind, ListRequest, ObjectKind, SourceAdapter,
    SourceError, SourceId, SourceRecord,
};

use crate::client::{GraphClient, url_segment};
use crate::config::{ConfigError, EntraConfig, Scope};
use crate::error::{code, source_error};
use crate::pushdown::odata_filter;
use crate::records::{self, Skip};
use crate::wire::{Assignment, SELECT, User};

/// How often an expired page token restarts a listing before it fails.
const RESTARTS: usize = 3;

/// Imports Microsoft Entra ID users: the product's "Entra ID" source. Source id
/// `entra:<tenant>`; key the userPrincipalName, lower-cased; stable id the object id.
#[derive(Debug, Clone)]
pub struct EntraUsers {
    client: GraphClient,
    id: SourceId,
}

impl EntraUsers {
    /// The source for `config`; checks the settings, sends nothing.
    pub fn new(config: EntraConfig) -> Result<Self, ConfigError> {
        let id = SourceId::new(format!(
            "entra:{}",
            config.tenant.trim().to_ascii_lowercase()
        ));
        Ok(Self {
            client: GraphClient::new(config)?,
            id,
        })
    }

    /// The Graph client, for photos.
    pub fn client(&self) -> &GraphClient {
        &self.client
    }
}

/// Converts one page's users, skipping those already seen (a restarted listing, a user in two
/// groups) and those the settings exclude.
fn convert(
    users: Vec<User>,
    client: &GraphClient,
    seen: &mut HashSet<String>,
) -> Vec<SourceRecord> {
    users
        .into_iter()
        .filter_map(|u| match records::user(&u, client.config()) {
            Ok(r) => seen.insert(u.id.to_ascii_lowercase()).then_some(r),
            Err(Skip::NoKey) => {
                tracing::debug!(id = %u.id, "a user without userPrincipalName is not imported");
                None
            }
            Err(_) => None,
        })
        .collect()
}

/// Every user of one listing URL, restarting (up to [`RESTARTS`] times) when Graph says the
/// page token expired; already-yielded users are not yielded again.
fn listing(
    client: GraphClient,
    first: ucx_http::Url,
    operation: &'static str,
) -> BoxStream<'static, Result<Vec<User>, SourceError>> {
    try_stream! {
        let mut restarts = 0;
        'listing: loop {
            let mut pages = client.pages::<User>(first.clone());
            while let Some(page) = pages.next().await {
                match page {
                    Ok(p) => yield p.value,
                    Err(e) if code(&e) == Some("Directory_ExpiredPageToken") && restarts < RESTARTS => {
                        restarts += 1;
                        tracing::warn!(restarts, "Graph page token expired; restarting the listing");
                        continue 'listing;
                    }
                    Err(e) => Err(source_error(e, operation))?,
                }
            }
            break;
        }
    }
    .boxed()
}

/// The members of `group` (users only: the OData cast leaves groups, devices and service
/// principals out), direct or through nested groups.
fn members(client: &GraphClient, group: &str) -> Result<ucx_http::Url, SourceError> {
    let top = client.config().page_size.to_string();
    let relation = if client.config().transitive {
        "transitiveMembers"
    } else {
        "members"
    };
    client.url(
        &format!(
            "groups/{}/{relation}/microsoft.graph.user",
            url_segment(group)
        ),
        &[("$select", SELECT), ("$top", &top)],
    )
}

#[async_trait]
impl SourceAdapter for EntraUsers {
    fn source_id(&self) -> &SourceId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        let all = self.client.config().scope == Scope::AllUsers;
        let mut c = Capabilities::new([ObjectKind::User]).with_delta(all);
        c.filter_push_down = all;
        c.max_page_size = Some(self.client.config().page_size);
        c
    }

    async fn check(&self) -> Result<(), SourceError> {
        self.client.check().await
    }

    fn pictures(&self) -> Option<std::sync::Arc<dyn ucx_sync_core::PictureFetcher>> {
        self.client.config().pictures.then(|| {
            std::sync::Arc::new(crate::client::EntraPictures {
                client: self.client.clone(),
            }) as _
        })
    }

    fn list(&self, request: ListRequest) -> BoxStream<'static, Result<SourceRecord, SourceError>> {
        let client = self.client.clone();
        let wanted = request.kinds.is_empty() || request.kinds.contains(&ObjectKind::User);
        try_stream! {
            if !wanted {
                return;
            }
            let mut seen = HashSet::new();
            let mut sources: Vec<(ucx_http::Url, &'static str)> = Vec::new();
            match client.config().scope.clone() {
                Scope::AllUsers => {
                    let filter = request.filter.as_ref().and_then(odata_filter);
                    sources.push((client.users_url(filter.as_deref())?, "list users"));
                }
                Scope::Groups(groups) => {
                    for g in &groups {
                        sources.push((members(&client, g)?, "list group members"));
                    }
                }
                Scope::Application(sp) => {
                    let (users, groups) = assignments(&client, &sp).await?;
                    for chunk in users.chunks(15) {
                        let ids = chunk
                            .iter()
                            .map(|id| crate::pushdown::odata_literal(id))
                            .collect::<Vec<_>>()
                            .join(",");
                        sources.push((client.users_url(Some(&format!("id in ({ids})")))?, "list assigned users"));
                    }
                    for g in &groups {
                        sources.push((members(&client, g)?, "list assigned group members"));
                    }
                }
            }
            for (url, op) in sources {
                let mut pages = listing(client.clone(), url, op);
                while let Some(page) = pages.next().await {
                    for r in convert(page?, &client, &mut seen) {
                        yield r;
                    }
                }
            }
        }
        .boxed()
    }

    /// The delta link of now, without reading the tenant: `/users/delta?$deltatoken=latest`
    /// answers no users and a delta link. A full read then lists users in pages of 999, where
    /// the delta query's own first round pages by 100 (it ignores `$top`).
    async fn change_bookmark(&self) -> Result<Option<Cursor>, SourceError> {
        if self.client.config().scope != Scope::AllUsers {
            return Ok(None);
        }
        let url = self.client.url(
            "users/delta",
            &[("$select", SELECT), ("$deltatoken", "latest")],
        )?;
        let set = delta_round(&self.client, url, false)
            .await
            .map_err(|e| source_error(e, "users delta bookmark"))?;
        Ok(set.cursor)
    }

    /// Changes since `cursor` (a delta link) through `/users/delta`. An empty cursor, or an
    /// expired one (400 `syncStateNotFound`, 410 Gone), reads the whole tenant again
    /// (`full: true`). Removed users (`@removed`, deleted or soft-deleted) and users the
    /// settings now exclude are returned by id in `removed_ids`. Only for the all-users scope:
    /// a delta of the tenant says nothing about group membership.
    async fn changes(&self, cursor: &Cursor) -> Result<ChangeSet, SourceError> {
        if self.client.config().scope != Scope::AllUsers {
            return Err(
                SourceError::new(ErrorKind::Unsupported, "users delta").with_message(
                    "delta query follows the whole tenant; scoped sources refresh in full",
                ),
            );
        }
        let initial = self.client.url("users/delta", &[("$select", SELECT)])?;
        let (start, full) = if cursor.0.trim().is_empty() {
            (initial.clone(), true)
        } else {
            (
                self.client
                    .delta_link(&cursor.0)
                    .map_err(|e| source_error(e, "users delta"))?,
                false,
            )
        };
        match delta_round(&self.client, start, full).await {
            Err(e) if !full && expired(&e) => {
                tracing::warn!("Graph delta token expired; reading the whole tenant again");
                delta_round(&self.client, initial, true)
                    .await
                    .map_err(|e| source_error(e, "users delta"))
            }
            other => other.map_err(|e| source_error(e, "users delta")),
        }
    }
}

/// Whether Graph says the delta token cannot be followed any more, so the tenant must be read
/// again: 410 Gone, `syncStateNotFound` (an expired token), `resyncRequired` (a token reset
/// by the service), `Directory_ExpiredPageToken` (a round's page token expired mid-round).
fn expired(e: &ucx_http::HttpError) -> bool {
    e.status().is_some_and(|s| s.as_u16() == 410)
        || code(e).is_some_and(|c| {
            [
                "syncStateNotFound",
                "resyncRequired",
                "Directory_ExpiredPageToken",
            ]
            .iter()
            .any(|known| c.eq_ignore_ascii_case(known))
        })
}

/// One delta round, from `start` to its delta link.
async fn delta_round(
    client: &GraphClient,
    start: ucx_http::Url,
    full: bool,
) -> Result<ChangeSet, ucx_http::HttpError> {
    let mut set = ChangeSet {
        full,
        ..ChangeSet::default()
    };
    let mut pages = client.pages::<User>(start);
    while let Some(page) = pages.next().await {
        let page = page?;
        for u in &page.value {
            if u.removed.is_some() {
                set.removed_ids.push(u.id.to_ascii_lowercase());
                continue;
            }
            match records::user(u, client.config()) {
                Ok(r) => set.upserts.push(r),
                Err(Skip::Guest | Skip::Disabled) => {
                    set.removed_ids.push(u.id.to_ascii_lowercase())
                }
                Err(_) => {}
            }
        }
        if let Some(link) = page.delta_link {
            set.cursor = Some(Cursor(link));
        }
    }
    Ok(set)
}

/// The users and groups assigned to service principal `sp` (other principal types ignored).
async fn assignments(
    client: &GraphClient,
    sp: &str,
) -> Result<(Vec<String>, Vec<String>), SourceError> {
    let op = "list application assignments";
    let url = client.url(
        &format!("servicePrincipals/{}/appRoleAssignedTo", url_segment(sp)),
        &[("$top", "999")],
    )?;
    let (mut users, mut groups) = (Vec::new(), Vec::new());
    let mut pages = client.pages::<Assignment>(url);
    while let Some(page) = pages.next().await {
        for a in page.map_err(|e| source_error(e, op))?.value {
            let Some(id) = a.principal_id else { continue };
            match a.principal_type.as_deref() {
                Some(t) if t.eq_ignore_ascii_case("User") => users.push(id),
                Some(t) if t.eq_ignore_ascii_case("Group") => groups.push(id),
                _ => {}
            }
        }
    }
    users.sort();
    users.dedup();
    groups.sort();
    groups.dedup();
    Ok((users, groups))
}
