//! The Webex fax workspaces source: workspaces the fax rule selects, for Digital Fax.

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
use crate::records;
use crate::users::connect;
use crate::virtual_objects::{directory, split_workspaces};

/// Imports the workspaces selected by [`FaxRule`](crate::FaxRule) as `FaxWorkspace` records:
/// the product's "Cisco Webex Fax Workspaces" source. Source id `webex-fax:<org uuid>`.
#[derive(Debug, Clone)]
pub struct WebexFaxWorkspaces {
    client: WebexClient,
    id: SourceId,
}

impl WebexFaxWorkspaces {
    /// The source for `config`; sends nothing until used.
    pub fn new(config: WebexConfig) -> Result<Self, ConfigError> {
        let (client, id) = connect("webex-fax", config)?;
        Ok(Self { client, id })
    }
}

#[async_trait]
impl SourceAdapter for WebexFaxWorkspaces {
    fn source_id(&self) -> &SourceId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        let mut c = Capabilities::new([ObjectKind::FaxWorkspace]);
        c.reads_previous = self.client.config().recording_ids;
        c
    }

    async fn check(&self) -> Result<(), SourceError> {
        self.client.check().await.map_err(status_error)
    }

    fn list(&self, request: ListRequest) -> BoxStream<'static, Result<SourceRecord, SourceError>> {
        let client = self.client.clone();
        let wanted = request.kinds.is_empty() || request.kinds.contains(&ObjectKind::FaxWorkspace);
        let known = crate::users::known_recording_ids(request.previous.as_deref());
        try_stream! {
            if !wanted {
                return;
            }
            let (dir, org) = directory(&client).await?;
            let (fax, _others) = split_workspaces(&client).await?;
            let mut records: Vec<SourceRecord> = client
                .numbers_of(fax)
                .await?
                .iter()
                .filter_map(|(w, numbers)| records::workspace(ObjectKind::FaxWorkspace, w, numbers, org.as_deref(), &dir))
                .collect();
            if client.config().recording_ids {
                client.fill_recording_ids("workspaces", &mut records, &known).await?;
            }
            for r in records {
                yield r;
            }
        }
        .boxed()
    }
}
