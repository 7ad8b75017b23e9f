//! Filter evaluation on the core's own record attributes (the layout the snapshot holds).
//! Run: `cargo bench -p ucx-sync-core --bench filter_eval`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ucx_filter::{Filter, FilterSchema};
use ucx_sync_core::Attributes;

fn records(n: usize) -> Vec<Attributes> {
    let departments = ["Sales", "Marketing", "Engineering", "Support", "Temp"];
    let locations = ["NYC", "Boston", "Chicago", "London", "Milan"];
    let types = ["user", "user", "user", "hunt-group", "workspace"];
    (0..n)
        .map(|i| {
            [
                ("email", format!("user{i}@company.com")),
                ("department", departments[i % 5].to_owned()),
                ("location", locations[(i / 5) % 5].to_owned()),
                (
                    "phoneNumber",
                    format!("+1 555 {:03}-{:04}", i % 1000, i % 10_000),
                ),
                ("userType", types[(i / 25) % 5].to_owned()),
                ("firstName", format!("First{i}")),
                ("lastName", format!("Last{i}")),
                ("displayName", format!("First{i} Last{i}")),
                ("extension", format!("{}", 1000 + i % 9000)),
            ]
            .into_iter()
            .map(|(k, v)| (k, vec![v]))
            .collect()
        })
        .collect()
}

fn evaluate(c: &mut Criterion) {
    let recs = records(100_000);
    let mut group = c.benchmark_group("evaluate-core-attributes");
    group.throughput(Throughput::Elements(recs.len() as u64));
    for (name, text) in [
        (
            "3-clause",
            "(&(department=Sales)(location=NYC)(!(userType=workspace)))",
        ),
        (
            "substring",
            "(|(email=*@company.com)(phoneNumber=+1555456*))",
        ),
        (
            "or-of-5",
            "(|(location=NYC)(location=Boston)(location=Chicago)(location=Rome)(location=Paris))",
        ),
    ] {
        let matcher = FilterSchema::webex_users()
            .compile(&Filter::parse(text).unwrap())
            .unwrap();
        let hits = recs.iter().filter(|r| matcher.matches(*r)).count();
        group.bench_function(format!("{name}/100k-records/{hits}-match"), |b| {
            b.iter(|| {
                recs.iter()
                    .filter(|r| matcher.matches(black_box(*r)))
                    .count()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, evaluate);
criterion_main!(benches);
