//! What a Webex source is configured with.

use regex::Regex;
use ucx_http::{ClientOptions, Url, root_url};

use crate::auth::WebexCredentials;
use crate::ids::WebexId;

/// The public Webex API.
pub const DEFAULT_BASE_URL: &str = "https://webexapis.com/v1/";

pub use ucx_sync_core::ConfigError;

/// Which workspaces are fax workspaces (the product imports "fax-related Workspaces" for
/// Digital Fax). A workspace is one when any enabled test matches.
#[derive(Debug, Clone)]
pub struct FaxRule {
    /// It owns a number of type `FAX` in the numbers API.
    pub fax_number: bool,
    /// Its display name matches.
    pub name: Option<Regex>,
    /// Its notes match (administrators note "ATA port 1 - fax machine").
    pub notes: Option<Regex>,
}

impl Default for FaxRule {
    /// A FAX number, or the word "fax" in the name or the notes.
    fn default() -> Self {
        let fax = Regex::new(r"(?i)\bfax\b").ok();
        Self {
            fax_number: true,
            name: fax.clone(),
            notes: fax,
        }
    }
}

impl FaxRule {
    /// A rule from patterns (regular expressions), as a configuration file gives them.
    pub fn from_patterns(
        fax_number: bool,
        name: Option<&str>,
        notes: Option<&str>,
    ) -> Result<Self, ConfigError> {
        let compile = |key: &'static str, p: Option<&str>| {
            p.map(|p| Regex::new(p).map_err(|e| ConfigError::new(key, e.to_string())))
                .transpose()
        };
        Ok(Self {
            fax_number,
            name: compile("fax_rule.name", name)?,
            notes: compile("fax_rule.notes", notes)?,
        })
    }

    /// Whether a workspace with `name` and `notes`, owning a FAX number or not, is a fax
    /// workspace.
    pub fn matches(&self, name: Option<&str>, notes: Option<&str>, owns_fax_number: bool) -> bool {
        (self.fax_number && owns_fax_number)
            || matches!((&self.name, name), (Some(r), Some(n)) if r.is_match(n))
            || matches!((&self.notes, notes), (Some(r), Some(n)) if r.is_match(n))
    }
}

/// A Webex source's settings. [`WebexConfig::new`] gives the defaults; then set the fields
/// or use the `with_` methods. `#[non_exhaustive]`, so a new option is never a breaking change:
///
/// ```compile_fail
/// # use ucx_http::secrecy::SecretString;
/// use ucx_webex::{WebexConfig, WebexCredentials};
/// let base = WebexConfig::new(WebexCredentials::AccessToken(SecretString::from("t")));
/// let c = WebexConfig { read_concurrency: 2, ..base };
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WebexConfig {
    /// The API root, ending in `/v1/` (tests point it at a mock server).
    pub base_url: String,
    /// The SCIM root (`.../identity/scim/`); derived from `base_url` when `None`.
    pub identity_url: Option<String>,
    /// The credentials.
    pub credentials: WebexCredentials,
    /// The organisation, as the UUID Control Hub shows or the base64 API id. Required for
    /// partners (sent as `orgId`); recommended for everyone, since it names the source
    /// (`webex-users:<uuid>`) and so the users it owns.
    pub org_id: Option<String>,
    /// Sends `orgId` on every request (partner administrators managing a customer).
    pub send_org_id: bool,
    /// The organisation name to emit as `organization.name`; read from `/organizations` when
    /// `None`.
    pub organization_name: Option<String>,
    /// People per page. 100 is the API's limit with `callingData=true`; a 504 halves it.
    pub page_size: usize,
    /// The smallest page the 504 fallback goes down to.
    pub min_page_size: usize,
    /// Items per page of the telephony and workspace listings.
    pub feature_page_size: usize,
    /// Reads `externalId` from SCIM (one more listing; needs `identity:people_read` and
    /// `org_id`).
    pub include_external_id: bool,
    /// Also imports Customer Assist queues (`hasCxEssentials=true`), which the product could
    /// not import.
    pub include_cx_queues: bool,
    /// Which workspaces are fax workspaces. The virtual-objects source leaves them to the fax
    /// source.
    pub fax_rule: FaxRule,
    /// Workspace number lookups in flight at once.
    pub lookup_concurrency: usize,
    /// Read each calling person's and workspace's call-recording external identifier (one
    /// request each, `lookup_concurrency` at a time, reused from the previous snapshot): the
    /// default of PBX Username, Device name and Preferred Device name. Needs
    /// `spark-admin:people_read`. On by default.
    pub recording_ids: bool,
    /// People batches read at once (default 8). More than 1: the listing without calling data
    /// (1,000 a page), then the people in batches of 85 ids with their calling data, this many
    /// at a time, in the listing's order; a `Retry-After` on any of them slows them all down
    /// together. 1: the listing with calling data, one page at a time (the next fetched while
    /// the current is converted).
    pub read_concurrency: usize,
    /// Store each user's avatar image with the user (`WebexUsers::pictures`); on by default.
    pub pictures: bool,
    /// The largest avatar fetched (bytes).
    pub avatar_max_bytes: usize,
    /// Transport settings.
    pub http: ClientOptions,
}

impl WebexConfig {
    /// The defaults, against the public API.
    pub fn new(credentials: WebexCredentials) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            identity_url: None,
            credentials,
            org_id: None,
            send_org_id: false,
            organization_name: None,
            page_size: 100,
            min_page_size: 10,
            feature_page_size: 500,
            include_external_id: false,
            include_cx_queues: false,
            fax_rule: FaxRule::default(),
            lookup_concurrency: 4,
            recording_ids: true,
            read_concurrency: 8,
            pictures: true,
            avatar_max_bytes: 200 * 1024,
            http: ClientOptions::default(),
        }
    }

    /// Points the source at `url` (the `/v1/` root).
    pub fn with_base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// Sets the organisation (UUID or base64 id).
    pub fn with_org_id(mut self, org_id: impl Into<String>) -> Self {
        self.org_id = Some(org_id.into());
        self
    }

    /// The API root and the SCIM root, checked.
    pub(crate) fn urls(&self) -> Result<(Url, Url), ConfigError> {
        let base = root_url("base_url", &self.base_url)?;
        let identity = match &self.identity_url {
            Some(u) => root_url("identity_url", u)?,
            None => base
                .join("../identity/scim/")
                .map_err(|e| ConfigError::new("identity_url", e.to_string()))?,
        };
        Ok((base, identity))
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        self.urls()?;
        if self.page_size == 0 || self.min_page_size == 0 || self.min_page_size > self.page_size {
            return Err(ConfigError::new(
                "page_size",
                "page_size and min_page_size must be at least 1, min_page_size ≤ page_size",
            ));
        }
        if self.read_concurrency == 0 {
            return Err(ConfigError::new("read_concurrency", "must be at least 1"));
        }
        if self.feature_page_size == 0 {
            return Err(ConfigError::new("feature_page_size", "must be at least 1"));
        }
        if let Some(org) = &self.org_id
            && WebexId::decode(org).is_none()
        {
            return Err(ConfigError::new(
                "org_id",
                format!("{org:?} is neither an organization UUID nor a Webex organization id"),
            ));
        }
        if (self.include_external_id || self.send_org_id) && self.org_id.is_none() {
            return Err(ConfigError::new(
                "org_id",
                "required with include_external_id or send_org_id",
            ));
        }
        Ok(())
    }

    /// The organisation UUID, lower-cased, when configured.
    pub(crate) fn org_uuid(&self) -> Option<String> {
        self.org_id
            .as_deref()
            .and_then(WebexId::decode)
            .map(|id| id.segment)
    }

    /// The `orgId` parameter value (base64).
    pub(crate) fn org_param(&self) -> Option<String> {
        let uuid = self.org_uuid()?;
        Some(WebexId::encode("ORGANIZATION", &uuid))
    }
}
