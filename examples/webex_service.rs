//! Embedding a Webex users sync in a service: a source, rules, a filter, a guard and a SQLite
//! users database, synced on a timer. Runs against a loopback mock of Webex serving the
//! bundled fixtures.
//!
//! ```text
//! cargo run --example webex_service
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use ucx_sync::core::{Guard, SourceSetup, Synchronizer, UsersStore};
use ucx_sync::filter::{Filter, Matcher};
use ucx_sync::http::secrecy::SecretString;
use ucx_sync::mapping::RuleSet;
use ucx_sync::store::SqliteStore;
use ucx_sync::webex::{WebexConfig, WebexCredentials, WebexUsers};
use ucx_testkit::fixtures;
use wiremock::MockServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The mock Webex (in a service: the real one, and no base URL override).
    let webex = MockServer::start().await;
    fixtures::webex_directory(&webex).await;
    fixtures::webex_people(&webex, true).await;

    // The source: in production a service app's refresh token, read from a secret store.
    let config = WebexConfig::new(WebexCredentials::AccessToken(SecretString::from(
        "token-from-your-vault",
    )))
    .with_base_url(format!("{}/v1/", webex.uri()))
    .with_org_id("c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4");
    let setup = SourceSetup::new(
        Arc::new(WebexUsers::new(config)?),
        Arc::new(RuleSet::builtin("webex-users")?),
    )
    // Only people with a Webex Calling location.
    .with_filter(Matcher::compile(&Filter::parse("(location=*)")?)?)
    .with_guard(Guard::default());
    let db = std::env::temp_dir().join(format!("webex-service-{}.db", std::process::id()));
    let store = Arc::new(SqliteStore::open(&db)?);
    let sync = Synchronizer::new(store.clone());

    // A service would loop on its own schedule; two rounds show the second changes nothing.
    for round in 1..=2 {
        let records = sync.refresh(&setup).await?;
        let outcome = sync.sync(&setup).await?;
        println!(
            "round {round}: {records} records, {} added, {} updated, {} deleted, {} unchanged",
            outcome.plan.counts.add,
            outcome.plan.counts.update,
            outcome.plan.counts.delete,
            outcome.plan.counts.unchanged
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for u in store.users().await? {
        println!(
            "  {} → extension {}",
            u.key,
            u.fields.get_str("first_extension_number").unwrap_or("-")
        );
    }
    Ok(())
}
