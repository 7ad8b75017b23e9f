//! ucx-sync keeps a telephony users database in step with the directories companies already
//! run: Cisco Webex Control Hub, Cisco Unified CM (AXL) and Microsoft Entra ID (Graph).
//!
//! This umbrella crate only re-exports the workspace's crates:
//!
//! - [`filter`]: RFC 4515 data-source filters (`ucx-filter`).
//! - [`core`]: the record model, the `SourceAdapter` trait, diff, guards, stores and the
//!   pipeline (`ucx-sync-core`).
//! - [`mapping`]: the field catalog and the rule engine (`ucx-mapping`).
//!
//! ```
//! use ucx_sync::filter::Filter;
//! let f = Filter::parse("(department=Sales)")?;
//! assert_eq!(f.to_string(), "(department=Sales)");
//! # Ok::<(), ucx_sync::filter::ParseError>(())
//! ```

pub use ucx_filter as filter;
pub use ucx_mapping as mapping;
pub use ucx_sync_core as core;
