//! The Webex users source: people with their calling data, keyed by email.

use async_stream::try_stream;
use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use ucx_filter::Filter;
use ucx_sync_core::{
    Capabilities, ListRequest, ObjectKind, SourceAdapter, SourceError, SourceId, SourceRecord,
};

use crate::client::WebexClient;
use crate::config::{ConfigError, WebexConfig};
use crate::error::status_error;
use crate::ids::WebexId;
use crate::records::{self, Directory, Skip};

/// Imports Webex users (`/v1/people?callingData=true`) joined with their locations: the
/// product's "Cisco Webex Users" source. Source id `webex-users:<org uuid>`.
#[derive(Debug, Clone)]
pub struct WebexUsers {
    client: WebexClient,
    id: SourceId,
}

impl WebexUsers {
    /// The source for `config`; sends nothing until used.
    pub fn new(config: WebexConfig) -> Result<Self, ConfigError> {
        let (client, id) = connect("webex-users", config)?;
        Ok(Self { client, id })
    }

    /// The client, for avatars and direct calls.
    pub fn client(&self) -> &WebexClient {
        &self.client
    }
}

/// The client for `config`, and the source id `<prefix>:<org uuid>` (`<prefix>:default` when
/// no organisation is configured).
pub(crate) fn connect(
    prefix: &str,
    config: WebexConfig,
) -> Result<(WebexClient, SourceId), ConfigError> {
    let org = config.org_uuid().unwrap_or_else(|| "default".to_owned());
    let id = SourceId::new(format!("{prefix}:{org}"));
    Ok((WebexClient::new(config)?, id))
}

/// The part of a filter Webex can apply: an exact `email` that every match must have (the
/// People API's `email` parameter, which returns exact matches only). Webex keeps addresses in
/// lower case, so only a plain lower-case value is sent ([`ucx_filter::plain_value`]): the
/// server then never leaves out a person the local filter, which ignores case and folds spaces,
/// accepts. Everything else is evaluated locally only.
///
/// ```
/// use ucx_filter::Filter;
/// use ucx_webex::email_push_down;
/// let f = |s| Filter::parse(s).unwrap();
/// assert_eq!(email_push_down(&f("(&(email= ann@example.com )(department=x))")).as_deref(), Some("ann@example.com"));
/// assert_eq!(email_push_down(&f("(email=Ann@Example.com)")), None);
/// assert_eq!(email_push_down(&f("(|(email=ann@example.com)(email=bob@example.com))")), None);
/// ```
pub fn email_push_down(filter: &Filter) -> Option<String> {
    match filter {
        Filter::Equality(attr, value) if attr.is("email") => {
            let v = ucx_filter::plain_value(value)?;
            (!v.bytes().any(|b| b.is_ascii_uppercase())).then(|| v.to_owned())
        }
        Filter::And(children) => children.iter().find_map(email_push_down),
        _ => None,
    }
}

/// Locations, calling locations, the organisation and (by option) SCIM external ids.
async fn users_directory(client: &WebexClient) -> Result<Directory, SourceError> {
    // Independent requests, side by side: each is a round trip.
    let (locations, telephony, organization) = futures::try_join!(
        client.locations(),
        client.telephony_locations(),
        client.organization()
    )?;
    let mut dir = Directory::new(locations, telephony);
    if let Some((org, name)) = organization
        && let Some(id) = WebexId::decode(&org)
    {
        dir.org_names.insert(id.segment, name);
    }
    if client.config().include_external_id {
        dir.external_ids = client.external_ids().await?;
    }
    Ok(dir)
}

/// Recording external identifiers of the previous snapshot, by Webex id: a re-sync asks only
/// for the people and workspaces it has not seen with one.
pub(crate) fn known_recording_ids(
    previous: Option<&ucx_sync_core::Snapshot>,
) -> std::collections::HashMap<String, String> {
    previous
        .into_iter()
        .flat_map(|s| &s.records)
        .filter_map(|r| {
            let id = r.attributes.first("nativeUserId")?;
            let x = r.attributes.first("recordingExternalId")?;
            Some((id.to_owned(), x.to_owned()))
        })
        .collect()
}

/// Reads the name of an organisation met for the first time (a partner token lists people of
/// several).
async fn learn_org(
    client: &WebexClient,
    dir: &mut Directory,
    org_id: Option<&str>,
) -> Result<(), SourceError> {
    let Some(raw) = org_id else { return Ok(()) };
    let Some(segment) = dir.learn(raw).map(str::to_owned) else {
        return Ok(());
    };
    if dir.org_names.contains_key(&segment) {
        return Ok(());
    }
    let name = match &client.config().organization_name {
        Some(n) => Some(n.clone()),
        None => client.organization_name(raw).await?,
    };
    dir.org_names.insert(segment, name);
    Ok(())
}

#[async_trait]
impl SourceAdapter for WebexUsers {
    fn source_id(&self) -> &SourceId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        let mut c = Capabilities::new([ObjectKind::User]);
        c.filter_push_down = true;
        c.max_page_size = Some(self.client.config().page_size);
        c.reads_previous = self.client.config().recording_ids;
        c
    }

    async fn check(&self) -> Result<(), SourceError> {
        self.client.check().await.map_err(status_error)
    }

    fn pictures(&self) -> Option<std::sync::Arc<dyn ucx_sync_core::PictureFetcher>> {
        self.client.config().pictures.then(|| {
            std::sync::Arc::new(crate::WebexPictures {
                client: self.client.clone(),
            }) as _
        })
    }

    fn list(&self, request: ListRequest) -> BoxStream<'static, Result<SourceRecord, SourceError>> {
        let client = self.client.clone();
        let wanted = request.kinds.is_empty() || request.kinds.contains(&ObjectKind::User);
        let email = request.filter.as_ref().and_then(email_push_down);
        let known = known_recording_ids(request.previous.as_deref());
        try_stream! {
            if !wanted {
                return;
            }
            let (mut people, mut skipped) = (client.people(email), [0usize; 2]);
            // The directory and the first page of people side by side.
            let (dir, mut next) = futures::join!(users_directory(&client), people.next());
            let mut dir = dir?;
            let mut fetched = 0usize;
            while let Some(page) = next {
                let mut records = Vec::new();
                for person in page? {
                    learn_org(&client, &mut dir, person.org_id.as_deref()).await?;
                    match records::person(&person, &dir) {
                        Ok(record) => records.push(record),
                        Err(Skip::NoEmail) => skipped[0] += 1,
                        Err(Skip::NotAPerson) => skipped[1] += 1,
                    }
                }
                if client.config().recording_ids {
                    fetched += client.fill_recording_ids("people", &mut records, &known).await?;
                }
                for record in records {
                    yield record;
                }
                next = people.next().await;
            }
            if client.config().recording_ids {
                tracing::debug!(fetched, reused = known.len(), "recording external identifiers");
            }
            if skipped != [0, 0] {
                tracing::info!(without_email = skipped[0], bots_and_apps = skipped[1], "people not imported");
            }
        }
        .boxed()
    }
}
