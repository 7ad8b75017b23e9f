//! The Microsoft Entra ID source of ucx-sync: users read over Microsoft Graph v1.0.
//!
//! - Client-credentials tokens (a secret, or a certificate's signed assertion) from the
//!   identity platform of the configured [`Cloud`], renewed before `expires_in` and after a
//!   401. A token issued without admin consent is reported as such, with what to grant.
//! - [`EntraUsers`]: `/users` with an explicit `$select` and `$top=999`, following
//!   `@odata.nextLink` verbatim (a fresh token on every page; an expired page token restarts
//!   the listing); scoped to all users, to groups (direct or transitive members), or to the
//!   users and groups assigned to an enterprise application — group objects are never
//!   imported. `changes` follows `/users/delta`.
//! - Photos on demand within a size cap ([`GraphClient::photo`]); a safe `$filter` push-down
//!   ([`odata_filter`]).
//!
//! Throttling (429/503 with fractional or absent `Retry-After`) is `ucx-http`'s. See
//! `docs/connectors/entra.md`.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use ucx_http::secrecy::SecretString;
//! use ucx_sync_core::{ListRequest, SourceAdapter};
//! use ucx_entra::{EntraConfig, EntraCredential, EntraUsers, Scope};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = EntraConfig::new(
//!     "6b1f3c2e-8d4a-4f7b-9e21-5c3a7d9b0e14",
//!     "0f4e2d6c-9a3b-4c8e-b1f7-5e2a9d6c3b80",
//!     EntraCredential::Secret(SecretString::from(std::env::var("ENTRA_CLIENT_SECRET")?)),
//! );
//! config.scope = Scope::Groups(vec!["c0ffee00-0000-4000-8000-000000000001".into()]);
//! let users = EntraUsers::new(config)?;
//! users.check().await?;
//! let records: Vec<_> = users.list(ListRequest::all()).try_collect().await?;
//! println!("{} users", records.len());
//! # Ok(())
//! # }
//! ```

mod auth;
mod client;
mod config;
mod error;
mod offline;
mod pushdown;
mod records;
mod users;
mod wire;

pub use client::{EntraPictures, GraphClient, Photo};
pub use config::{Cloud, ConfigError, EntraConfig, EntraCredential, Scope};
pub use offline::parse_users_page;
pub use pushdown::{odata_filter, odata_literal};
pub use users::EntraUsers;
