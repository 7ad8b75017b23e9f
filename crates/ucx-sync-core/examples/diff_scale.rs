//! Plans a sync of a synthetic tenant and prints the figures. Two ways:
//!
//! - `prebuilt`: the wanted users exist already; times the diff alone (what the criterion bench
//!   measures), then the unchanged re-sync;
//! - `streamed` (the default): the wanted users are generated one by one and streamed into the
//!   diff, as the pipeline does with the mapper's output; this is the mode to measure peak memory
//!   in, because only the existing users are held.
//!
//! ```sh
//! cargo build --release -p ucx-sync-core --example diff_scale
//! /usr/bin/time -v target/release/examples/diff_scale 1000000 streamed
//! target/release/examples/diff_scale 1000000 prebuilt
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use ucx_sync_core::{Desired, DiffOptions, RuleLabels, SourceId, diff};

#[path = "../benches/support/synthetic.rs"]
mod synthetic;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mode = args.next().unwrap_or_else(|| "streamed".to_owned());
    let source = SourceId::new("entra:bench");
    let names = synthetic::field_names();
    let rules = RuleLabels::new(names.iter().map(|n| (*n, "every time")));
    let opts = DiffOptions::default();

    let t = Instant::now();
    let users = synthetic::users(&source, n, &names);
    println!(
        "built {n} existing users with {} fields each in {:.2?}",
        names.len(),
        t.elapsed()
    );

    let report = |label: &str, took: std::time::Duration, plan: &ucx_sync_core::Plan| {
        let c = plan.counts;
        println!(
            "{label}: {took:.2?} ({:.0} users/s): add {} update {} delete {} unchanged {} conflict {}",
            n as f64 / took.as_secs_f64(),
            c.add,
            c.update,
            c.delete,
            c.unchanged,
            c.conflict
        );
    };

    if mode == "prebuilt" {
        let changed: Vec<Desired> = (0..n)
            .map(|i| synthetic::desired(i, &names, &rules))
            .collect();
        for round in 1..=3 {
            let t = Instant::now();
            let plan = diff(&source, &users, changed.iter().map(Ok), true, &opts);
            report(
                &format!("diff, 1% changed, round {round}"),
                t.elapsed(),
                &plan,
            );
        }
        let same: Vec<Desired> = changed
            .into_iter()
            .zip(&users)
            .map(|(mut d, u)| {
                d.always = u.fields.clone();
                d
            })
            .collect();
        for round in 1..=3 {
            let t = Instant::now();
            let plan = diff(&source, &users, same.iter().map(Ok), true, &opts);
            report(
                &format!("diff, unchanged re-sync, round {round}"),
                t.elapsed(),
                &plan,
            );
        }
    } else {
        let t = Instant::now();
        let desired = (0..n)
            .map(|i| Ok::<_, ucx_sync_core::MappingError>(synthetic::desired(i, &names, &rules)));
        let plan = diff(&source, &users, desired, true, &opts);
        report("generate + diff streamed, 1% changed", t.elapsed(), &plan);
    }
}
