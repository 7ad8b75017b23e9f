//! The Cisco Unified CM source of ucx-sync: end users over the AXL SOAP API.
//!
//! - [`AxlClient`]: hand-built SOAP 1.1 envelopes (`reqwest` through `ucx-http`, `quick-xml`),
//!   Basic authentication, the schema version (11.0, 11.5, 12.0, 12.5, 14.0, 15.0) in `SOAPAction` and namespace
//!   with one fall-back on HTTP 599, the `JSESSIONIDSSO` session cookie, one request in flight.
//!   Answers are read by local name, whatever their element order, prefixes or empty elements.
//! - [`CucmUsers`]: the [`SourceAdapter`](ucx_sync_core::SourceAdapter). A snapshot is filled
//!   in `listUser` pages ([`CucmUsers::fill`], resumable from a [`FillCursor`]) sized to CUCM's
//!   8 MB answer limit, with associated devices and the Microsoft SIP URI from
//!   `executeSQLQuery`; `changes` follows `listChange` and refills when the queue is lost.
//!
//! Faults become typed errors: "Query request too large" shrinks the page, "Maximum AXL Memory
//! Allocation Consumed" and 503 are retried with backoff, 401 is `Auth`, 403 is `Forbidden`
//! (missing AXL role). See `docs/connectors/cucm.md`.
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use ucx_http::secrecy::SecretString;
//! use ucx_sync_core::{ListRequest, SourceAdapter};
//! use ucx_cucm::{CucmConfig, CucmUsers};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let mut config = CucmConfig::new(
//!     "cucm-pub.example.com",
//!     "axl-sync",
//!     SecretString::from(std::env::var("AXL_PASSWORD")?),
//! );
//! config.email_domain = Some("example.com".into());
//! let users = CucmUsers::new(config)?;
//! users.check().await?;
//! let records: Vec<_> = users.list(ListRequest::all()).try_collect().await?;
//! println!("{} users", records.len());
//! # Ok(())
//! # }
//! ```

mod client;
mod config;
/// The SOAP envelopes, public only with the `testing` feature: the schema tests validate
/// them against the AXL XSDs.
#[cfg(feature = "testing")]
pub mod envelope;
#[cfg(not(feature = "testing"))]
#[allow(unreachable_pub)]
mod envelope;
mod error;
mod offline;
mod parse;
mod records;
mod users;
mod version;

pub use client::AxlClient;
pub use config::{ConfigError, CucmConfig, CucmTls};
pub use offline::parse_list_user;
pub use records::normalise_uuid;
pub use users::{CucmUsers, FillCursor, FillPage};
pub use version::AxlVersion;
