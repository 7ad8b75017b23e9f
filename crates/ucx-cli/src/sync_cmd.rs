//! The commands that read `ucx-sync.toml`: check, refresh, plan, apply, status, run, rules,
//! explain, config check.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use ucx_store_sqlite::SqliteStore;
use ucx_sync_core::{Counts, Plan, SourceSetup, SyncError, SyncOutcome, Synchronizer, UserStore};

use crate::Failure;
use crate::config::{self, FileConfig};

/// Where the configuration is.
#[derive(Debug, Args)]
pub(crate) struct ConfigArg {
    /// The configuration file.
    #[arg(long, short, global = true, default_value = "ucx-sync.toml")]
    pub config: PathBuf,
}

/// The sync commands.
#[derive(Debug, Subcommand)]
pub(crate) enum SyncCommand {
    /// Check the configuration file without touching a network.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// The STATUS of each source: reachable, credentials accepted.
    Check { source: Option<String> },
    /// Read sources into their snapshot cache.
    Refresh { source: Option<String> },
    /// Show what a sync would change (adds, updates old → new, renames, deletes, conflicts).
    Plan {
        source: Option<String>,
        /// The plan as JSON.
        #[arg(long)]
        json: bool,
        /// Save the plan (with what it was made from) for `apply --plan` after review.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Plan and apply (exit 3 when a guard stops it, nothing applied; exit 4 when it applied but
    /// some records or values were not).
    Apply {
        source: Option<String>,
        /// Apply this saved plan exactly (`plan SOURCE --out FILE`), refused if the users
        /// database or the snapshot changed since it was made.
        #[arg(long, value_name = "FILE")]
        plan: Option<PathBuf>,
        /// The most deletes allowed this run.
        #[arg(long)]
        max_deletes: Option<usize>,
        /// The largest share of the source's users deleted this run, in percent.
        #[arg(long)]
        max_delete_percent: Option<f64>,
        /// Lift the delete thresholds for this run (after reviewing the plan).
        #[arg(long)]
        allow_deletes: bool,
        /// Accept a plan made from an empty listing of a source that owns users.
        #[arg(long)]
        allow_empty: bool,
        /// Lift the guard on one field cleared on many users at once.
        #[arg(long)]
        allow_clears: bool,
    },
    /// Per source: last sync, in progress, snapshot updated at, last refresh (full or incremental) and next full read, filter.
    Status,
    /// Refresh and apply every source now and then each on its own interval (Ctrl-C stops
    /// cleanly).
    Run {
        /// One interval for every source: 6h, 30m, 90s (default: each source's `schedule`,
        /// else 6h, the product's cycle).
        #[arg(long, conflicts_with = "once")]
        every: Option<String>,
        /// One pass over every source, then exit (for cron and systemd timers); exits 1 when a
        /// source failed, 3 when a guard stopped one.
        #[arg(long)]
        once: bool,
        /// Only this source (a Kubernetes CronJob or systemd timer per source; the store's
        /// per-source apply lease makes runs of one source on several machines safe).
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// Serve /healthz, /readyz, /metrics (Prometheus) and /status (JSON) on this address
        /// while running, e.g. 127.0.0.1:9464 (loopback unless you give another address).
        #[arg(long, value_name = "ADDR", conflicts_with = "once")]
        listen: Option<String>,
    },
    /// Move the users, snapshot and runs of a source from one id to another in one
    /// transaction, after its id changed (a new `source_id`, a publisher renamed): without it
    /// the source would find its users owned by another source. Refused when the new id
    /// already owns users.
    MoveSource {
        /// The id the users are owned under now (see `status`, or the conflict in `plan`).
        from: String,
        /// The source to move them to: a source name of the configuration, or an id.
        to: String,
        /// Only say how many users would move.
        #[arg(long)]
        dry_run: bool,
    },
    /// The mapping rules of a source.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// How each field of one user is computed from its source record.
    Explain { source: String, key: String },
}

/// `config` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum ConfigCommand {
    /// Validate the file: keys, kinds, credential references, filters, rules.
    Check,
}

/// `rules` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// Print the rules of a source.
    Show { source: String },
}

pub(crate) fn input(e: impl std::fmt::Display) -> Failure {
    Failure::Input(e.to_string())
}

pub(crate) fn runtime(e: impl std::fmt::Display) -> Failure {
    Failure::Runtime(e.to_string())
}

/// The configuration, its store and the selected sources.
pub(crate) struct Loaded {
    pub(crate) config: FileConfig,
    dir: PathBuf,
}

impl Loaded {
    fn load(path: &Path) -> Result<Self, Failure> {
        let (config, dir) = config::load(path).map_err(input)?;
        Ok(Self { config, dir })
    }

    /// The store the configuration names: PostgreSQL (`store.url`) or the SQLite file.
    async fn store(&self) -> Result<Arc<dyn UserStore>, Failure> {
        self.store_and_pool().await.map(|(store, _)| store)
    }

    /// [`store`](Self::store), with the PostgreSQL store's connection pool (the workers' queue
    /// and their view share it); `None` for SQLite.
    pub(crate) async fn store_and_pool(
        &self,
    ) -> Result<(Arc<dyn UserStore>, Option<ucx_store_postgres::PgPool>), Failure> {
        match self.config.store.postgres().map_err(input)? {
            Some(options) => {
                let store = ucx_store_postgres::PostgresStore::connect(options)
                    .await
                    .map_err(runtime)?;
                let pool = store.pool().clone();
                Ok((Arc::new(store), Some(pool)))
            }
            None => {
                let path = self.dir.join(&self.config.store.path);
                SqliteStore::open(&path)
                    .map(|s| (Arc::new(s) as Arc<dyn UserStore>, None))
                    .map_err(runtime)
            }
        }
    }

    /// What the store is, for messages: the SQLite path or the PostgreSQL URL.
    fn store_label(&self) -> String {
        match &self.config.store.url {
            Some(url) => url.clone(),
            None => self.config.store.path.display().to_string(),
        }
    }

    /// The named source, or every source.
    pub(crate) fn setups(&self, only: Option<&str>) -> Result<Vec<(String, SourceSetup)>, Failure> {
        let selected: Vec<_> = self
            .config
            .sources
            .iter()
            .filter(|s| only.is_none_or(|n| s.name == n))
            .collect();
        if selected.is_empty() {
            return Err(input(match only {
                Some(n) => format!("no source named {n:?} in the configuration"),
                None => "the configuration has no [[sources]]".into(),
            }));
        }
        selected
            .into_iter()
            .map(|s| {
                config::setup(s, &self.dir)
                    .map(|setup| (s.name.clone(), setup))
                    .map_err(|e| input(format!("source {}: {e}", s.name)))
            })
            .collect()
    }
}

/// Runs a sync command.
pub(crate) fn run(cmd: SyncCommand, config: &Path) -> Result<(), Failure> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(runtime)?;
    rt.block_on(run_async(cmd, config))
}

async fn run_async(cmd: SyncCommand, path: &Path) -> Result<(), Failure> {
    let loaded = Loaded::load(path)?;
    match cmd {
        SyncCommand::Config(ConfigCommand::Check) => {
            println!(
                "{}: valid ({} source{}, store {})",
                path.display(),
                loaded.config.sources.len(),
                if loaded.config.sources.len() == 1 {
                    ""
                } else {
                    "s"
                },
                loaded.store_label()
            );
            Ok(())
        }
        SyncCommand::Check { source } => {
            let mut failed = false;
            for (name, setup) in loaded.setups(source.as_deref())? {
                match setup.adapter.check().await {
                    Ok(()) => println!("{name}: STATUS OK"),
                    Err(e) => {
                        failed = true;
                        println!("{name}: STATUS FAILED: {e}");
                    }
                }
            }
            if failed {
                Err(Failure::Runtime(String::new()))
            } else {
                Ok(())
            }
        }
        SyncCommand::Refresh { source } => {
            let sync = Synchronizer::new(loaded.store().await?);
            for (name, setup) in loaded.setups(source.as_deref())? {
                let bar = progress_bar(&name);
                let progress = |n: usize| {
                    if let Some(b) = &bar {
                        b.set_position(n as u64);
                    }
                };
                let result = sync.refresh_observed(&setup, &progress).await;
                if let Some(b) = &bar {
                    b.finish_and_clear();
                }
                let n = result.map_err(|e| runtime(chain(&e)))?;
                println!("{name}: {n} records in the snapshot");
            }
            Ok(())
        }
        SyncCommand::Plan { source, json, out } => {
            let sync = Synchronizer::new(loaded.store().await?);
            let setups = loaded.setups(source.as_deref())?;
            if out.is_some() && setups.len() != 1 {
                return Err(input("--out saves the plan of one source: name it"));
            }
            for (_, setup) in setups {
                let plan = match &out {
                    Some(_) => sync.plan_for_review(&setup).await,
                    None => sync.plan(&setup).await,
                }
                .map_err(|e| runtime(chain(&e)))?;
                if let Some(file) = &out {
                    let text = serde_json::to_string_pretty(&plan).map_err(runtime)?;
                    std::fs::write(file, text).map_err(|e| {
                        runtime(format!("cannot write the plan to {}: {e}", file.display()))
                    })?;
                }
                if json {
                    println!("{}", serde_json::to_string_pretty(&plan).map_err(runtime)?);
                } else {
                    print_plan(&plan);
                }
            }
            Ok(())
        }
        SyncCommand::Apply {
            source,
            plan,
            max_deletes,
            max_delete_percent,
            allow_deletes,
            allow_empty,
            allow_clears,
        } => {
            let sync = Synchronizer::new(loaded.store().await?);
            let saved = plan.as_deref().map(read_plan).transpose()?;
            let setups = loaded.setups(source.as_deref())?;
            if saved.is_some() && setups.len() != 1 {
                return Err(input("--plan applies the plan of one source: name it"));
            }
            let mut partial = None;
            for (_, mut setup) in setups {
                if allow_deletes {
                    setup.guard = setup.guard.allowing_deletes();
                }
                if allow_empty {
                    setup.guard = setup.guard.allowing_empty();
                }
                if allow_clears {
                    setup.guard = setup.guard.allowing_clears();
                }
                if max_deletes.is_some() {
                    setup.guard.max_deletes = max_deletes;
                }
                if max_delete_percent.is_some() {
                    setup.guard.max_delete_percent = max_delete_percent;
                }
                let result = match &saved {
                    Some(p) => report(sync.apply_reviewed(&setup, p.clone()).await),
                    None => apply(&sync, &setup).await,
                };
                match result {
                    Err(f @ Failure::Partial(_)) => {
                        partial.get_or_insert(f);
                    }
                    other => {
                        other?;
                    }
                }
            }
            partial.map_or(Ok(()), Err)
        }
        SyncCommand::Status => status(&loaded).await,
        SyncCommand::MoveSource { from, to, dry_run } => {
            move_source(&loaded, &from, &to, dry_run).await
        }
        SyncCommand::Run {
            once: true, source, ..
        } => run_once(&loaded, source.as_deref()).await,
        SyncCommand::Run {
            every,
            source,
            listen,
            ..
        } => {
            let every = every
                .map(|e| parse_interval(&e))
                .transpose()
                .map_err(input)?;
            run_every(&loaded, every, source.as_deref(), listen.as_deref()).await
        }
        SyncCommand::Rules(RulesCommand::Show { source }) => {
            let rules = rule_set(&loaded, &source)?;
            println!("rules of {source} (built on {}):", rules.name());
            for r in rules.rules() {
                println!("  {r}");
            }
            Ok(())
        }
        SyncCommand::Explain { source, key } => {
            let (_, setup) = loaded.setups(Some(&source))?.remove(0);
            let store = loaded.store().await?;
            let snapshot = store
                .snapshot(setup.adapter.source_id())
                .await
                .map_err(runtime)?
                .ok_or_else(|| {
                    runtime(format!("{source} has no snapshot yet; run refresh first"))
                })?;
            let key = ucx_sync_core::SyncKey::new(&key);
            let record = snapshot
                .records
                .iter()
                .find(|r| r.key == key)
                .ok_or_else(|| runtime(format!("{key} is not in the snapshot of {source}")))?;
            for f in rule_set(&loaded, &source)?.explain(record) {
                let consulted: Vec<String> = f
                    .consulted
                    .iter()
                    .map(|(a, v)| format!("{a}={}", v.as_deref().unwrap_or("∅")))
                    .collect();
                println!(
                    "{:<32} {:<40} {} [{}]{}",
                    f.field,
                    f.result
                        .as_deref()
                        .map_or("(not written)".to_owned(), |v| format!("{v:?}")),
                    f.rule,
                    consulted.join(", "),
                    f.note.map(|n| format!("  note: {n}")).unwrap_or_default()
                );
            }
            Ok(())
        }
    }
}

fn rule_set(loaded: &Loaded, source: &str) -> Result<ucx_mapping::RuleSet, Failure> {
    let s = loaded
        .config
        .sources
        .iter()
        .find(|s| s.name == source)
        .ok_or_else(|| input(format!("no source named {source:?}")))?;
    config::rules(s, &loaded.dir).map_err(input)
}

/// A spinner with records read and the rate, when standard output is a terminal.
fn progress_bar(name: &str) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {prefix}: {pos} records ({per_sec}), {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    bar.set_prefix(name.to_owned());
    bar.enable_steady_tick(Duration::from_millis(120));
    Some(bar)
}

/// An error with its causes.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = c.source();
    }
    out
}

/// A saved plan.
fn read_plan(file: &Path) -> Result<Plan, Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| input(format!("cannot read the plan {}: {e}", file.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| input(format!("{} is not a saved plan: {e}", file.display())))
}

/// Plans and applies one source; a guard stop prints the plan's summary and exits 3, a plan
/// that left records or values unapplied exits 4 after applying the rest.
pub(crate) async fn apply(sync: &Synchronizer, setup: &SourceSetup) -> Result<Plan, Failure> {
    let result = report(sync.sync(setup).await);
    with_pictures(sync, setup, setup.adapter.source_id().as_str(), result).await
}

/// After a sync that was not stopped: stores the users' pictures. Pictures not stored make
/// the run partial (exit 4), as records not applied do; a failure already there wins.
async fn with_pictures<T>(
    sync: &Synchronizer,
    setup: &SourceSetup,
    name: &str,
    result: Result<T, Failure>,
) -> Result<T, Failure> {
    if !matches!(result, Ok(_) | Err(Failure::Partial(_))) || setup.adapter.pictures().is_none() {
        return result;
    }
    let pictures = match sync.sync_pictures(setup).await {
        Ok(r) => {
            if r.stored + r.unchanged + r.removed + r.failed.len() > 0 {
                println!(
                    "{name}: pictures: {} stored, {} unchanged, {} removed, {} not stored",
                    r.stored,
                    r.unchanged,
                    r.removed,
                    r.failed.len()
                );
            }
            for (key, why) in &r.failed {
                println!("  ! {key}: picture not stored: {why}");
            }
            if r.failed.is_empty() {
                Ok(())
            } else {
                Err(Failure::Partial(format!(
                    "{name}: {} pictures not stored",
                    r.failed.len()
                )))
            }
        }
        Err(e) => Err(runtime(format!("{name}: pictures: {}", chain(&e)))),
    };
    match (result, pictures) {
        (Ok(v), Ok(())) => Ok(v),
        (Err(f), Ok(())) | (Err(f @ Failure::Partial(_)), Err(_)) | (Ok(_), Err(f)) => Err(f),
        (Err(_), Err(f)) => Err(f),
    }
}

/// Prints how an apply ended and turns it into the exit code.
fn report(result: Result<SyncOutcome, SyncError>) -> Result<Plan, Failure> {
    match result {
        Ok(out) => {
            print_plan(&out.plan);
            println!(
                "{}",
                if out.applied {
                    "applied."
                } else {
                    "nothing to apply."
                }
            );
            match not_applied(&out.plan.counts) {
                Some(text) => Err(Failure::Partial(format!(
                    "{}: {}, {text}",
                    out.plan.source,
                    if out.applied {
                        "applied"
                    } else {
                        "nothing applied"
                    }
                ))),
                None => Ok(out.plan),
            }
        }
        Err(SyncError::Guard { plan, source }) => {
            print_plan(&plan);
            Err(Failure::Guard(source.to_string()))
        }
        Err(e @ SyncError::StalePlan { .. }) => Err(runtime(e.to_string())),
        Err(e) => Err(runtime(chain(&e))),
    }
}

/// "but 3 records or values were not (1 conflict, 2 held back)", when any were not.
pub(crate) fn not_applied(c: &Counts) -> Option<String> {
    let n = c.not_applied();
    (n > 0).then(|| {
        let parts: Vec<String> = [
            (c.conflict, "conflicts"),
            (c.error, "mapping errors"),
            (c.held_back, "values held back"),
        ]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what}"))
        .collect();
        format!(
            "but {n} records or values were not ({}); see `plan`",
            parts.join(", ")
        )
    })
}

/// A readable plan.
pub(crate) fn print_plan(plan: &Plan) {
    let c = plan.counts;
    println!(
        "plan for {}: {} to add, {} to update, {} to rename, {} to replace, {} to delete, {} conflicts, {} unchanged{}",
        plan.source,
        c.add,
        c.update,
        c.rename,
        c.replace,
        c.delete,
        c.conflict,
        c.unchanged,
        match (c.error, c.held_back) {
            (0, 0) => String::new(),
            (e, h) => format!(", {e} mapping errors, {h} values held back"),
        }
    );
    for a in &plan.adds {
        let fields = Plan::add_fields(a);
        let shown: Vec<String> = ["first_name", "last_name", "first_extension_number", "email"]
            .iter()
            .filter_map(|f| fields.get(*f).map(|v| format!("{f}={v}")))
            .collect();
        println!("  + {} ({}) {}", a.key, a.kind, shown.join(", "));
    }
    for u in &plan.updates {
        println!("  ~ {}{}", u.key, if u.adopt { " (adopted)" } else { "" });
        for ch in &u.changes {
            println!(
                "      {}: {} → {}",
                ch.field,
                ch.old.as_deref().unwrap_or("∅"),
                ch.new.as_deref().unwrap_or("∅")
            );
        }
    }
    for r in &plan.renames {
        println!("  > {} → {}", r.from, r.key);
    }
    for r in &plan.replaces {
        println!(
            "  ± {} (another person: source id {} → {}; the old user is deleted, the new one added)",
            r.key, r.old_stable_id, r.stable_id
        );
    }
    for d in &plan.deletes {
        println!("  - {}", d.key);
    }
    for x in &plan.conflicts {
        println!("  ! {}: {}", x.key, x.reason);
    }
    for e in &plan.errors {
        println!("  ! {}: {}", e.key, e.message);
    }
    for h in &plan.held_back {
        println!("  ! {}: {h}", h.key);
    }
    for w in &plan.warnings {
        println!("  warning: {w}");
    }
}

async fn status(loaded: &Loaded) -> Result<(), Failure> {
    let (store, pool) = loaded.store_and_pool().await?;
    let workers = crate::workers::WorkerView::new(loaded, pool)?;
    for s in &loaded.config.sources {
        let setup = config::setup(s, &loaded.dir).map_err(input)?;
        let id = setup.adapter.source_id();
        let state = store.snapshot_state(id).await.map_err(runtime)?;
        let runs = store.runs(id, 1).await.map_err(runtime)?;
        let last = runs.first();
        println!("{} ({})", s.name, id);
        println!("  data source:          {:?}", s.kind);
        println!(
            "  last synchronization: {}",
            match last {
                Some(r) => format!(
                    "{} ({:?}{})",
                    r.finished.unwrap_or(r.started).to_rfc3339(),
                    r.status,
                    r.error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
                None => "synchronization not started yet".into(),
            }
        );
        if let Some(text) = last.and_then(|r| not_applied(&r.counts)) {
            println!(
                "  not applied:          {}",
                text.trim_start_matches("but ")
            );
        }
        // A refresh flag or a running run older than the expiry belongs to a process that is
        // gone: shown as stale, and no longer blocking a sync.
        let sync = Synchronizer::new(store.clone());
        let flags = [
            state.refreshing_since.map(|t| ("refresh", t)),
            last.filter(|r| r.status == ucx_sync_core::RunStatus::Running)
                .map(|r| ("run", r.started)),
        ];
        let mut shown = Vec::new();
        for (what, since) in flags.into_iter().flatten() {
            shown.push(if sync.is_stale(since) {
                format!(
                    "no (stale: a {what} started {} never finished)",
                    since.to_rfc3339()
                )
            } else {
                format!("yes (a {what} since {})", since.to_rfc3339())
            });
        }
        println!(
            "  in progress:          {}",
            if shown.is_empty() {
                "no".to_owned()
            } else {
                shown.join("; ")
            }
        );
        println!(
            "  snapshot updated at:  {}",
            state.updated_at.map_or("never".to_owned(), |t| format!(
                "{} ({} records)",
                t.to_rfc3339(),
                state.records
            ))
        );
        let (kind, next_full) = refresh_kinds(&state, &setup, chrono::Utc::now());
        println!("  last refresh:         {kind}");
        println!("  next full read:       {next_full}");
        if let Some((at, due)) = workers
            .as_ref()
            .and_then(|w| w.next_run(&s.name, last.map(|r| r.started)))
        {
            println!(
                "  next run (workers):   {}",
                if due {
                    format!("due now (its slot began {})", at.to_rfc3339())
                } else {
                    at.to_rfc3339()
                }
            );
        }
        println!(
            "  filter:               {}",
            s.filter.as_deref().unwrap_or("(none)")
        );
    }
    if let Some(w) = &workers {
        let live = w.live().await?;
        println!("workers on queue {}: {} alive", w.queue(), live.len());
        for l in live {
            println!("  {} (last heartbeat {})", l.name, l.last_seen.to_rfc3339());
        }
    }
    Ok(())
}

/// `move-source FROM TO`: `TO` is a configured source's name (its id, `source_id` or derived)
/// or an id as is.
async fn move_source(loaded: &Loaded, from: &str, to: &str, dry_run: bool) -> Result<(), Failure> {
    let store = loaded.store().await?;
    let to = match loaded.config.sources.iter().find(|s| s.name == to) {
        Some(s) => config::setup(s, &loaded.dir)
            .map_err(input)?
            .adapter
            .source_id()
            .clone(),
        None => ucx_sync_core::SourceId::new(to),
    };
    let from = ucx_sync_core::SourceId::new(from);
    let owned = store
        .users()
        .await
        .map_err(runtime)?
        .iter()
        .filter(|u| u.owner.as_ref() == Some(&from))
        .count();
    if owned == 0 {
        return Err(Failure::Input(format!(
            "no user is owned by {from}; `status` shows each source's id"
        )));
    }
    if dry_run {
        println!("{owned} users would move from {from} to {to} (dry run; nothing changed)");
        return Ok(());
    }
    match store.move_source(&from, &to).await {
        Ok(moved) => {
            println!("{moved} users, the snapshot and the runs moved from {from} to {to}");
            Ok(())
        }
        Err(e @ ucx_sync_core::StoreError::Refused { .. }) => Err(Failure::Guard(e.to_string())),
        Err(e) => Err(runtime(e)),
    }
}

/// What `status` says of a source's refreshes: the kind of the last one (with the age of the
/// change-feed cursor it left) and when the next full read is due.
fn refresh_kinds(
    state: &ucx_sync_core::SnapshotState,
    setup: &ucx_sync_core::SourceSetup,
    now: chrono::DateTime<chrono::Utc>,
) -> (String, String) {
    let age = |t: chrono::DateTime<chrono::Utc>| {
        span(Duration::from_secs((now - t).num_seconds().max(0) as u64))
    };
    let kind = match (state.taken_at, &state.cursor) {
        (None, _) => "never".to_owned(),
        (Some(_), cursor) => {
            let what = if state.is_incremental() {
                "incremental (change feed)"
            } else {
                "full"
            };
            match (cursor, state.updated_at) {
                (Some(_), Some(at)) => format!("{what}; change-feed cursor {} old", age(at)),
                _ => format!("{what}; no change-feed cursor"),
            }
        }
    };
    let feed = setup.adapter.capabilities().delta;
    let next = match (setup.full_every.filter(|_| feed), state.full_at) {
        (None, _) => "every refresh (no change feed used)".to_owned(),
        (Some(_), None) => "the next refresh".to_owned(),
        (Some(every), Some(full)) => {
            let due = full + chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
            if due <= now {
                "the next refresh (due)".to_owned()
            } else {
                format!(
                    "{} (every {}; the last {} ago)",
                    due.to_rfc3339(),
                    span(every),
                    age(full)
                )
            }
        }
    };
    (kind, next)
}

/// A duration in its two largest units, as `parse_interval` reads them: `1d 2h`, `12m`, `40s`.
fn span(d: Duration) -> String {
    let s = d.as_secs();
    let parts = [
        (s / 86_400, "d"),
        (s / 3600 % 24, "h"),
        (s / 60 % 60, "m"),
        (s % 60, "s"),
    ];
    let shown: Vec<String> = parts
        .iter()
        .skip_while(|(n, _)| *n == 0)
        .take(2)
        .filter(|(n, _)| *n > 0)
        .map(|(n, u)| format!("{n}{u}"))
        .collect();
    if shown.is_empty() {
        "0s".to_owned()
    } else {
        shown.join(" ")
    }
}

/// `6h`, `30m`, `90s`, `1d`: the `--every` and `schedule` forms.
pub(crate) fn parse_interval(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("--every {text:?}: expected a number and a unit (6h, 30m, 90s)"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("--every {text:?}: the unit is s, m, h or d")),
    };
    if secs == 0 {
        return Err("--every must be longer than zero".into());
    }
    Ok(Duration::from_secs(secs))
}

/// Refreshes and applies each source once, printing one summary per source (the plan's
/// details are for `plan`); the first failure decides the exit code, after every source ran.
pub(crate) async fn run_pass<'a>(
    sync: &Synchronizer,
    setups: impl IntoIterator<Item = &'a (String, SourceSetup)>,
    metrics: Option<&crate::service::Metrics>,
) -> Result<(), Failure> {
    let mut first_failure = None;
    for (name, setup) in setups {
        let started = std::time::Instant::now();
        let span = tracing::info_span!("sync", source = %name);
        let result =
            tracing::Instrument::instrument(sync.refresh_and_sync(setup, &|_| {}), span).await;
        if let Some(m) = metrics {
            match &result {
                Ok((n, out)) => m.synced(
                    name,
                    *n,
                    &out.plan.counts,
                    out.applied,
                    started.elapsed().as_secs_f64(),
                ),
                Err(SyncError::Guard { .. }) => m.ran(name, "blocked"),
                Err(_) => m.ran(name, "failed"),
            }
        }
        let outcome = match result {
            Ok((n, out)) => {
                let c = out.plan.counts;
                println!(
                    "{name}: {n} records; {} added, {} updated, {} renamed, {} replaced, {} deleted, {} unchanged, {} not applied{} in {:.2} s",
                    c.add,
                    c.update,
                    c.rename,
                    c.replace,
                    c.delete,
                    c.unchanged,
                    c.not_applied(),
                    if out.applied {
                        ""
                    } else {
                        " (nothing applied)"
                    },
                    started.elapsed().as_secs_f64(),
                );
                let result = match not_applied(&c) {
                    Some(text) => Err(Failure::Partial(format!("{name}: {text}"))),
                    None => Ok(()),
                };
                with_pictures(sync, setup, name, result).await
            }
            Err(SyncError::Guard { plan, source }) => {
                let c = plan.counts;
                Err(Failure::Guard(format!(
                    "{name}: nothing applied: {source} (the plan: {} to add, {} to update, {} to replace, {} to delete; review it with `plan {name}`)",
                    c.add, c.update, c.replace, c.delete
                )))
            }
            Err(e @ SyncError::Source { .. }) => {
                Err(runtime(format!("{name}: refresh failed: {}", chain(&e))))
            }
            Err(e) => Err(runtime(format!("{name}: {}", chain(&e)))),
        };
        if let Err(f) = outcome {
            eprintln!("{}", f.message());
            // A failure or a guard stop decides the exit code over records left unapplied.
            match (&first_failure, &f) {
                (None, _)
                | (
                    Some(Failure::Partial(_)),
                    Failure::Runtime(_) | Failure::Guard(_) | Failure::Input(_),
                ) => {
                    first_failure = Some(f);
                }
                _ => {}
            }
        }
    }
    first_failure.map_or(Ok(()), Err)
}

async fn run_once(loaded: &Loaded, only: Option<&str>) -> Result<(), Failure> {
    let sync = Synchronizer::new(loaded.store().await?);
    let setups = loaded.setups(only)?;
    run_pass(&sync, &setups, None).await.map_err(|f| match f {
        // Already printed.
        Failure::Guard(_) => Failure::Guard(String::new()),
        Failure::Input(_) => Failure::Input(String::new()),
        Failure::Runtime(_) => Failure::Runtime(String::new()),
        Failure::Partial(_) => Failure::Partial(String::new()),
    })
}

/// Serves the endpoints of `--listen`, when given.
pub(crate) async fn serve(
    listen: Option<&str>,
    metrics: &Arc<crate::service::Metrics>,
    store: Arc<dyn UserStore>,
    setups: &Arc<Vec<(String, SourceSetup)>>,
    workers: Option<Arc<crate::workers::WorkerView>>,
) -> Result<Option<crate::http_server::Served>, Failure> {
    let Some(addr) = listen else {
        return Ok(None);
    };
    let served = crate::service::listen(addr, metrics.clone(), store, setups.clone(), workers)
        .await
        .map_err(|e| input(format!("--listen {addr}: {e}")))?;
    println!(
        "serving /healthz, /readyz, /metrics, /status at {}",
        served.uri()
    );
    Ok(Some(served))
}

/// A source's interval: `--every`, else its `schedule`, else 6 h (the product's cycle).
pub(crate) fn interval(loaded: &Loaded, every: Option<Duration>, name: &str) -> Duration {
    every
        .or_else(|| {
            loaded
                .config
                .sources
                .iter()
                .find(|s| s.name == name)
                .and_then(|s| s.schedule.as_deref())
                .and_then(|t| parse_interval(t).ok())
        })
        .unwrap_or(Duration::from_secs(6 * 3600))
}

/// Runs each source on its own `schedule` (`--every` for all of them; 6 h without either):
/// the sources due are synced in one pass, then the loop sleeps until the next is due.
async fn run_every(
    loaded: &Loaded,
    every: Option<Duration>,
    only: Option<&str>,
    listen: Option<&str>,
) -> Result<(), Failure> {
    let (store, pool) = loaded.store_and_pool().await?;
    // On PostgreSQL, every source: a worker sharing them with the others. One source on its
    // own (`--source`) keeps the loop below, the apply lease making it safe beside workers.
    if only.is_none()
        && let Some(pool) = pool
    {
        return crate::workers::run_worker(loaded, every, store, pool, listen).await;
    }
    let sync = Synchronizer::new(store.clone());
    let setups = Arc::new(loaded.setups(only)?);
    let metrics = Arc::new(crate::service::Metrics::new());
    let _endpoints = serve(listen, &metrics, store, &setups, None).await?;
    let intervals: Vec<Duration> = setups
        .iter()
        .map(|(name, _)| interval(loaded, every, name))
        .collect();
    let start = tokio::time::Instant::now();
    let mut next: Vec<tokio::time::Instant> = vec![start; setups.len()];
    loop {
        let now = tokio::time::Instant::now();
        let due: Vec<usize> = (0..setups.len()).filter(|&i| next[i] <= now).collect();
        // A failed source is reported and retried when it is next due; the loop goes on.
        let _ = run_pass(&sync, due.iter().map(|&i| &setups[i]), Some(&metrics)).await;
        for &i in &due {
            // Up to 10% of jitter, so many installations do not hit an API at the same minute.
            let jitter = intervals[i].mul_f64(
                f64::from(
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap_or_default()
                        .subsec_nanos()
                        % 1000,
                ) / 10_000.0,
            );
            next[i] = tokio::time::Instant::now() + intervals[i] + jitter;
        }
        let Some((first, at)) = next.iter().enumerate().min_by_key(|(_, t)| **t) else {
            return Ok(());
        };
        println!(
            "next run: {} in {}s (Ctrl-C stops)",
            setups[first].0,
            at.saturating_duration_since(tokio::time::Instant::now())
                .as_secs()
        );
        tokio::select! {
            _ = tokio::time::sleep_until(*at) => {}
            _ = tokio::signal::ctrl_c() => {
                println!("stopping");
                return Ok(());
            }
        }
    }
}
