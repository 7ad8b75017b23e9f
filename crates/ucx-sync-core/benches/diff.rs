//! Diff speed: 1,000,000 existing users × 40 fields against the wanted set, 1% changed, and the
//! unchanged re-sync. Run: `cargo bench -p ucx-sync-core --bench diff`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ucx_sync_core::{DiffOptions, RuleLabels, SourceId, diff};

#[path = "support/synthetic.rs"]
mod synthetic;

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("UCX_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let source = SourceId::new("entra:bench");
    let names = synthetic::field_names();
    let rules = RuleLabels::new(names.iter().map(|n| (*n, "every time")));
    let users = synthetic::users(&source, n, &names);
    let changed: Vec<_> = (0..n)
        .map(|i| synthetic::desired(i, &names, &rules))
        .collect();
    let opts = DiffOptions::default();

    let mut group = c.benchmark_group("diff");
    group.sample_size(10);
    group.bench_function(format!("{n}-users-40-fields-1pct-changed"), |b| {
        b.iter(|| {
            let plan = diff(&source, &users, changed.iter().map(Ok), true, &opts);
            assert_eq!(plan.counts.update, n / 100);
            black_box(plan)
        })
    });
    drop(changed);
    // The unchanged re-sync: the wanted side equals the users.
    let same: Vec<_> = (0..n)
        .map(|i| {
            let mut d = synthetic::desired(i, &names, &rules);
            d.always = users[i].fields.clone();
            d
        })
        .collect();
    group.bench_function(format!("{n}-users-40-fields-unchanged"), |b| {
        b.iter(|| {
            let plan = diff(&source, &users, same.iter().map(Ok), true, &opts);
            assert_eq!(plan.counts.unchanged, n);
            black_box(plan)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
