//! When each source is due: fixed slots of its interval, the same on every worker.
//!
//! A source synced every `every` runs once per slot `[start, start + every)`. Slot boundaries
//! are computed from the clock alone (Unix time, shifted by an offset drawn from the source's
//! name), so every worker agrees on them without talking to the others, and the job of a slot
//! has one name (`source@start`) that the queue's unique index keeps to one row however many
//! workers enqueue it. The offset spreads sources of one interval over it instead of starting
//! them all at the same instant on the hour.

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};

/// A source and how often it is synced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    /// The source's name in the configuration (what the job carries).
    pub name: String,
    /// Its interval.
    pub every: Duration,
}

impl Scheduled {
    /// `name`, synced every `every` (at least a second).
    pub fn new(name: impl Into<String>, every: Duration) -> Self {
        Self {
            name: name.into(),
            every: every.max(Duration::from_secs(1)),
        }
    }

    /// Where this source's slots start within its interval, in seconds: the same on every
    /// worker, different from source to source.
    pub fn offset_secs(&self) -> i64 {
        let hash = Sha256::digest(self.name.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&hash[..8]);
        (u64::from_be_bytes(first) % self.every_secs() as u64) as i64
    }

    fn every_secs(&self) -> i64 {
        i64::try_from(self.every.as_secs())
            .unwrap_or(i64::MAX)
            .max(1)
    }

    /// The start of the slot `now` falls in.
    pub fn slot_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let every = self.every_secs();
        let offset = self.offset_secs();
        let since = now.timestamp() - offset;
        let start = since.div_euclid(every) * every + offset;
        Utc.timestamp_opt(start, 0).single().unwrap_or(now)
    }

    /// The start of the slot after the one `now` falls in.
    pub fn next_slot(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.slot_start(now) + chrono::Duration::seconds(self.every_secs())
    }

    /// When the workers next sync this source, given when its last run started: the start of
    /// the slot `now` falls in if that slot has not run yet (due now), else the next slot's.
    pub fn next_run(
        &self,
        now: DateTime<Utc>,
        last_started: Option<DateTime<Utc>>,
    ) -> DateTime<Utc> {
        let start = self.slot_start(now);
        match last_started {
            Some(t) if t >= start => self.next_slot(now),
            _ => start,
        }
    }

    /// The job's name for the slot starting at `start`: one row per source and slot.
    pub fn job_key(&self, start: DateTime<Utc>) -> String {
        format!("{}@{}", self.name, start.timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
    }

    #[test]
    fn a_slot_holds_now_and_is_one_interval_long() {
        let s = Scheduled::new("webex", Duration::from_secs(6 * 3600));
        for now in [0, 1, 21_599, 21_600, 1_765_000_000, 1_765_012_345] {
            let start = s.slot_start(at(now));
            assert!(start <= at(now), "{now}: {start}");
            assert!(at(now) < s.next_slot(at(now)), "{now}");
            assert_eq!((s.next_slot(at(now)) - start).num_seconds(), 21_600);
            assert_eq!(
                (start.timestamp() - s.offset_secs()).rem_euclid(21_600),
                0,
                "slots start at the source's offset"
            );
        }
    }

    #[test]
    fn every_moment_of_a_slot_names_the_same_job() {
        let s = Scheduled::new("cucm-hq", Duration::from_secs(600));
        let start = s.slot_start(at(1_765_000_000));
        let key = s.job_key(start);
        for t in start.timestamp()..start.timestamp() + 600 {
            assert_eq!(s.job_key(s.slot_start(at(t))), key);
        }
        assert_ne!(s.job_key(s.slot_start(at(start.timestamp() + 600))), key);
    }

    #[test]
    fn the_next_run_is_now_until_the_slot_has_run() {
        let s = Scheduled::new("entra", Duration::from_secs(3600));
        let now = at(1_765_000_000);
        let start = s.slot_start(now);
        assert_eq!(s.next_run(now, None), start, "never run: due");
        let before = start - chrono::Duration::seconds(1);
        assert_eq!(
            s.next_run(now, Some(before)),
            start,
            "last run in the slot before"
        );
        assert_eq!(
            s.next_run(now, Some(start)),
            s.next_slot(now),
            "this slot ran"
        );
    }

    #[test]
    fn sources_of_one_interval_start_at_different_offsets() {
        let offsets: std::collections::HashSet<i64> = (0..10)
            .map(|i| Scheduled::new(format!("org-{i}"), Duration::from_secs(21_600)).offset_secs())
            .collect();
        assert!(offsets.len() >= 9, "{offsets:?}");
    }
}
