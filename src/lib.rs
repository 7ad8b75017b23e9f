//! ucx-sync keeps a telephony users database in step with the directories companies already
//! run: Cisco Webex Control Hub, Cisco Unified CM (AXL) and Microsoft Entra ID (Graph).
//!
//! This umbrella crate only re-exports the workspace's crates:
//!
//! - [`filter`]: RFC 4515 data-source filters (`ucx-filter`).
//! - [`core`]: the record model, the `SourceAdapter` trait, diff, guards, stores and the
//!   pipeline (`ucx-sync-core`).
//! - [`mapping`]: the field catalog and the rule engine (`ucx-mapping`).
//! - `http` and `webex` (feature `webex`, on by default): the shared HTTP transport
//!   (`ucx-http`) and the Webex Control Hub source (`ucx-webex`).
//! - `cucm` (feature `cucm`, on by default): the Cisco Unified CM source (`ucx-cucm`).
//! - `entra` (feature `entra`, on by default): the Microsoft Entra ID source (`ucx-entra`).
//! - `store` (feature `sqlite`, on by default): the SQLite users database (`ucx-store-sqlite`).
//!
//! Runnable examples against the bundled fixtures over loopback: `cargo run --example
//! webex_service`, `cucm_resume`, `entra_delta`, `custom_rules`.
//!
//! ```
//! use ucx_sync::filter::Filter;
//! let f = Filter::parse("(department=Sales)")?;
//! assert_eq!(f.to_string(), "(department=Sales)");
//! # Ok::<(), ucx_sync::filter::ParseError>(())
//! ```

#[cfg(feature = "cucm")]
pub use ucx_cucm as cucm;
#[cfg(feature = "entra")]
pub use ucx_entra as entra;
pub use ucx_filter as filter;
#[cfg(any(feature = "webex", feature = "cucm", feature = "entra"))]
pub use ucx_http as http;
pub use ucx_mapping as mapping;
#[cfg(feature = "sqlite")]
pub use ucx_store_sqlite as store;
pub use ucx_sync_core as core;
#[cfg(feature = "webex")]
pub use ucx_webex as webex;
