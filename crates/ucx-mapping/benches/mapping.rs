//! Mapping speed: Webex user records through the full default `webex-users` rule set.
//! Run: `cargo bench -p ucx-mapping --bench mapping`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ucx_mapping::RuleSet;
use ucx_sync_core::{ObjectKind, RecordMapper, SourceRecord};

/// A Webex user with every attribute the default rules read.
fn record(i: usize) -> SourceRecord {
    let attrs = [
        ("email", format!("john.smith{i}@company.com")),
        ("firstName", format!("John{i}")),
        ("lastName", "Smith".to_owned()),
        ("displayName", format!("John{i} Smith")),
        ("extension", format!("{}", 6000 + i % 4000)),
        ("esn", format!("33{}", 6000 + i % 4000)),
        ("routingPrefix", "33".to_owned()),
        ("phoneNumber", format!("+4472598{:05}", i % 100_000)),
        ("workPhone", "+44984664564".to_owned()),
        ("mobilePhone", "+44702465646".to_owned()),
        ("faxNumber", "+44984664565".to_owned()),
        ("department", "Sales".to_owned()),
        ("title", "Engineer".to_owned()),
        ("organization.name", "ACME Inc.".to_owned()),
        ("location.name", "London".to_owned()),
        (
            "commonIdentityId",
            format!("6f5c3c2e-1b2a-4c1d-9e8f-{i:012}"),
        ),
        ("nativeUserId", format!("ext-{i:08}")),
        (
            "avatarUrl",
            format!("https://avatar-prod-us-east-2.webexcontent.com/{i:08}~1600"),
        ),
        ("streetAddress", "102 Edith Grove".to_owned()),
        ("postalCode", "SW1".to_owned()),
        ("locality", "London".to_owned()),
        ("region", "Greater London".to_owned()),
        ("country", "United Kingdom".to_owned()),
    ];
    SourceRecord::new(ObjectKind::User, format!("john.smith{i}@company.com"))
        .with_stable_id(format!("6f5c3c2e-{i}"))
        .with_attributes(attrs.into_iter().map(|(k, v)| (k, vec![v])).collect())
}

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("UCX_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rules = RuleSet::builtin("webex-users").unwrap();
    let records: Vec<SourceRecord> = (0..n).map(record).collect();
    let fields = rules.map(&records[0]).unwrap();
    let mut group = c.benchmark_group("map");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function(
        format!(
            "webex-users/{n}-records/{}-every-time-{}-on-create-fields",
            fields.always.len(),
            fields.on_create.len()
        ),
        |b| {
            b.iter(|| {
                for r in &records {
                    black_box(rules.map(black_box(r)).unwrap());
                }
            })
        },
    );
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
