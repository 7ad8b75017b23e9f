//! `ucx-sync run --listen ADDR`: what a process supervisor and a monitoring system ask a
//! running worker. `/healthz` (the process is up), `/readyz` (the store answers), `/metrics`
//! (Prometheus text), `/status` (what `ucx-sync status` shows, as JSON), `/workers` (the live
//! workers of the queue, on PostgreSQL).

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use ucx_sync_core::{Counts, SourceSetup, UserStore};

use crate::http_server::{Answer, Served};
use crate::workers::WorkerView;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Source {
    source: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Change {
    source: String,
    change: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    source: String,
    outcome: String,
}

/// The per-source figures of the runs of this process.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    records: Family<Source, Gauge>,
    applied: Family<Change, Counter>,
    not_applied: Family<Source, Counter>,
    runs: Family<Outcome, Counter>,
    last_success: Family<Source, Gauge>,
    seconds: Family<Source, Gauge<f64, AtomicU64>>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("ucx");
        let records = Family::<Source, Gauge>::default();
        let applied = Family::<Change, Counter>::default();
        let not_applied = Family::<Source, Counter>::default();
        let runs = Family::<Outcome, Counter>::default();
        let last_success = Family::<Source, Gauge>::default();
        let seconds = Family::<Source, Gauge<f64, AtomicU64>>::default();
        registry.register(
            "records_read",
            "Records the last refresh of the source read",
            records.clone(),
        );
        registry.register(
            "applied",
            "Users added, updated, renamed, replaced and deleted by applied plans",
            applied.clone(),
        );
        registry.register(
            "not_applied",
            "Records or values a run left unapplied (conflicts, mapping errors, held-back values)",
            not_applied.clone(),
        );
        registry.register(
            "runs",
            "Runs by outcome: applied, unchanged, partial, blocked (a guard), failed",
            runs.clone(),
        );
        registry.register(
            "last_success_timestamp_seconds",
            "When the source last synced without failing (Unix time)",
            last_success.clone(),
        );
        registry.register(
            "run_duration_seconds",
            "How long the last refresh and apply of the source took",
            seconds.clone(),
        );
        Self {
            registry,
            records,
            applied,
            not_applied,
            runs,
            last_success,
            seconds,
        }
    }

    fn source(name: &str) -> Source {
        Source {
            source: name.to_owned(),
        }
    }

    /// A run of `name` that read `records` and planned `c`, applied or not, in `seconds`.
    pub(crate) fn synced(
        &self,
        name: &str,
        records: usize,
        c: &Counts,
        applied: bool,
        seconds: f64,
    ) {
        let s = Self::source(name);
        self.records.get_or_create(&s).set(records as i64);
        if applied {
            for (change, n) in [
                ("add", c.add),
                ("update", c.update),
                ("rename", c.rename),
                ("replace", c.replace),
                ("delete", c.delete),
            ] {
                self.applied
                    .get_or_create(&Change {
                        source: name.to_owned(),
                        change: change.to_owned(),
                    })
                    .inc_by(n as u64);
            }
        }
        self.not_applied
            .get_or_create(&s)
            .inc_by(c.not_applied() as u64);
        let outcome = match (c.not_applied() > 0, applied) {
            (true, _) => "partial",
            (false, true) => "applied",
            (false, false) => "unchanged",
        };
        self.ran(name, outcome);
        self.last_success
            .get_or_create(&s)
            .set(chrono::Utc::now().timestamp());
        self.seconds.get_or_create(&s).set(seconds);
    }

    /// A run of `name` that ended `outcome` (`blocked`, `failed`).
    pub(crate) fn ran(&self, name: &str, outcome: &str) {
        self.runs
            .get_or_create(&Outcome {
                source: name.to_owned(),
                outcome: outcome.to_owned(),
            })
            .inc();
    }

    /// The Prometheus text exposition: the per-source figures and the process's transport
    /// counters (retries, and the waits servers asked for with `Retry-After`).
    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        let _ = prometheus_client::encoding::text::encode_registry(&mut out, &self.registry);
        let t = ucx_http::transport_stats();
        for (name, help, value) in [
            (
                "ucx_http_retries_total",
                "Requests sent again after a failure",
                t.retries as f64,
            ),
            (
                "ucx_http_throttled_total",
                "Retries a server asked to wait for (429, 503 with Retry-After)",
                t.throttled as f64,
            ),
            (
                "ucx_http_retry_wait_seconds_total",
                "Time waited before retries",
                t.waited.as_secs_f64(),
            ),
            (
                "ucx_http_throttled_wait_seconds_total",
                "Time waited because a server asked to (Retry-After)",
                t.throttled_wait.as_secs_f64(),
            ),
        ] {
            out.push_str(&format!(
                "# HELP {name} {help}.\n# TYPE {name} counter\n{name} {value}\n"
            ));
        }
        let _ = prometheus_client::encoding::text::encode_eof(&mut out);
        out
    }
}

/// Serves the endpoints on `addr` until dropped.
pub(crate) async fn listen(
    addr: &str,
    metrics: Arc<Metrics>,
    store: Arc<dyn UserStore>,
    sources: Arc<Vec<(String, SourceSetup)>>,
    workers: Option<Arc<WorkerView>>,
) -> std::io::Result<Served> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    crate::http_server::spawn(listener, move |asked, _| {
        let (metrics, store, sources, workers) = (
            metrics.clone(),
            store.clone(),
            sources.clone(),
            workers.clone(),
        );
        async move {
            match (asked.method.as_str(), asked.path.as_str()) {
                ("GET", "/healthz") => Answer::text(200, "ok\n"),
                ("GET", "/readyz") => {
                    let probe = ucx_sync_core::SourceId::new("ucx-sync:readyz");
                    match store.snapshot_state(&probe).await {
                        Ok(_) => Answer::text(200, "ready\n"),
                        Err(e) => Answer::text(503, format!("the store does not answer: {e}\n")),
                    }
                }
                ("GET", "/metrics") => Answer(
                    200,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    None,
                    bytes::Bytes::from(metrics.render()),
                ),
                ("GET", "/status") => {
                    match status_json(store.as_ref(), &sources, workers.as_deref()).await {
                        Ok(body) => Answer(200, "application/json", None, bytes::Bytes::from(body)),
                        Err(e) => Answer::text(503, format!("the store does not answer: {e}\n")),
                    }
                }
                ("GET", "/workers") => match &workers {
                    Some(w) => match w.live().await {
                        Ok(live) => {
                            let body = serde_json::json!({
                                "queue": w.queue(),
                                "alive": live
                                    .iter()
                                    .map(|l| serde_json::json!({"name": l.name, "last_seen": l.last_seen}))
                                    .collect::<Vec<_>>(),
                            });
                            Answer(
                                200,
                                "application/json",
                                None,
                                bytes::Bytes::from(body.to_string()),
                            )
                        }
                        Err(f) => Answer::text(503, format!("{}\n", f.message())),
                    },
                    None => Answer::text(404, "no workers: this process runs on its own\n"),
                },
                _ => Answer::text(
                    404,
                    "not found: /healthz, /readyz, /metrics, /status, /workers\n",
                ),
            }
        }
    })
}

/// What `ucx-sync status` prints, per source, as JSON.
async fn status_json(
    store: &dyn UserStore,
    sources: &[(String, SourceSetup)],
    workers: Option<&WorkerView>,
) -> Result<String, ucx_sync_core::StoreError> {
    let mut out = Vec::new();
    for (name, setup) in sources {
        let id = setup.adapter.source_id();
        let state = store.snapshot_state(id).await?;
        let last = store.runs(id, 1).await?.into_iter().next();
        out.push(serde_json::json!({
            "name": name,
            "id": id.as_str(),
            "snapshot": {
                "updated_at": state.updated_at,
                "records": state.records,
                "complete": state.complete,
                "refreshing_since": state.refreshing_since,
                "last_refresh": if state.taken_at.is_none() {
                    "never"
                } else if state.is_incremental() {
                    "incremental"
                } else {
                    "full"
                },
                "full_at": state.full_at,
            },
            "next_run": workers
                .and_then(|w| w.next_run(name, last.as_ref().map(|r| r.started)))
                .map(|(at, due)| serde_json::json!({"at": at, "due": due})),
            "last_run": last,
        }));
    }
    Ok(serde_json::to_string_pretty(&out).unwrap_or_default())
}
