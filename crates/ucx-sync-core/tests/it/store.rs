//! MemoryStore keeps the `UserStore` contract (atomic apply, idempotence, stale plans,
//! snapshots, run history): the checks live in `ucx_testkit::store`, shared with every store.

use std::sync::Arc;

use async_trait::async_trait;
use ucx_sync_core::*;
use ucx_testkit::store::{self, StoreFactory};

struct Memory;

#[async_trait]
impl StoreFactory for Memory {
    async fn store(&self, users: Vec<User>) -> Arc<dyn UserStore> {
        Arc::new(MemoryStore::with_users(users))
    }
}

#[tokio::test]
async fn apply_then_replan_gives_no_changes() {
    store::apply_then_replan_gives_no_changes(&Memory)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_stale_plan_changes_nothing() {
    store::a_stale_plan_changes_nothing(&Memory).await.unwrap();
}

#[tokio::test]
async fn snapshots_and_runs_round_trip() {
    store::snapshots_and_runs_round_trip(&Memory).await.unwrap();
}
