//! Incremental refreshes against `ucx-loadgen`'s Graph delta query, through the real client and
//! the pipeline: after a full read, an unchanged refresh costs one delta request, and a change
//! of 100 users plans exactly those 100.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use ucx_sync::core::{DiffOptions, Guard, MemoryStore, SourceSetup, Synchronizer};
use ucx_sync::http::secrecy::SecretString;

const USERS: usize = 3_000;

#[tokio::test(flavor = "multi_thread")]
async fn an_entra_delta_refresh_reads_and_plans_only_the_changed_users() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let t = ucx_loadgen::serve(listener, ucx_loadgen::Tenant::new(USERS)).await;
    let mut c = ucx_sync::entra::EntraConfig::new(
        ucx_loadgen::ENTRA_TENANT,
        "bench-client",
        ucx_sync::entra::EntraCredential::Secret(SecretString::from("bench")),
    );
    c.authority_url = Some(format!("{}/", t.uri()));
    c.graph_url = Some(format!("{}/", t.uri()));
    let setup = SourceSetup {
        adapter: Arc::new(ucx_sync::entra::EntraUsers::new(c).unwrap()),
        filter: None,
        mapper: Arc::new(ucx_sync::mapping::RuleSet::builtin("entra").unwrap()),
        diff: DiffOptions::default(),
        guard: Guard::default(),
        full_every: Some(Duration::from_secs(86_400)),
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
    let (_, changed) = sync.refresh_and_sync(&setup, &|_| {}).await.unwrap();
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
