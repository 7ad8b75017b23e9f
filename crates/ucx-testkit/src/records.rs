//! Small helpers the connectors' tests and benchmarks share.

use std::collections::BTreeMap;

use ucx_sync_core::SourceRecord;

/// Records by sync key, sorted, for assertions on a listing.
pub fn by_key(records: Vec<SourceRecord>) -> BTreeMap<String, SourceRecord> {
    records
        .into_iter()
        .map(|r| (r.key.as_str().to_owned(), r))
        .collect()
}

/// The first value of attribute `name`.
pub fn attr<'a>(record: &'a SourceRecord, name: &str) -> Option<&'a str> {
    record.attributes.first(name)
}

/// The process's peak resident memory in MB (Linux `VmHWM`); NaN where unavailable.
pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
