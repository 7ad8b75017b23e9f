//! What an Entra ID source is configured with.

use ucx_http::secrecy::SecretString;
use ucx_http::{ClientOptions, Url, root_url};

pub use ucx_sync_core::ConfigError;

/// The Microsoft cloud a tenant lives in: tokens and Graph roots differ, and tokens of one are
/// refused by another.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cloud {
    /// The global service (also GCC Moderate).
    #[default]
    Global,
    /// US Government L4 (GCC High).
    UsGov,
    /// US Government L5 (DoD).
    UsGovDod,
    /// China, operated by 21Vianet.
    China,
}

impl Cloud {
    /// The token authority.
    pub fn authority(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com/",
            Cloud::UsGov | Cloud::UsGovDod => "https://login.microsoftonline.us/",
            Cloud::China => "https://login.chinacloudapi.cn/",
        }
    }

    /// The Graph root (without the version).
    pub fn graph(self) -> &'static str {
        match self {
            Cloud::Global => "https://graph.microsoft.com/",
            Cloud::UsGov => "https://graph.microsoft.us/",
            Cloud::UsGovDod => "https://dod-graph.microsoft.us/",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn/",
        }
    }
}

/// How the application proves who it is at the token endpoint.
#[derive(Clone)]
pub enum EntraCredential {
    /// A client secret (its value, not its id).
    Secret(SecretString),
    /// A certificate registered on the application: a signed client assertion (PS256, with the
    /// certificate's SHA-256 thumbprint) replaces the secret.
    Certificate {
        /// The certificate, PEM.
        certificate_pem: String,
        /// Its RSA private key, PEM (PKCS#8 or PKCS#1).
        private_key_pem: SecretString,
    },
}

impl std::fmt::Debug for EntraCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntraCredential::Secret(_) => {
                f.debug_tuple("Secret").field(&ucx_http::REDACTED).finish()
            }
            EntraCredential::Certificate { .. } => f
                .debug_struct("Certificate")
                .field("private_key_pem", &ucx_http::REDACTED)
                .finish_non_exhaustive(),
        }
    }
}

/// Which users are imported. Group objects themselves are never imported: only their users.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Scope {
    /// Every user of the tenant.
    #[default]
    AllUsers,
    /// Members of these groups (object ids).
    Groups(Vec<String>),
    /// Users assigned to this enterprise application (its service principal's object id), and
    /// members of the groups assigned to it — as Entra's own provisioning does.
    Application(String),
}

/// An Entra ID source's settings. [`EntraConfig::new`] gives the defaults; then set the
/// fields. `#[non_exhaustive]`, so a new option is never a breaking change:
///
/// ```compile_fail
/// # use ucx_http::secrecy::SecretString;
/// use ucx_entra::{EntraConfig, EntraCredential};
/// let base = EntraConfig::new("tenant", "client", EntraCredential::Secret(SecretString::from("s")));
/// let c = EntraConfig { include_guests: true, ..base };
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct EntraConfig {
    /// The tenant: its id (GUID) or a verified domain.
    pub tenant: String,
    /// The application (client) id.
    pub client_id: String,
    /// The application's credential.
    pub credential: EntraCredential,
    /// The cloud.
    pub cloud: Cloud,
    /// Overrides the cloud's token authority (tests).
    pub authority_url: Option<String>,
    /// Overrides the cloud's Graph root (tests).
    pub graph_url: Option<String>,
    /// Which users.
    pub scope: Scope,
    /// Group members through nested groups too (`transitiveMembers`). Entra's provisioning
    /// takes direct members only; nested groups are what administrators usually mean.
    pub transitive: bool,
    /// Import guests (`userType` Guest).
    pub include_guests: bool,
    /// Import disabled accounts (`accountEnabled` false). On by default: a suspended account
    /// disappearing from the source would delete its user.
    pub include_disabled: bool,
    /// Users per page: Graph's maximum, 999.
    pub page_size: usize,
    /// The largest photo fetched (bytes).
    pub photo_max_bytes: usize,
    /// Store each user's photo with the user (`EntraUsers::pictures`). Off by default: Graph's
    /// listing says nothing of photo changes, so every pass asks for every user's photo again
    /// (with its ETag), a request per user.
    pub pictures: bool,
    /// The largest picture stored: 200 KB, the users database's limit (seed 000).
    pub picture_max_bytes: usize,
    /// Photo requests in flight at once.
    pub photo_concurrency: usize,
    /// Transport settings.
    pub http: ClientOptions,
}

impl EntraConfig {
    /// The defaults for an application of `tenant`.
    pub fn new(
        tenant: impl Into<String>,
        client_id: impl Into<String>,
        credential: EntraCredential,
    ) -> Self {
        Self {
            tenant: tenant.into(),
            client_id: client_id.into(),
            credential,
            cloud: Cloud::Global,
            authority_url: None,
            graph_url: None,
            scope: Scope::AllUsers,
            transitive: true,
            include_guests: true,
            include_disabled: true,
            page_size: 999,
            photo_max_bytes: 4 * 1024 * 1024,
            pictures: false,
            picture_max_bytes: 200 * 1024,
            photo_concurrency: 4,
            http: ClientOptions::default(),
        }
    }

    /// The token endpoint, the Graph `v1.0/` root and the token scope.
    pub(crate) fn endpoints(&self) -> Result<(Url, Url, String), ConfigError> {
        let tenant = self.tenant.trim();
        if tenant.is_empty() || tenant.contains(['/', '?', '#', ' ']) {
            return Err(ConfigError::new(
                "tenant",
                format!("{tenant:?} is not a tenant id or domain"),
            ));
        }
        if self.client_id.trim().is_empty() {
            return Err(ConfigError::new("client_id", "is empty"));
        }
        let authority = root_url(
            "authority_url",
            self.authority_url
                .as_deref()
                .unwrap_or(self.cloud.authority()),
        )?;
        let graph = root_url(
            "graph_url",
            self.graph_url.as_deref().unwrap_or(self.cloud.graph()),
        )?;
        let token = authority
            .join(&format!("{tenant}/oauth2/v2.0/token"))
            .map_err(|e| ConfigError::new("tenant", e.to_string()))?;
        let scope = format!("{}.default", self.cloud.graph());
        let v1 = graph
            .join("v1.0/")
            .map_err(|e| ConfigError::new("graph_url", e.to_string()))?;
        if !(1..=999).contains(&self.page_size) {
            return Err(ConfigError::new("page_size", "must be between 1 and 999"));
        }
        if let Scope::Groups(ids) = &self.scope
            && ids.is_empty()
        {
            return Err(ConfigError::new("scope.groups", "no group given"));
        }
        Ok((token, v1, scope))
    }
}
