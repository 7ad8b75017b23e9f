//! The Webex virtual objects source: hunt groups, call queues, auto attendants, virtual lines
//! and workspaces, keyed by their decoded id.

use std::collections::HashSet;

use async_stream::try_stream;
use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use ucx_sync_core::{
    Capabilities, ListRequest, ObjectKind, SourceAdapter, SourceError, SourceId, SourceRecord,
};

use crate::client::WebexClient;
use crate::config::{ConfigError, WebexConfig};
use crate::error::status_error;
use crate::ids::WebexId;
use crate::records::{self, Directory};
use crate::users::connect;
use crate::wire::{Feature, VirtualLine, Workspace};

const KINDS: [ObjectKind; 5] = [
    ObjectKind::HuntGroup,
    ObjectKind::CallQueue,
    ObjectKind::AutoAttendant,
    ObjectKind::VirtualLine,
    ObjectKind::Workspace,
];

/// Imports Webex Calling virtual objects: the product's "Cisco Webex Virtual Objects" source.
/// Workspaces the fax rule selects are left to [`WebexFaxWorkspaces`](crate::WebexFaxWorkspaces),
/// so one object is never owned by two sources. Source id `webex-virtual:<org uuid>`.
#[derive(Debug, Clone)]
pub struct WebexVirtualObjects {
    client: WebexClient,
    id: SourceId,
}

impl WebexVirtualObjects {
    /// The source for `config`; sends nothing until used.
    pub fn new(config: WebexConfig) -> Result<Self, ConfigError> {
        let (client, id) = connect("webex-virtual", config)?;
        Ok(Self { client, id })
    }
}

/// The directory virtual objects are joined with, and the organisation they belong to.
pub(crate) async fn directory(
    client: &WebexClient,
) -> Result<(Directory, Option<String>), SourceError> {
    let mut dir = Directory::new(
        client.locations().await?,
        client.telephony_locations().await?,
    );
    let org = client.organization().await?;
    if let Some((raw, name)) = &org
        && let Some(id) = WebexId::decode(raw)
    {
        dir.org_names.insert(id.segment, name.clone());
    }
    Ok((dir, org.map(|(raw, _)| raw)))
}

/// Workspaces split by the fax rule: `(fax, other)`.
pub(crate) async fn split_workspaces(
    client: &WebexClient,
) -> Result<(Vec<Workspace>, Vec<Workspace>), SourceError> {
    let all = client.workspaces().await?;
    let rule = &client.config().fax_rule;
    let fax_owners: HashSet<String> = if rule.fax_number {
        client.fax_number_owners().await?.into_iter().collect()
    } else {
        HashSet::new()
    };
    Ok(all.into_iter().partition(|w| {
        let owns = WebexId::decode(&w.id).is_some_and(|i| fax_owners.contains(&i.segment));
        rule.matches(w.display_name.as_deref(), w.notes.as_deref(), owns)
    }))
}

#[async_trait]
impl SourceAdapter for WebexVirtualObjects {
    fn source_id(&self) -> &SourceId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        let mut c = Capabilities::new(KINDS);
        c.max_page_size = Some(self.client.config().feature_page_size);
        c.reads_previous = self.client.config().recording_ids;
        c
    }

    async fn check(&self) -> Result<(), SourceError> {
        self.client.check().await.map_err(status_error)
    }

    fn list(&self, request: ListRequest) -> BoxStream<'static, Result<SourceRecord, SourceError>> {
        let client = self.client.clone();
        let known = crate::users::known_recording_ids(request.previous.as_deref());
        let wants = move |k: ObjectKind| request.kinds.is_empty() || request.kinds.contains(&k);
        try_stream! {
            if !KINDS.iter().any(|k| wants(*k)) {
                return;
            }
            let (dir, org) = directory(&client).await?;
            let org = org.as_deref();
            let features = [
                (ObjectKind::HuntGroup, "telephony/config/huntGroups", "huntGroups", "list hunt groups"),
                (ObjectKind::AutoAttendant, "telephony/config/autoAttendants", "autoAttendants", "list auto attendants"),
            ];
            for (kind, path, key, op) in features {
                if wants(kind) {
                    let items: Vec<Feature> = client.list_all(path, &[], key, op).await?;
                    for f in &items {
                        if let Some(r) = records::feature(kind, f, org, &dir) {
                            yield r;
                        }
                    }
                }
            }
            if wants(ObjectKind::CallQueue) {
                let mut queues: Vec<Feature> = client
                    .list_all("telephony/config/queues", &[], "queues", "list call queues")
                    .await?;
                if client.config().include_cx_queues {
                    let cx: Vec<Feature> = client
                        .list_all(
                            "telephony/config/queues",
                            &[("hasCxEssentials", "true")],
                            "queues",
                            "list Customer Assist queues",
                        )
                        .await?;
                    let seen: HashSet<String> = queues.iter().map(|q| q.id.clone()).collect();
                    queues.extend(cx.into_iter().filter(|q| !seen.contains(&q.id)).map(|mut q| {
                        q.has_cx_essentials = Some(true);
                        q
                    }));
                } else {
                    // Without the option only Customer Experience Basic queues are imported,
                    // as in the product, even if the API returns others.
                    queues.retain(|q| q.has_cx_essentials != Some(true));
                }
                for q in &queues {
                    if let Some(r) = records::feature(ObjectKind::CallQueue, q, org, &dir) {
                        yield r;
                    }
                }
            }
            if wants(ObjectKind::VirtualLine) {
                let lines: Vec<VirtualLine> = client
                    .list_all("telephony/config/virtualLines", &[], "virtualLines", "list virtual lines")
                    .await?;
                for l in &lines {
                    if let Some(r) = records::virtual_line(l, org, &dir) {
                        yield r;
                    }
                }
            }
            if wants(ObjectKind::Workspace) {
                let (_fax, others) = split_workspaces(&client).await?;
                let mut records: Vec<SourceRecord> = client
                    .numbers_of(others)
                    .await?
                    .iter()
                    .filter_map(|(w, numbers)| records::workspace(ObjectKind::Workspace, w, numbers, org, &dir))
                    .collect();
                if client.config().recording_ids {
                    client.fill_recording_ids("workspaces", &mut records, &known).await?;
                }
                for r in records {
                    yield r;
                }
            }
        }
        .boxed()
    }
}
