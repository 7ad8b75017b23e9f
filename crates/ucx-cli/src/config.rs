//! `ucx-sync.toml`: the store and the sources. Unknown keys are errors naming the key and the
//! line; credentials are references (`env:NAME`, `file:PATH`), never values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
}

/// `[store]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StoreSection {
    #[serde(default = "default_db")]
    pub path: PathBuf,
}

impl Default for StoreSection {
    fn default() -> Self {
        Self { path: default_db() }
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
#[derive(Debug, Deserialize)]
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
    // CUCM
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
    // Every source
    pub page_size: Option<usize>,
    pub filter: Option<String>,
    pub rules: Option<PathBuf>,
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    #[serde(default)]
    pub guard: GuardSection,
    pub schedule: Option<String>,
    /// A changed key with a known stable id: `in_place` (default) or `recreate`.
    pub rename: Option<RenameMode>,
    /// Opt-in uniqueness rules (`[[sources.unique]]`); none by default.
    #[serde(default)]
    pub unique: Vec<UniqueRule>,
}

/// `[sources.guard]`.
#[derive(Debug, Default, Deserialize)]
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
    let mut names = std::collections::HashSet::new();
    for (i, s) in config.sources.iter().enumerate() {
        let at = |m: String| ConfigError::at(path, format!("sources[{i}] ({}): {m}", s.name));
        if !names.insert(s.name.as_str()) {
            return Err(at("a source of this name is already defined".into()));
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
    }
    Ok((config, dir))
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
pub(crate) fn adapter(s: &SourceSection) -> Result<Arc<dyn SourceAdapter>, String> {
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
    Ok(SourceSetup {
        adapter: adapter(s)?,
        filter,
        mapper: Arc::new(rules(s, dir)?),
        diff: DiffOptions {
            rename: s.rename.unwrap_or_default(),
            unique: s.unique.clone(),
            ..DiffOptions::default()
        },
        guard: Guard {
            max_deletes: g.max_deletes.or(defaults.max_deletes),
            max_delete_percent: g.max_delete_percent.or(defaults.max_delete_percent),
            allowance: g.allowance.unwrap_or(defaults.allowance),
            max_clear_percent: g.max_clear_percent.or(defaults.max_clear_percent),
            allow_empty: g.allow_empty.unwrap_or(defaults.allow_empty),
            allow_create: g.allow_create.unwrap_or(defaults.allow_create),
            allow_update: g.allow_update.unwrap_or(defaults.allow_update),
            allow_delete: g.allow_delete.unwrap_or(defaults.allow_delete),
            ..defaults
        },
    })
}
