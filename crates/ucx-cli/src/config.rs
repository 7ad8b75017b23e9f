//! `ucx-sync.toml`: the store and the sources. Unknown keys are errors naming the key and the
//! line; credentials are references (`env:NAME`, `file:PATH`), never values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use ucx_filter::{Filter, FilterSchema, Matcher};
use ucx_http::secrecy::SecretString;
use ucx_mapping::RuleSet;
use ucx_sync_core::{DiffOptions, Guard, RenameMode, SourceAdapter, SourceSetup, UniqueRule};

/// The file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    #[serde(default)]
    pub store: StoreSection,
    #[serde(default)]
    pub sources: Vec<SourceSection>,
    #[serde(default)]
    pub workers: WorkersSection,
}

/// `[workers]`: how `ucx-sync run` processes on a PostgreSQL store share the sources.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WorkersSection {
    /// The job queue's name (default `ucx-sync`): one per configuration sharing a database.
    pub queue: Option<String>,
    /// Sources one worker syncs at once (default 2).
    pub concurrency: Option<usize>,
    /// How often a worker tells the others it is alive (default 30s; at least 1s).
    pub heartbeat: Option<String>,
    /// Heartbeats missed before a worker's sources go to another (default 4; at least 3).
    pub missed_heartbeats: Option<usize>,
    /// How often an idle worker looks for due sources (default 5s).
    pub poll: Option<String>,
}

impl WorkersSection {
    /// The queue's options; errors name the key.
    pub(crate) fn options(&self) -> Result<ucx_worker::QueueOptions, String> {
        let mut o = ucx_worker::QueueOptions::new();
        if let Some(q) = &self.queue {
            if q.trim().is_empty() {
                return Err("`workers.queue` is empty".into());
            }
            o = o.with_name(q.trim());
        }
        if let Some(n) = self.concurrency {
            if n == 0 {
                return Err("`workers.concurrency` must be at least 1".into());
            }
            o.concurrency = n;
        }
        if let Some(h) = &self.heartbeat {
            o.heartbeat = crate::sync_cmd::parse_interval(h)
                .map_err(|e| format!("`workers.heartbeat`: {e}"))?;
        }
        if let Some(n) = self.missed_heartbeats {
            if n < ucx_worker::MIN_MISSED_HEARTBEATS {
                return Err(format!(
                    "`workers.missed_heartbeats` must be at least {}: a late heartbeat must not hand a live worker's sources to another",
                    ucx_worker::MIN_MISSED_HEARTBEATS
                ));
            }
            o.missed_heartbeats = n;
        }
        if let Some(p) = &self.poll {
            o.poll =
                crate::sync_cmd::parse_interval(p).map_err(|e| format!("`workers.poll`: {e}"))?;
        }
        Ok(o)
    }
}

/// `[store]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoreSection {
    /// The SQLite file (the default store).
    #[serde(default = "default_db")]
    pub path: PathBuf,
    /// A PostgreSQL database instead, shared by several workers: `postgres://user@host/db`,
    /// without the password.
    pub url: Option<String>,
    /// The PostgreSQL password, by reference (`env:NAME`, `file:PATH`).
    pub password: Option<String>,
}

impl Default for StoreSection {
    fn default() -> Self {
        Self {
            path: default_db(),
            url: None,
            password: None,
        }
    }
}

impl StoreSection {
    /// Checks the keys without connecting: a `postgres://` URL with no password in it, the
    /// password by reference. Errors name the key.
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(p) = &self.password {
            if self.url.is_none() {
                return Err("`store.password` is for `store.url` (PostgreSQL)".into());
            }
            if !(p.starts_with("env:") || p.starts_with("file:")) {
                return Err(
                    "`store.password` must be a reference, env:NAME or file:PATH, not the secret itself".into(),
                );
            }
        }
        let Some(url) = &self.url else {
            return Ok(());
        };
        let parsed = url::Url::parse(url).map_err(|e| format!("`store.url`: {e}"))?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") || parsed.host().is_none() {
            return Err("`store.url` must be postgres://user@host[:port]/database".into());
        }
        if parsed.password().is_some() {
            return Err(
                "`store.url` holds a password: put it in `store.password = \"env:NAME\"` instead"
                    .into(),
            );
        }
        Ok(())
    }

    /// The PostgreSQL connection options, with the password read; `None` for SQLite.
    pub(crate) fn postgres(&self) -> Result<Option<ucx_store_postgres::PgConnectOptions>, String> {
        use std::str::FromStr;
        self.check()?;
        let Some(url) = &self.url else {
            return Ok(None);
        };
        let mut options = ucx_store_postgres::PgConnectOptions::from_str(url)
            .map_err(|e| format!("`store.url`: {e}"))?;
        if self.password.is_some() {
            use ucx_http::secrecy::ExposeSecret;
            let password = secret("store.password", self.password.as_ref())?;
            options = options.password(password.expose_secret());
        }
        Ok(Some(options))
    }
}

fn default_db() -> PathBuf {
    PathBuf::from("ucx-sync.db")
}

/// The kinds of source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Kind {
    WebexUsers,
    WebexVirtual,
    WebexFax,
    Cucm,
    Entra,
}

impl Kind {
    fn is_webex(self) -> bool {
        matches!(self, Kind::WebexUsers | Kind::WebexVirtual | Kind::WebexFax)
    }

    fn has_pictures(self) -> bool {
        matches!(self, Kind::WebexUsers | Kind::Entra)
    }

    fn is_cucm(self) -> bool {
        self == Kind::Cucm
    }

    fn is_entra(self) -> bool {
        self == Kind::Entra
    }

    /// The built-in rule set of the kind.
    pub(crate) fn rules(self) -> &'static str {
        match self {
            Kind::WebexUsers => "webex-users",
            Kind::WebexVirtual => "webex-virtual",
            Kind::WebexFax => "webex-fax",
            Kind::Cucm => "cucm",
            Kind::Entra => "entra",
        }
    }

    /// The filterable fields the product documents for the kind (none listed for CUCM).
    fn schema(self) -> Option<FilterSchema> {
        match self {
            Kind::WebexUsers | Kind::WebexVirtual | Kind::WebexFax => {
                Some(FilterSchema::webex_users())
            }
            Kind::Entra => Some(FilterSchema::entra()),
            Kind::Cucm => None,
        }
    }
}

/// `[[sources]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SourceSection {
    pub name: String,
    pub kind: Kind,
    /// Webex: the API root; CUCM: the publisher (host or URL); Entra: the Graph root.
    pub base_url: Option<String>,
    // Webex
    pub org_id: Option<String>,
    pub token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    pub refresh_token: Option<String>,
    pub include_cx_queues: Option<bool>,
    /// Partner administrators: send `orgId` with every request.
    pub send_org_id: Option<bool>,
    /// Partner administrators: one source per organisation, named `<name>/<org id>`.
    pub org_ids: Option<Vec<String>>,
    /// The organisation name, instead of reading it.
    pub organization_name: Option<String>,
    /// Join each person's SCIM `externalId`.
    pub external_id: Option<bool>,
    /// Which workspaces are fax workspaces.
    pub fax_rule: Option<FaxRuleSection>,
    /// Read call-recording External Identifiers (default on).
    pub recording_ids: Option<bool>,
    /// Per-record lookups (recording ids, workspace numbers) in flight at once.
    pub lookup_concurrency: Option<usize>,
    /// The id the source's users are owned under, instead of the one the connector derives
    /// (`cucm:<publisher>`, `entra:<tenant>`, `webex-users:<org>`), which changes with their
    /// spelling. Set it once; `ucx-sync move-source` moves users from the derived id.
    pub source_id: Option<String>,
    /// Webex people batches read at once (1: the sequential listing).
    pub read_concurrency: Option<usize>,
    /// Page size of the feature lists (hunt groups, queues, …).
    pub feature_page_size: Option<usize>,
    /// Webex users and Entra: store each user's picture with the user (default on).
    pub pictures: Option<bool>,
    // CUCM
    /// The AXL schema version tried first (`11.0` … `15.0`).
    pub version: Option<String>,
    /// Read each user's associated devices (default on).
    pub devices: Option<bool>,
    /// Check a `listUser` fill by pkid keyset and fetch users it missed (default on).
    pub verify_fill: Option<bool>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub email_domain: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub insecure: Option<bool>,
    // Entra
    pub tenant: Option<String>,
    pub authority_url: Option<String>,
    pub groups: Option<Vec<String>>,
    pub application: Option<String>,
    pub transitive: Option<bool>,
    /// `global`, `us-gov`, `us-gov-dod` or `china`.
    pub cloud: Option<String>,
    pub include_guests: Option<bool>,
    pub include_disabled: Option<bool>,
    // Every source
    /// An HTTP(S) proxy for this source (else `HTTPS_PROXY`/`NO_PROXY` apply).
    pub proxy: Option<String>,
    /// Extra CA certificates (PEM files) trusted besides the system's, for TLS-inspecting
    /// proxies and company CAs.
    #[serde(default)]
    pub extra_ca: Vec<PathBuf>,
    /// Requests in flight at once to the API host.
    pub max_concurrency: Option<usize>,
    pub page_size: Option<usize>,
    pub filter: Option<String>,
    pub rules: Option<PathBuf>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    #[serde(default)]
    pub guard: GuardSection,
    pub schedule: Option<String>,
    /// Sources with a change feed (CUCM, Entra): how often a full read replaces the incremental
    /// refreshes (`1d` by default; `0s`: always read in full).
    pub full_every: Option<String>,
    /// A changed key with a known stable id: `in_place` (default) or `recreate`.
    pub rename: Option<RenameMode>,
    /// Opt-in uniqueness rules (`[[sources.unique]]`); none by default.
    #[serde(default)]
    pub unique: Vec<UniqueRule>,
}

/// `[sources.fax_rule]`: a workspace is a fax workspace when any enabled test matches.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaxRuleSection {
    /// It owns a number of type FAX (default on).
    pub fax_number: Option<bool>,
    /// A regular expression its display name matches.
    pub name: Option<String>,
    /// A regular expression its notes match.
    pub notes: Option<String>,
}

/// `[sources.guard]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GuardSection {
    pub max_deletes: Option<usize>,
    pub max_delete_percent: Option<f64>,
    pub allowance: Option<usize>,
    pub max_clear_percent: Option<f64>,
    pub allow_empty: Option<bool>,
    pub allow_create: Option<bool>,
    pub allow_update: Option<bool>,
    pub allow_delete: Option<bool>,
}

/// A configuration that cannot be used: where, and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub(crate) struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl ConfigError {
    fn at(file: &Path, message: impl Into<String>) -> Self {
        Self {
            file: file.display().to_string(),
            line: None,
            message: message.into(),
        }
    }
}

/// Reads and checks `path`: syntax, unknown keys, kinds, duplicate names, credential
/// references, filters against the kind's fields, rules files. Touches no network and reads
/// no secret.
pub(crate) fn load(path: &Path) -> Result<(FileConfig, PathBuf), ConfigError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ConfigError::at(path, format!("cannot read: {e}")))?;
    let config: FileConfig = toml::from_str(&text).map_err(|e| ConfigError {
        file: path.display().to_string(),
        line: e.span().map(|s| {
            text.get(..s.start)
                .map_or(1, |t| t.matches('\n').count() + 1)
        }),
        message: e.message().to_owned(),
    })?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut config = config;
    config.sources = expand_organisations(config.sources).map_err(|m| ConfigError::at(path, m))?;
    config.store.check().map_err(|m| ConfigError::at(path, m))?;
    config
        .workers
        .options()
        .map_err(|m| ConfigError::at(path, m))?;
    let mut names = std::collections::HashSet::new();
    let mut ids = std::collections::HashSet::new();
    for (i, s) in config.sources.iter().enumerate() {
        let at = |m: String| ConfigError::at(path, format!("sources[{i}] ({}): {m}", s.name));
        if !names.insert(s.name.as_str()) {
            return Err(at("a source of this name is already defined".into()));
        }
        if let Some(id) = &s.source_id {
            if id.trim().is_empty() {
                return Err(at("`source_id` is empty".into()));
            }
            if !ids.insert(id.trim()) {
                return Err(at(format!(
                    "`source_id` {id:?} is already another source's: their users would mix"
                )));
            }
        }
        for (key, value) in [
            ("token", &s.token),
            ("client_secret", &s.client_secret),
            ("refresh_token", &s.refresh_token),
            ("password", &s.password),
        ] {
            if let Some(v) = value
                && !(v.starts_with("env:") || v.starts_with("file:"))
            {
                return Err(at(format!(
                    "`{key}` must be a reference, env:NAME or file:PATH, not the secret itself"
                )));
            }
        }
        options(s, &dir).map_err(&at)?;
        if let Some(f) = &s.filter {
            filter(s.kind, f).map_err(at)?;
        }
        let rules_of = rules(s, &dir).map_err(&at)?;
        for (n, u) in s.unique.iter().enumerate() {
            for f in std::iter::once(&u.field).chain(&u.scope) {
                if rules_of.rule(f.as_str()).is_none() {
                    return Err(at(format!(
                        "`unique[{n}]`: the rules write no field {f}, so the rule could never apply"
                    )));
                }
            }
        }
        if let Some(every) = &s.schedule {
            crate::sync_cmd::parse_interval(every).map_err(|e| at(format!("`schedule`: {e}")))?;
        }
        if let Some(every) = &s.full_every {
            full_every(every).map_err(|e| at(format!("`full_every`: {e}")))?;
        }
    }
    Ok((config, dir))
}

/// One source per organisation of `org_ids`, named `<name>/<org id>`, each with its `org_id`
/// and `send_org_id` (a partner administrator's token reads every customer's organisation).
fn expand_organisations(sources: Vec<SourceSection>) -> Result<Vec<SourceSection>, String> {
    let mut out = Vec::with_capacity(sources.len());
    for s in sources {
        let Some(orgs) = s.org_ids.clone() else {
            out.push(s);
            continue;
        };
        let at = |m: &str| format!("source {}: {m}", s.name);
        if !s.kind.is_webex() {
            return Err(at("`org_ids` is a Webex key"));
        }
        if s.org_id.is_some() {
            return Err(at("`org_ids` and `org_id` exclude each other"));
        }
        if orgs.is_empty() {
            return Err(at("`org_ids` is empty"));
        }
        for org in orgs {
            let mut one = s.clone();
            one.name = format!("{}/{org}", s.name);
            one.source_id = s.source_id.as_ref().map(|id| format!("{id}/{org}"));
            one.org_id = Some(org);
            one.org_ids = None;
            one.send_org_id = Some(s.send_org_id.unwrap_or(true));
            out.push(one);
        }
    }
    Ok(out)
}

/// Whether a key belongs to a kind of source.
type KindTest = fn(Kind) -> bool;

/// Checks the connector options of a section: each belongs to its kind, and each value is one
/// the connector accepts. Errors name the key.
fn options(s: &SourceSection, dir: &Path) -> Result<(), String> {
    let kind_keys: [(&str, bool, KindTest); 15] = [
        (
            "read_concurrency",
            s.read_concurrency.is_some(),
            Kind::is_webex,
        ),
        ("pictures", s.pictures.is_some(), Kind::has_pictures),
        ("send_org_id", s.send_org_id.is_some(), Kind::is_webex),
        (
            "organization_name",
            s.organization_name.is_some(),
            Kind::is_webex,
        ),
        ("external_id", s.external_id.is_some(), Kind::is_webex),
        ("fax_rule", s.fax_rule.is_some(), Kind::is_webex),
        ("recording_ids", s.recording_ids.is_some(), Kind::is_webex),
        (
            "lookup_concurrency",
            s.lookup_concurrency.is_some(),
            Kind::is_webex,
        ),
        (
            "feature_page_size",
            s.feature_page_size.is_some(),
            Kind::is_webex,
        ),
        ("version", s.version.is_some(), Kind::is_cucm),
        ("devices", s.devices.is_some(), Kind::is_cucm),
        ("verify_fill", s.verify_fill.is_some(), Kind::is_cucm),
        ("cloud", s.cloud.is_some(), Kind::is_entra),
        ("include_guests", s.include_guests.is_some(), Kind::is_entra),
        (
            "include_disabled",
            s.include_disabled.is_some(),
            Kind::is_entra,
        ),
    ];
    for (key, set, belongs) in kind_keys {
        if set && !belongs(s.kind) {
            return Err(format!(
                "`{key}` is not a key of a {} source",
                s.kind.rules()
            ));
        }
    }
    if let Some(f) = &s.fax_rule {
        ucx_webex::FaxRule::from_patterns(
            f.fax_number.unwrap_or(true),
            f.name.as_deref(),
            f.notes.as_deref(),
        )
        .map_err(|e| format!("`{}`: {}", e.key, e.message))?;
    }
    if let Some(v) = &s.version {
        ucx_cucm::AxlVersion::parse(v).ok_or_else(|| {
            format!("`version`: {v:?} is not an AXL version this connector speaks (11.0, 11.5, 12.0, 12.5, 14.0, 15.0)")
        })?;
    }
    if let Some(c) = &s.cloud {
        cloud(c)?;
    }
    for (key, n) in [
        ("read_concurrency", s.read_concurrency),
        ("lookup_concurrency", s.lookup_concurrency),
        ("feature_page_size", s.feature_page_size),
        ("max_concurrency", s.max_concurrency),
    ] {
        if n == Some(0) {
            return Err(format!("`{key}` must be at least 1"));
        }
    }
    if let Some(p) = &s.proxy {
        ucx_http::Url::parse(p).map_err(|e| format!("`proxy`: {p:?} is not a URL: {e}"))?;
    }
    for f in &s.extra_ca {
        let path = dir.join(f);
        if !path.is_file() {
            return Err(format!("`extra_ca`: {} is not a file", path.display()));
        }
    }
    Ok(())
}

/// An Entra cloud by its configuration name.
fn cloud(name: &str) -> Result<ucx_entra::Cloud, String> {
    Ok(match name {
        "global" => ucx_entra::Cloud::Global,
        "us-gov" => ucx_entra::Cloud::UsGov,
        "us-gov-dod" => ucx_entra::Cloud::UsGovDod,
        "china" => ucx_entra::Cloud::China,
        other => {
            return Err(format!(
                "`cloud`: {other:?} is not one of global, us-gov, us-gov-dod, china"
            ));
        }
    })
}

/// The HTTP options of a section: proxy, extra CAs, concurrency.
fn http_options(
    s: &SourceSection,
    dir: &Path,
    mut o: ucx_http::ClientOptions,
) -> ucx_http::ClientOptions {
    if let Some(p) = &s.proxy {
        o.proxy = Some(p.clone());
    }
    o.extra_ca_files
        .extend(s.extra_ca.iter().map(|f| dir.join(f)));
    if let Some(n) = s.max_concurrency {
        o.max_concurrency_per_host = n;
    }
    o
}

/// Parses a source's filter and compiles it with the kind's schema, so a sync matches exactly
/// as `ucx-sync filter test --schema` does (phone numbers without their formatting, aliases).
fn filter(kind: Kind, text: &str) -> Result<Matcher, String> {
    let f = Filter::parse(text).map_err(|e| format!("`filter`: {e}"))?;
    match kind.schema() {
        Some(schema) => schema.compile(&f),
        None => Matcher::compile(&f),
    }
    .map_err(|e| format!("`filter`: Invalid LDAP filters: {e}"))
}

/// The rules of a source: its rules file, or its kind's built-in set with its params.
pub(crate) fn rules(s: &SourceSection, dir: &Path) -> Result<RuleSet, String> {
    match &s.rules {
        Some(file) => {
            let path = dir.join(file);
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("`rules`: cannot read {}: {e}", path.display()))?;
            RuleSet::from_toml(&text).map_err(|e| format!("`rules` ({}): {e}", path.display()))
        }
        None => RuleSet::builtin_with(s.kind.rules(), &s.params).map_err(|e| format!("{e}")),
    }
}

/// Reads a credential reference.
fn secret(key: &str, reference: Option<&String>) -> Result<SecretString, String> {
    let r = reference.ok_or_else(|| format!("`{key}` is required"))?;
    if let Some(name) = r.strip_prefix("env:") {
        return std::env::var(name)
            .map(SecretString::from)
            .map_err(|_| format!("`{key}`: environment variable {name} is not set"));
    }
    if let Some(file) = r.strip_prefix("file:") {
        return std::fs::read_to_string(file)
            .map(|t| SecretString::from(t.trim().to_owned()))
            .map_err(|e| format!("`{key}`: cannot read {file}: {e}"));
    }
    Err(format!("`{key}` must be env:NAME or file:PATH"))
}

fn required<'a>(key: &str, v: &'a Option<String>) -> Result<&'a str, String> {
    v.as_deref()
        .ok_or_else(|| format!("`{key}` is required for this kind"))
}

/// The adapter of a source section, with its secrets read.
pub(crate) fn adapter(s: &SourceSection, dir: &Path) -> Result<Arc<dyn SourceAdapter>, String> {
    let derived = connector(s, dir)?;
    Ok(match s.source_id.as_deref().map(str::trim) {
        None => derived,
        Some("") => return Err(format!("source {}: `source_id` is empty", s.name)),
        Some(id) => Arc::new(ucx_sync_core::WithSourceId::new(
            derived,
            ucx_sync_core::SourceId::new(id),
        )),
    })
}

/// The connector of a section, under the id it derives itself.
pub(crate) fn connector(s: &SourceSection, dir: &Path) -> Result<Arc<dyn SourceAdapter>, String> {
    let cfg_err = |e: ucx_sync_core::ConfigError| e.to_string();
    Ok(match s.kind {
        Kind::WebexUsers | Kind::WebexVirtual | Kind::WebexFax => {
            let credentials = match (&s.token, &s.refresh_token) {
                (Some(_), _) => {
                    ucx_webex::WebexCredentials::AccessToken(secret("token", s.token.as_ref())?)
                }
                (None, Some(_)) => ucx_webex::WebexCredentials::RefreshToken {
                    client_id: required("client_id", &s.client_id)?.to_owned(),
                    client_secret: secret("client_secret", s.client_secret.as_ref())?,
                    refresh_token: secret("refresh_token", s.refresh_token.as_ref())?,
                },
                (None, None) => return Err("`token` or `refresh_token` is required".into()),
            };
            let mut c = ucx_webex::WebexConfig::new(credentials);
            if let Some(u) = &s.base_url {
                c = c.with_base_url(u.clone());
            }
            c.org_id = s.org_id.clone();
            if let Some(n) = s.page_size {
                c.page_size = n;
                c.min_page_size = c.min_page_size.min(n);
            }
            c.include_cx_queues = s.include_cx_queues.unwrap_or(false);
            if let Some(b) = s.send_org_id {
                c.send_org_id = b;
            }
            c.organization_name = s.organization_name.clone();
            if let Some(b) = s.external_id {
                c.include_external_id = b;
            }
            if let Some(f) = &s.fax_rule {
                c.fax_rule = ucx_webex::FaxRule::from_patterns(
                    f.fax_number.unwrap_or(true),
                    f.name.as_deref(),
                    f.notes.as_deref(),
                )
                .map_err(cfg_err)?;
            }
            if let Some(b) = s.recording_ids {
                c.recording_ids = b;
            }
            if let Some(b) = s.pictures {
                c.pictures = b;
            }
            if let Some(n) = s.lookup_concurrency {
                c.lookup_concurrency = n;
            }
            if let Some(n) = s.read_concurrency {
                c.read_concurrency = n;
            }
            if let Some(n) = s.feature_page_size {
                c.feature_page_size = n;
            }
            c.http = http_options(s, dir, c.http);
            match s.kind {
                Kind::WebexUsers => Arc::new(ucx_webex::WebexUsers::new(c).map_err(cfg_err)?),
                Kind::WebexVirtual => {
                    Arc::new(ucx_webex::WebexVirtualObjects::new(c).map_err(cfg_err)?)
                }
                _ => Arc::new(ucx_webex::WebexFaxWorkspaces::new(c).map_err(cfg_err)?),
            }
        }
        Kind::Cucm => {
            let mut c = ucx_cucm::CucmConfig::new(
                required("base_url", &s.base_url)?,
                required("username", &s.username)?,
                secret("password", s.password.as_ref())?,
            );
            c.email_domain = s.email_domain.clone();
            if let Some(v) = s.version.as_deref().and_then(ucx_cucm::AxlVersion::parse) {
                c.version = v;
            }
            if let Some(b) = s.devices {
                c.devices = b;
            }
            if let Some(b) = s.verify_fill {
                c.verify_fill = b;
            }
            c.http = http_options(s, dir, c.http);
            if let Some(n) = s.page_size {
                c.page_size = n as u64;
                c.min_page_size = c.min_page_size.min(n as u64);
            }
            c.tls = match (&s.ca_file, s.insecure) {
                (_, Some(true)) => ucx_cucm::CucmTls::Insecure,
                (Some(f), _) => ucx_cucm::CucmTls::Pinned(f.clone()),
                _ => ucx_cucm::CucmTls::Verify,
            };
            Arc::new(ucx_cucm::CucmUsers::new(c).map_err(cfg_err)?)
        }
        Kind::Entra => {
            let mut c = ucx_entra::EntraConfig::new(
                required("tenant", &s.tenant)?,
                required("client_id", &s.client_id)?,
                ucx_entra::EntraCredential::Secret(secret(
                    "client_secret",
                    s.client_secret.as_ref(),
                )?),
            );
            c.graph_url = s.base_url.clone();
            c.authority_url = s.authority_url.clone();
            c.transitive = s.transitive.unwrap_or(true);
            if let Some(name) = &s.cloud {
                c.cloud = cloud(name)?;
            }
            if let Some(b) = s.include_guests {
                c.include_guests = b;
            }
            if let Some(b) = s.include_disabled {
                c.include_disabled = b;
            }
            if let Some(b) = s.pictures {
                c.pictures = b;
            }
            c.http = http_options(s, dir, c.http);
            if let Some(n) = s.page_size {
                c.page_size = n;
            }
            c.scope = match (&s.groups, &s.application) {
                (Some(g), _) => ucx_entra::Scope::Groups(g.clone()),
                (None, Some(a)) => ucx_entra::Scope::Application(a.clone()),
                (None, None) => ucx_entra::Scope::AllUsers,
            };
            Arc::new(ucx_entra::EntraUsers::new(c).map_err(cfg_err)?)
        }
    })
}

/// Everything the pipeline needs for a source section.
pub(crate) fn setup(s: &SourceSection, dir: &Path) -> Result<SourceSetup, String> {
    let filter = s.filter.as_deref().map(|f| filter(s.kind, f)).transpose()?;
    let g = &s.guard;
    let defaults = Guard::default();
    Ok({
        let mut v = SourceSetup::new(adapter(s, dir)?, Arc::new(rules(s, dir)?));
        v.filter = filter;
        v.diff = {
            let mut v = DiffOptions::default();
            v.rename = s.rename.unwrap_or_default();
            v.unique = s.unique.clone();
            v
        };
        v.guard = {
            let mut v = defaults.clone();
            v.max_deletes = g.max_deletes.or(defaults.max_deletes);
            v.max_delete_percent = g.max_delete_percent.or(defaults.max_delete_percent);
            v.allowance = g.allowance.unwrap_or(defaults.allowance);
            v.max_clear_percent = g.max_clear_percent.or(defaults.max_clear_percent);
            v.allow_empty = g.allow_empty.unwrap_or(defaults.allow_empty);
            v.allow_create = g.allow_create.unwrap_or(defaults.allow_create);
            v.allow_update = g.allow_update.unwrap_or(defaults.allow_update);
            v.allow_delete = g.allow_delete.unwrap_or(defaults.allow_delete);
            v
        };
        v.full_every = match (&s.full_every, s.kind) {
            (Some(t), _) => full_every(t)?,
            // A feed follows the whole tenant: a scoped Entra source reads in full.
            (None, Kind::Entra) if s.groups.is_some() || s.application.is_some() => None,
            (None, Kind::Cucm | Kind::Entra) => Some(Duration::from_secs(86_400)),
            (None, _) => None,
        };
        v
    })
}

/// `full_every`: an interval, `0s` (or any zero) meaning every refresh reads in full.
fn full_every(text: &str) -> Result<Option<Duration>, String> {
    if text.trim().trim_end_matches(['s', 'm', 'h', 'd']) == "0" {
        return Ok(None);
    }
    crate::sync_cmd::parse_interval(text).map(Some)
}
