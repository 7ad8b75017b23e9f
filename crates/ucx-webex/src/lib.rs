//! The Webex Control Hub source of ucx-sync: three [`SourceAdapter`](ucx_sync_core::SourceAdapter)s
//! over the Webex REST API.
//!
//! - [`WebexUsers`]: people with calling data (`/v1/people?callingData=true`), joined with
//!   locations and calling locations; keyed by email.
//! - [`WebexVirtualObjects`]: hunt groups, call queues (Customer Assist queues behind an
//!   option), auto attendants, virtual lines and Webex Calling workspaces.
//! - [`WebexFaxWorkspaces`]: the workspaces a [`FaxRule`] selects.
//!
//! All three share [`WebexConfig`]: credentials (a fixed token, or a service app's refresh
//! token renewed from `expires_in`), the organisation (one adapter per organisation; partners
//! send `orgId`), page sizes and options. Transport behaviour (retries honouring `Retry-After`,
//! token renewal after a 401, proxies) comes from `ucx-http`. The attributes each emits are
//! listed in `docs/connectors/webex.md`.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use ucx_http::secrecy::SecretString;
//! use ucx_sync_core::{ListRequest, SourceAdapter};
//! use ucx_webex::{WebexConfig, WebexCredentials, WebexUsers};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = WebexConfig::new(WebexCredentials::RefreshToken {
//!     client_id: "C0ffee".into(),
//!     client_secret: SecretString::from(std::env::var("WEBEX_CLIENT_SECRET")?),
//!     refresh_token: SecretString::from(std::env::var("WEBEX_REFRESH_TOKEN")?),
//! })
//! .with_org_id("c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4");
//! let users = WebexUsers::new(config)?;
//! users.check().await?;
//! let records: Vec<_> = users.list(ListRequest::all()).try_collect().await?;
//! println!("{} users", records.len());
//! # Ok(())
//! # }
//! ```

mod auth;
mod avatar;
mod client;
mod config;
mod error;
mod fax;
mod ids;
mod offline;
mod records;
mod users;
mod virtual_objects;
mod wire;

pub use auth::WebexCredentials;
pub use avatar::{Avatar, AvatarError, ImageFormat, WebexPictures};
pub use client::WebexClient;
pub use config::{ConfigError, DEFAULT_BASE_URL, FaxRule, WebexConfig};
pub use error::WebexStatus;
pub use fax::WebexFaxWorkspaces;
pub use ids::WebexId;
pub use offline::parse_people_page;
pub use users::{WebexUsers, email_push_down};
pub use virtual_objects::WebexVirtualObjects;
