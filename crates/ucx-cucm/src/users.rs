//! The CUCM source: end users, filled in resumable pages, refreshed with `listChange`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use async_stream::try_stream;
use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use ucx_sync_core::{
    Capabilities, ChangeSet, Cursor, ErrorKind, ListRequest, ObjectKind, SourceAdapter,
    SourceError, SourceId, SourceRecord,
};

use crate::client::AxlClient;
use crate::config::{ConfigError, CucmConfig};
use crate::envelope;
use crate::error::{Refusal, refusal, source_error};
use crate::records::{self, Extra, normalise_uuid};

/// Where a snapshot fill stands: the next page's offset and the page size that fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillCursor {
    /// Users already read.
    pub skip: u64,
    /// Users per page.
    pub page_size: u64,
}

impl FillCursor {
    /// As a core cursor, to store between runs (`fill:<skip>:<page size>`).
    pub fn to_cursor(self) -> Cursor {
        Cursor(format!("fill:{}:{}", self.skip, self.page_size))
    }

    /// Reads a cursor written by [`to_cursor`](Self::to_cursor).
    pub fn from_cursor(cursor: &Cursor) -> Option<FillCursor> {
        let mut parts = cursor.0.strip_prefix("fill:")?.split(':');
        let skip = parts.next()?.parse().ok()?;
        let page_size = parts.next()?.parse().ok()?;
        Some(FillCursor { skip, page_size })
    }
}

/// One page of a fill.
#[derive(Debug, Clone)]
pub struct FillPage {
    /// The users of the page.
    pub records: Vec<SourceRecord>,
    /// Where to resume after this page; `None` when it was the last.
    pub next: Option<FillCursor>,
    /// Users read so far, this page included.
    pub read: u64,
    /// Users on the cluster, when CUCM said (it does in a "Query request too large" answer).
    pub total: Option<u64>,
}

/// Imports CUCM end users over AXL: the product's "Cisco UCM" source. Source id
/// `cucm:<publisher host>`; key the userid (the PBX username); stable id the user's uuid (pkid)
/// in lower case without braces.
#[derive(Debug, Clone)]
pub struct CucmUsers {
    client: AxlClient,
    config: Arc<CucmConfig>,
    id: SourceId,
}

impl CucmUsers {
    /// The source for `config`; sends nothing until used.
    pub fn new(config: CucmConfig) -> Result<Self, ConfigError> {
        let client = AxlClient::new(&config)?;
        let id = match &config.source_id {
            Some(id) => SourceId::new(id),
            None => SourceId::new(format!(
                "cucm:{}",
                config.url()?.host_str().unwrap_or_default()
            )),
        };
        Ok(Self {
            client,
            config: Arc::new(config),
            id,
        })
    }

    /// The AXL client.
    pub fn client(&self) -> &AxlClient {
        &self.client
    }

    /// The fill from `from` (use `FillCursor { skip: 0, page_size }` to start), page by page.
    /// Each page says where to resume: store `next` after handling the page, and an interrupted
    /// fill continues from there instead of starting over. Progress is logged per page.
    ///
    /// "Query request too large" answers shrink the page (to 80% of the suggested row count) and
    /// ask again; throttling faults and 503 are retried with backoff by the transport.
    pub fn fill(&self, from: FillCursor) -> BoxStream<'static, Result<FillPage, SourceError>> {
        let this = self.clone();
        try_stream! {
            let mut cursor = from;
            let mut total = None;
            loop {
                let (users, used, seen_total) = this.page(cursor).await?;
                total = seen_total.or(total);
                let got = users.len() as u64;
                let records = this.with_extras(users).await?;
                let read = used.skip + got;
                let next = (got == used.page_size).then_some(FillCursor { skip: read, page_size: used.page_size });
                tracing::debug!(read, total, page_size = used.page_size, "CUCM fill: page read");
                yield FillPage { records, next, read, total };
                match next {
                    Some(n) => cursor = n,
                    None => break,
                }
            }
        }
        .boxed()
    }

    /// One `listUser` page, shrinking it while CUCM says it is too large.
    async fn page(
        &self,
        mut cursor: FillCursor,
    ) -> Result<(Vec<crate::parse::Flat>, FillCursor, Option<u64>), SourceError> {
        let op = "listUser";
        let mut total = None;
        loop {
            let body = envelope::list_user(cursor.skip, cursor.page_size);
            match self.client.scan(op, &body, "return", "user").await {
                Ok(scan) => return Ok((scan.records, cursor, total)),
                Err(e) => match refusal(&e) {
                    Refusal::TooLarge {
                        total: t,
                        suggested,
                    } if cursor.page_size > self.config.min_page_size => {
                        total = t.or(total);
                        let suggested = suggested.map_or(cursor.page_size / 2, |m| m * 4 / 5);
                        let smaller = suggested
                            .min(cursor.page_size / 2)
                            .max(self.config.min_page_size);
                        tracing::warn!(
                            from = cursor.page_size,
                            to = smaller,
                            total = t,
                            "CUCM: query request too large; asking again with a smaller page"
                        );
                        cursor.page_size = smaller;
                    }
                    _ => return Err(source_error(e, op)),
                },
            }
        }
    }

    /// Adds devices and Microsoft SIP URIs (one SQL query per chunk of users) and builds records.
    async fn with_extras(
        &self,
        users: Vec<crate::parse::Flat>,
    ) -> Result<Vec<SourceRecord>, SourceError> {
        let domain = self.config.email_domain.as_deref();
        let extras = if self.config.devices {
            let ids: Vec<String> = users
                .iter()
                .filter_map(|u| u.attr("uuid").and_then(normalise_uuid))
                .collect();
            self.extras(&ids).await?
        } else {
            HashMap::new()
        };
        Ok(users
            .iter()
            .filter_map(|u| {
                let extra = u
                    .attr("uuid")
                    .and_then(normalise_uuid)
                    .and_then(|id| extras.get(&id));
                records::user(u, extra, domain)
            })
            .collect())
    }

    /// Devices and SIP URIs of `ids` (normalised uuids, so safe to quote in SQL), in chunks;
    /// a chunk CUCM finds too large is split in two.
    async fn extras(&self, ids: &[String]) -> Result<HashMap<String, Extra>, SourceError> {
        let op = "executeSQLQuery";
        let mut out: HashMap<String, Extra> = HashMap::new();
        let mut pending: Vec<&[String]> = ids.chunks(self.config.sql_chunk).rev().collect();
        while let Some(chunk) = pending.pop() {
            if chunk.is_empty() {
                continue;
            }
            let list = chunk
                .iter()
                .map(|id| format!("'{id}'"))
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "SELECT eu.pkid, eu.ocsprimaryuseraddress, d.name AS device FROM enduser eu \
LEFT OUTER JOIN enduserdevicemap eudm ON eudm.fkenduser = eu.pkid AND eudm.tkuserassociation = 1 \
LEFT OUTER JOIN device d ON d.pkid = eudm.fkdevice \
WHERE eu.pkid IN ({list}) ORDER BY eu.pkid, d.name"
            );
            match self
                .client
                .scan(op, &envelope::sql(&sql), "return", "row")
                .await
            {
                Ok(scan) => {
                    for row in scan.records {
                        let Some(id) = row.get("pkid").and_then(normalise_uuid) else {
                            continue;
                        };
                        let e = out.entry(id).or_default();
                        if let Some(d) = row.get("device").map(str::trim).filter(|d| !d.is_empty())
                        {
                            e.devices.push(d.to_owned());
                        }
                        if let Some(s) = row
                            .get("ocsprimaryuseraddress")
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                        {
                            e.ms_sip_uri = Some(s.to_owned());
                        }
                    }
                }
                Err(e) if matches!(refusal(&e), Refusal::TooLarge { .. }) && chunk.len() > 1 => {
                    let (a, b) = chunk.split_at(chunk.len() / 2);
                    pending.push(b);
                    pending.push(a);
                }
                Err(e) => return Err(source_error(e, op)),
            }
        }
        Ok(out)
    }

    /// Takes a change-queue bookmark (`listChange` without a start): the cursor incremental
    /// refreshes continue from. Take it before a full fill, so nothing changed during the fill
    /// is missed.
    pub async fn bookmark(&self) -> Result<Cursor, SourceError> {
        let op = "listChange";
        let scan = self
            .client
            .scan(op, &envelope::list_change(None), "changes", "change")
            .await
            .map_err(|e| source_error(e, op))?;
        queue_cursor(&scan)
    }

    /// The pkids of end users that `seen` (normalised uuids read by a fill) lacks: a keyset scan
    /// over `enduser` by pkid, which no add or remove during the scan can make skip a row.
    async fn missed_by_fill(&self, seen: &HashSet<String>) -> Result<Vec<String>, SourceError> {
        let op = "executeSQLQuery";
        let n = self.config.keyset_page.max(1);
        let mut last = String::new();
        let mut missed = Vec::new();
        loop {
            // `last` is a normalised uuid (hex and dashes), safe inside the quotes.
            let sql =
                format!("SELECT FIRST {n} pkid FROM enduser WHERE pkid > '{last}' ORDER BY pkid");
            let scan = self
                .client
                .scan(op, &envelope::sql(&sql), "return", "row")
                .await
                .map_err(|e| source_error(e, op))?;
            let got = scan.records.len();
            let mut advanced = false;
            for row in &scan.records {
                let Some(id) = row.get("pkid").and_then(normalise_uuid) else {
                    continue;
                };
                if id > last {
                    advanced = true;
                    if !seen.contains(&id) {
                        missed.push(id.clone());
                    }
                    last = id;
                }
            }
            // A short page is the end; a full one that does not move forward would loop.
            if got < n {
                break;
            }
            if !advanced {
                return Err(SourceError::new(ErrorKind::Protocol, op).with_message(
                    "the pkid scan of enduser did not advance; the fill cannot be checked",
                ));
            }
        }
        Ok(missed)
    }

    /// One user by uuid, with devices; `None` when CUCM no longer has it.
    async fn get_user(&self, uuid: &str) -> Result<Option<SourceRecord>, SourceError> {
        let mut found = self.get_users(&[uuid.to_owned()]).await?;
        Ok(found.pop().and_then(|(_, r)| r))
    }

    /// Users by uuid, in that order, each `None` when CUCM no longer has it: one `getUser`
    /// each, one after the other (AXL favours serial requests), then the devices and SIP URIs
    /// of them all in one SQL query per `sql_chunk`, not one per user.
    async fn get_users(
        &self,
        uuids: &[String],
    ) -> Result<Vec<(String, Option<SourceRecord>)>, SourceError> {
        let op = "getUser";
        let mut rows = Vec::with_capacity(uuids.len());
        for uuid in uuids {
            match self
                .client
                .scan(op, &envelope::get_user(uuid), "return", "user")
                .await
            {
                Ok(scan) => rows.push((uuid.clone(), scan.records.into_iter().next())),
                Err(e) if refusal(&e) == Refusal::NotFound => rows.push((uuid.clone(), None)),
                Err(e) => return Err(source_error(e, op)),
            }
        }
        let found: Vec<String> = rows
            .iter()
            .filter(|(_, row)| row.is_some())
            .map(|(uuid, _)| uuid.clone())
            .collect();
        let extras = if self.config.devices && !found.is_empty() {
            self.extras(&found).await?
        } else {
            HashMap::new()
        };
        let domain = self.config.email_domain.as_deref();
        Ok(rows
            .into_iter()
            .map(|(uuid, row)| {
                let record = row.and_then(|u| records::user(&u, extras.get(&uuid), domain));
                (uuid, record)
            })
            .collect())
    }

    /// Everything again, after the change queue was lost.
    async fn full_refill(&self) -> Result<ChangeSet, SourceError> {
        let cursor = self.bookmark().await?;
        let mut upserts = Vec::new();
        let mut pages = self.fill(FillCursor {
            skip: 0,
            page_size: self.config.page_size,
        });
        while let Some(page) = pages.next().await {
            upserts.extend(page?.records);
        }
        Ok(ChangeSet {
            upserts,
            full: true,
            cursor: Some(cursor),
            ..ChangeSet::default()
        })
    }
}

/// `queueId:nextStartChangeId` from a listChange answer.
fn queue_cursor(scan: &crate::parse::Scan) -> Result<Cursor, SourceError> {
    let queue = scan.other("queueInfo/queueId");
    let next = scan.other("queueInfo/nextStartChangeId");
    match (queue, next) {
        (Some(q), Some(n)) if !q.is_empty() && n.trim().parse::<u64>().is_ok() => {
            Ok(Cursor(format!("{q}:{}", n.trim())))
        }
        _ => Err(SourceError::new(ErrorKind::Protocol, "AXL listChange")
            .with_message("the answer has no queueInfo queueId/nextStartChangeId")),
    }
}

fn parse_queue_cursor(cursor: &Cursor) -> Option<(String, u64)> {
    let (q, n) = cursor.0.rsplit_once(':')?;
    Some((q.to_owned(), n.parse().ok()?))
}

#[async_trait]
impl SourceAdapter for CucmUsers {
    fn source_id(&self) -> &SourceId {
        &self.id
    }

    fn capabilities(&self) -> Capabilities {
        let mut c = Capabilities::new([ObjectKind::User]).with_delta(true);
        c.max_page_size = Some(self.config.page_size as usize);
        c
    }

    async fn check(&self) -> Result<(), SourceError> {
        let version = self.client.ccm_version().await?;
        tracing::info!(cluster = %version, axl = %self.client.version(), "CUCM reachable");
        Ok(())
    }

    fn list(&self, request: ListRequest) -> BoxStream<'static, Result<SourceRecord, SourceError>> {
        if !(request.kinds.is_empty() || request.kinds.contains(&ObjectKind::User)) {
            return futures::stream::empty().boxed();
        }
        let page_size = request
            .page_size
            .map_or(self.config.page_size, |p| p as u64)
            .max(1);
        let this = self.clone();
        try_stream! {
            // Offsets shift while the directory changes: a user read twice (others were added
            // before it) is yielded once, and the keyset check finds the ones skipped.
            let mut seen: HashSet<String> = HashSet::new();
            let mut pages = this.fill(FillCursor { skip: 0, page_size });
            while let Some(page) = pages.next().await {
                for record in page?.records {
                    if let Some(id) = &record.stable_id
                        && !seen.insert(id.clone())
                    {
                        continue;
                    }
                    yield record;
                }
            }
            if this.config.verify_fill {
                let missed = this.missed_by_fill(&seen).await?;
                if !missed.is_empty() {
                    tracing::warn!(missed = missed.len(), "CUCM: users the offset fill skipped (the directory changed during it); reading them by uuid");
                }
                for uuid in missed {
                    if let Some(record) = this.get_user(&uuid).await? {
                        yield record;
                    }
                }
            }
        }
        .boxed()
    }

    /// Changes since `cursor` (`queueId:nextStartChangeId`; an empty cursor takes a bookmark
    /// and returns no changes). User adds and updates are read again with `getUser`; removals
    /// are reported by uuid in `removed_ids`. A lost queue (fault 5007 after an AXL restart,
    /// or a bookmark already evicted) falls back to a full refill (`full: true`).
    async fn changes(&self, cursor: &Cursor) -> Result<ChangeSet, SourceError> {
        let op = "listChange";
        if cursor.0.trim().is_empty() {
            return Ok(ChangeSet {
                cursor: Some(self.bookmark().await?),
                ..ChangeSet::default()
            });
        }
        let (queue, mut start) = parse_queue_cursor(cursor).ok_or_else(|| {
            SourceError::new(ErrorKind::Config, "AXL listChange")
                .with_message(format!("{:?} is not a queueId:changeId cursor", cursor.0))
        })?;
        // Last action per user uuid, in change order.
        let mut latest: BTreeMap<String, (u64, String)> = BTreeMap::new();
        loop {
            let body = envelope::list_change(Some((&queue, start)));
            let scan = match self.client.scan(op, &body, "changes", "change").await {
                Ok(s) => s,
                Err(e) if refusal(&e) == Refusal::StaleQueue => {
                    tracing::warn!("CUCM change queue restarted; refilling the snapshot");
                    return self.full_refill().await;
                }
                Err(e) => return Err(source_error(e, op)),
            };
            let num = |p: &str| scan.other(p).and_then(|v| v.trim().parse::<u64>().ok());
            if num("queueInfo/firstChangeId").is_some_and(|first| start < first) {
                tracing::warn!("CUCM change bookmark was evicted from the queue; refilling");
                return self.full_refill().await;
            }
            for c in &scan.records {
                let is_user = c
                    .attr("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("User"));
                let (Some(uuid), Some(action)) =
                    (c.attr("uuid").and_then(normalise_uuid), c.get("action"))
                else {
                    continue;
                };
                if is_user {
                    let id = c.get("id").and_then(|i| i.trim().parse().ok()).unwrap_or(0);
                    latest.insert(uuid, (id, action.trim().to_ascii_lowercase()));
                }
            }
            let next = num("queueInfo/nextStartChangeId").ok_or_else(|| {
                SourceError::new(ErrorKind::Protocol, "AXL listChange")
                    .with_message("the answer has no nextStartChangeId")
            })?;
            let last = num("queueInfo/lastChangeId").unwrap_or(0);
            start = next;
            if last < next {
                break;
            }
        }
        let mut set = ChangeSet {
            cursor: Some(Cursor(format!("{queue}:{start}"))),
            ..ChangeSet::default()
        };
        let mut read = Vec::new();
        for (uuid, (_, action)) in latest {
            if action == "r" {
                set.removed_ids.push(uuid);
            } else {
                read.push(uuid);
            }
        }
        for (uuid, record) in self.get_users(&read).await? {
            match record {
                Some(r) => set.upserts.push(r),
                None => set.removed_ids.push(uuid),
            }
        }
        Ok(set)
    }
}
