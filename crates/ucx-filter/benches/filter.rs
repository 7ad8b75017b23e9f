//! Parse and evaluation speed, side by side with `ldap3::parse_filter` and
//! `ldap3_proto::parse_ldap_filter_str` on the same corpus.
//!
//! Run: `cargo bench -p ucx-filter --bench filter`. Figures are recorded in docs/performance.md.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ucx_filter::{Filter, FilterSchema, Matcher};

/// Filters an administrator writes, plus RFC 4515 §4's examples (all strict, all accepted by
/// `ldap3` too, so both parsers do the same work).
const CORPUS: &[&str] = &[
    "(department=Sales)",
    "(email=*@company.com)",
    "(phoneNumber=+1555456*)",
    "(&(department=Sales)(location=NYC))",
    "(|(department=Sales)(department=Marketing))",
    "(!(department=Temp))",
    "(&(userType=user)(|(location=NYC)(location=Boston)(location=Chicago))(!(department=Temp*)))",
    "(cn=Babs Jensen)",
    "(!(cn=Tim Howes))",
    "(&(objectClass=Person)(|(sn=Jensen)(cn=Babs J*)))",
    "(o=univ*of*mich*)",
    "(seeAlso=)",
    "(cn:caseExactMatch:=Fred Flintstone)",
    "(cn:=Betty Rubble)",
    "(sn:dn:2.4.6.8.10:=Barney Rubble)",
    "(o:dn:=Ace Industry)",
    "(:1.2.3:=Wilma Flintstone)",
    "(o=Parens R Us \\28for all your parenthetical needs\\29)",
    "(cn=*\\2A*)",
    "(filename=C:\\5cMyFile)",
    "(sn=Lu\\c4\\8di\\c4\\87)",
    "(1.3.6.1.4.1.1466.0=\\04\\02\\48\\69)",
];

fn parse(c: &mut Criterion) {
    let bytes: usize = CORPUS.iter().map(|f| f.len()).sum();
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(CORPUS.len() as u64));
    group.bench_function(
        format!("ucx_filter/{}-filters-{bytes}-bytes", CORPUS.len()),
        |b| {
            b.iter(|| {
                for f in CORPUS {
                    black_box(Filter::parse(black_box(f)).unwrap());
                }
            })
        },
    );
    group.bench_function(
        format!("ldap3/{}-filters-{bytes}-bytes", CORPUS.len()),
        |b| {
            b.iter(|| {
                for f in CORPUS {
                    black_box(ldap3::parse_filter(black_box(f)).unwrap());
                }
            })
        },
    );
    group.finish();

    // `ldap3_proto`'s parser refuses some of the corpus (extensible matches, some escapes): all
    // three parsers again on the filters it accepts.
    let common: Vec<&str> = CORPUS
        .iter()
        .copied()
        .filter(|f| ldap3_proto::parse_ldap_filter_str(f).is_ok())
        .collect();
    let bytes: usize = common.iter().map(|f| f.len()).sum();
    let mut group = c.benchmark_group("parse_common");
    group.throughput(Throughput::Elements(common.len() as u64));
    let name = |parser: &str| format!("{parser}/{}-filters-{bytes}-bytes", common.len());
    group.bench_function(name("ucx_filter"), |b| {
        b.iter(|| {
            for f in &common {
                black_box(Filter::parse(black_box(f)).unwrap());
            }
        })
    });
    group.bench_function(name("ldap3"), |b| {
        b.iter(|| {
            for f in &common {
                black_box(ldap3::parse_filter(black_box(f)).unwrap());
            }
        })
    });
    group.bench_function(name("ldap3_proto"), |b| {
        b.iter(|| {
            for f in &common {
                black_box(ldap3_proto::parse_ldap_filter_str(black_box(f)).unwrap());
            }
        })
    });
    group.finish();
}

/// Synthetic directory records with the attributes a Webex source emits, keys in lower case.
fn records(n: usize) -> Vec<BTreeMap<String, Vec<String>>> {
    let departments = ["Sales", "Marketing", "Engineering", "Support", "Temp"];
    let locations = ["NYC", "Boston", "Chicago", "London", "Milan"];
    let types = ["user", "user", "user", "hunt-group", "workspace"];
    (0..n)
        .map(|i| {
            let mut r = BTreeMap::new();
            let mut put = |k: &str, v: String| {
                r.insert(k.to_owned(), vec![v]);
            };
            put("email", format!("user{i}@company.com"));
            put("department", departments[i % 5].to_owned());
            put("location", locations[(i / 5) % 5].to_owned());
            put(
                "phonenumber",
                format!("+1 555 {:03}-{:04}", i % 1000, i % 10_000),
            );
            put("usertype", types[(i / 25) % 5].to_owned());
            put("firstname", format!("First{i}"));
            put("lastname", format!("Last{i}"));
            put("displayname", format!("First{i} Last{i}"));
            put("extension", format!("{}", 1000 + i % 9000));
            r
        })
        .collect()
}

/// The same records laid out in one buffer each: names sorted in lower case, values as spans.
struct Compact {
    buf: Box<str>,
    /// (name start, name end, first value, value count)
    names: Box<[(u16, u16, u16, u16)]>,
    values: Box<[(u16, u16)]>,
}

impl Compact {
    fn from(map: &BTreeMap<String, Vec<String>>) -> Self {
        let mut buf = String::new();
        let mut names = Vec::new();
        let mut values = Vec::new();
        for (k, vs) in map {
            let start = buf.len() as u16;
            buf.push_str(&k.to_ascii_lowercase());
            names.push((
                start,
                buf.len() as u16,
                values.len() as u16,
                vs.len() as u16,
            ));
            for v in vs {
                let s = buf.len() as u16;
                buf.push_str(v);
                values.push((s, buf.len() as u16));
            }
        }
        Self {
            buf: buf.into(),
            names: names.into(),
            values: values.into(),
        }
    }
}

impl ucx_filter::Attributes for Compact {
    fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        let found = self
            .names
            .binary_search_by(|(s, e, _, _)| self.buf[*s as usize..*e as usize].cmp(name))
            .ok()
            .map(|i| self.names[i]);
        let (first, count) = found
            .map(|(_, _, f, c)| (f as usize, c as usize))
            .unwrap_or((0, 0));
        self.values[first..first + count]
            .iter()
            .map(|(s, e)| &self.buf[*s as usize..*e as usize])
    }
    fn all_values(&self) -> impl Iterator<Item = &str> {
        self.values
            .iter()
            .map(|(s, e)| &self.buf[*s as usize..*e as usize])
    }
}

fn evaluate(c: &mut Criterion) {
    let recs = records(100_000);
    let compact: Vec<Compact> = recs.iter().map(Compact::from).collect();
    let mut group = c.benchmark_group("evaluate");
    group.throughput(Throughput::Elements(recs.len() as u64));
    let cases = [
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
    ];
    for (name, text) in cases {
        let filter = Filter::parse(text).unwrap();
        let matcher: Matcher = FilterSchema::webex_users().compile(&filter).unwrap();
        let hits = recs.iter().filter(|r| matcher.matches(*r)).count();
        group.bench_function(format!("{name}/btreemap/100k-records/{hits}-match"), |b| {
            b.iter(|| {
                recs.iter()
                    .filter(|r| matcher.matches(black_box(*r)))
                    .count()
            })
        });
        group.bench_function(format!("{name}/compact/100k-records/{hits}-match"), |b| {
            b.iter(|| {
                compact
                    .iter()
                    .filter(|r| matcher.matches(black_box(*r)))
                    .count()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse, evaluate);
criterion_main!(benches);
