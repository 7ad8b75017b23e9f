//! A service that brings its own `reqwest::Client` and keeps users in a database of its own
//! (here a `HashMap`), syncing them from Webex; snapshots and runs go to a store of ours.
//! `cargo run --example embedded_users`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ucx_sync::core::{
    MemoryStore, Plan, SourceSetup, StoreError, Synchronizer, User, UserId, UsersStore, async_trait,
};
use ucx_sync::http::{ClientOptions, secrecy::SecretString};
use ucx_sync::webex::{WebexConfig, WebexCredentials, WebexUsers};

/// The service's users, by id, with the next free id.
#[derive(Debug, Default)]
struct ServiceUsers(Mutex<(HashMap<UserId, User>, u64)>);

#[async_trait]
impl UsersStore for ServiceUsers {
    async fn users(&self) -> Result<Vec<User>, StoreError> {
        let mut users: Vec<User> = self.0.lock().unwrap().0.values().cloned().collect();
        users.sort_by_key(|u| u.id.0);
        Ok(users)
    }

    /// All or nothing: the plan is checked and applied on a copy, then swapped in.
    async fn apply(&self, plan: &Plan) -> Result<(), StoreError> {
        let mut db = self.0.lock().unwrap();
        let mut current: Vec<User> = db.0.values().cloned().collect();
        current.sort_by_key(|u| u.id.0);
        let (users, next) = plan.apply_to(&current, db.1.max(1))?;
        *db = (users.into_iter().map(|u| (u.id, u)).collect(), next);
        Ok(())
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A loopback Webex serving the bundled fixtures; a service talks to the real one.
    let webex = wiremock::MockServer::start().await;
    ucx_testkit::fixtures::webex_directory(&webex).await;
    ucx_testkit::fixtures::webex_people(&webex, true).await;

    // The service's own HTTP client: its user agent, pool, resolver, tracing.
    let client = ucx_sync::http::reqwest::Client::builder()
        .user_agent("billing-service/2.1")
        .build()?;
    let mut config = WebexConfig::new(WebexCredentials::AccessToken(SecretString::from("t")))
        .with_base_url(format!("{}/v1/", webex.uri()))
        .with_org_id("c71d77a3-36a7-5f3b-bd71-1f2e3fe169b4");
    config.http = ClientOptions::default().with_client(client);
    let setup = SourceSetup::new(
        Arc::new(WebexUsers::new(config)?),
        Arc::new(ucx_sync::mapping::RuleSet::builtin("webex-users")?),
    );

    let users = Arc::new(ServiceUsers::default());
    let ours = Arc::new(MemoryStore::new());
    let sync = Synchronizer::with_stores(users.clone(), ours.clone(), ours);
    for round in 1..=2 {
        let (read, outcome) = sync.refresh_and_sync(&setup, &|_| {}).await?;
        let c = outcome.plan.counts;
        println!(
            "round {round}: {read} read, {} added, {} unchanged",
            c.add, c.unchanged
        );
    }
    for u in users.users().await? {
        println!(
            "  {} {}",
            u.key,
            u.fields.get_str("first_extension_number").unwrap_or("-")
        );
    }
    Ok(())
}
