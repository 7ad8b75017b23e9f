//! Incremental refreshes against `ucx-loadgen`'s Graph delta query and AXL change queue, through
//! the real clients and the pipeline: after a full read, an unchanged refresh costs at most
//! three requests, and a change of 100 users plans exactly those 100.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use ucx_sync::core::{MemoryStore, SourceAdapter, SourceSetup, Synchronizer};
use ucx_sync::http::secrecy::SecretString;

const USERS: usize = 3_000;

/// A full read, an unchanged incremental refresh, then one after 100 users moved department.
async fn full_then_incremental(
    t: &ucx_loadgen::Served,
    adapter: Arc<dyn SourceAdapter>,
    rules: &str,
) {
    let setup = {
        let mut v = SourceSetup::new(
            adapter,
            Arc::new(ucx_sync::mapping::RuleSet::builtin(rules).unwrap()),
        );
        v.full_every = Some(Duration::from_secs(86_400));
        v
    };
    let sync = Synchronizer::new(Arc::new(MemoryStore::new()));
    let (n, first) = sync.refresh_and_sync(&setup, &|_| {}).await.unwrap();
    assert_eq!((n, first.plan.counts.add), (USERS, USERS));

    let before = t.stats().requests();
    let (n, same) = sync.refresh_and_sync(&setup, &|_| {}).await.unwrap();
    assert_eq!(n, USERS, "the stored snapshot, brought up to date");
    assert!(same.plan.is_noop(), "{:?}", same.plan.counts);
    let asked = t.stats().requests() - before;
    assert!(asked <= 3, "{asked} requests for an unchanged tenant");

    t.change(100);
    let (n, changed) = sync.refresh_and_sync(&setup, &|_| {}).await.unwrap();
    assert_eq!(n, USERS);
    let c = changed.plan.counts;
    assert_eq!((c.update, c.add, c.delete), (100, 0, 0), "{c:?}");
    assert!(
        changed
            .plan
            .updates
            .iter()
            .all(|u| u.changes.iter().any(|ch| ch.field.as_str() == "department"))
    );
}

async fn tenant() -> ucx_loadgen::Served {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ucx_loadgen::serve(listener, ucx_loadgen::Tenant::new(USERS)).await
}

#[tokio::test(flavor = "multi_thread")]
async fn an_entra_delta_refresh_reads_and_plans_only_the_changed_users() {
    let t = tenant().await;
    let mut c = ucx_sync::entra::EntraConfig::new(
        ucx_loadgen::ENTRA_TENANT,
        "bench-client",
        ucx_sync::entra::EntraCredential::Secret(SecretString::from("bench")),
    );
    c.authority_url = Some(format!("{}/", t.uri()));
    c.graph_url = Some(format!("{}/", t.uri()));
    let adapter = Arc::new(ucx_sync::entra::EntraUsers::new(c).unwrap());
    full_then_incremental(&t, adapter, "entra").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cucm_change_queue_refresh_reads_and_plans_only_the_changed_users() {
    let t = tenant().await;
    let mut c = ucx_sync::cucm::CucmConfig::new(
        format!("{}/axl/", t.uri()),
        "axl-sync",
        SecretString::from("bench"),
    );
    c.http.max_concurrency_per_host = 1;
    let adapter = Arc::new(ucx_sync::cucm::CucmUsers::new(c).unwrap());
    full_then_incremental(&t, adapter, "cucm").await;
}
