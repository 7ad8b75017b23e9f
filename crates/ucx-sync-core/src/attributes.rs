//! The attribute bag of a source record: case-insensitive names, several values each, packed into
//! one buffer so that a snapshot of a large tenant stays small and a filter evaluates quickly
//! (see docs/performance.md: the layout, not the matcher, bounds filter speed).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::borrowed::Str;

/// A record's attributes: names compare without ASCII case, each holds any number of values.
///
/// Immutable once built: build it with [`Attributes::from_iter`] / `collect()` or
/// [`Attributes::with`].
///
/// ```
/// use ucx_sync_core::Attributes;
/// let a: Attributes = [("email", vec!["ann@example.com"]), ("department", vec!["Sales"])]
///     .into_iter()
///     .collect();
/// assert_eq!(a.first("EMAIL"), Some("ann@example.com"));
/// assert_eq!(a.get("Department").collect::<Vec<_>>(), ["Sales"]);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    /// Names and values, concatenated.
    buf: String,
    /// Per attribute, sorted by lower-case name: name span, first value index, value count.
    names: Vec<NameEntry>,
    /// Value spans into `buf`; then, one per name, the span of its first value that is not blank,
    /// trimmed (empty span: none): what mappers read, kept together so that reading them touches
    /// few cache lines.
    values: Vec<(u32, u32)>,
    /// A hash of the lower-case names in order: records of one source share it, so a mapper can
    /// reuse the name-to-slot plan it worked out for the first of them.
    layout: u64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct NameEntry {
    /// The first 8 bytes of the name in ASCII lower case, big-endian: orders like the lower-case
    /// name, so a comparison is usually one integer comparison, and only ties read the name.
    key: u64,
    /// The name as given; compared without ASCII case.
    name: (u32, u32),
    first: u32,
    count: u32,
}

impl NameEntry {
    fn count(&self) -> u32 {
        self.count
    }
}

fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// The first 8 bytes of `s` in ASCII lower case, big-endian, zero-padded: orders like the
/// lower-case `s` on its first 8 bytes.
fn prefix_key(s: &str) -> u64 {
    let mut b = [0u8; 8];
    for (d, c) in b.iter_mut().zip(s.bytes()) {
        *d = c.to_ascii_lowercase();
    }
    u64::from_be_bytes(b)
}

/// An attribute name prepared for [`Attributes::resolve_sorted`]: lower case, with its prefix key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AttributeKey {
    key: u64,
    name: Box<str>,
}

impl AttributeKey {
    /// The key for `name` (lower-cased).
    pub fn new(name: &str) -> Self {
        let name = name.to_ascii_lowercase();
        Self {
            key: prefix_key(&name),
            name: name.into(),
        }
    }

    /// The lower-case name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn offset(n: usize) -> u32 {
    // A record over 4 GiB is not a directory entry; clamp rather than wrap.
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Attributes {
    fn span(&self, (s, e): (u32, u32)) -> &str {
        self.buf.get(s as usize..e as usize).unwrap_or_default()
    }

    fn name_of(&self, e: &NameEntry) -> &str {
        self.span(e.name)
    }

    fn find(&self, name: &str) -> Option<&NameEntry> {
        self.find_index(name).and_then(|i| self.names.get(i))
    }

    fn find_index(&self, name: &str) -> Option<usize> {
        // Filters pass names in lower case: the prefix key path then; otherwise fold both sides.
        let found = if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.names
                .binary_search_by(|e| cmp_ignore_case(self.span(e.name), name))
        } else {
            let key = prefix_key(name);
            self.names
                .binary_search_by(|e| self.cmp_entry(e, key, name))
        };
        found.ok()
    }

    /// Every value of `name` (compared without ASCII case).
    pub fn get<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + use<'a> {
        let (first, count) = self
            .find(name)
            .map_or((0, 0), |e| (e.first as usize, e.count() as usize));
        self.values
            .get(first..first + count)
            .unwrap_or_default()
            .iter()
            .map(|s| self.span(*s))
    }

    /// The first value of `name`.
    pub fn first(&self, name: &str) -> Option<&str> {
        self.get(name).next()
    }

    /// The first value of `name` that is not blank, trimmed (worked out when the bag is built).
    pub fn first_non_empty(&self, name: &str) -> Option<&str> {
        self.find_index(name).and_then(|j| self.filled(j))
    }

    /// The first non-blank value of entry `j`, trimmed.
    fn filled(&self, j: usize) -> Option<&str> {
        let at = self.values.len() - self.names.len() + j;
        let span = *self.values.get(at)?;
        (span.0 < span.1).then(|| self.span(span))
    }

    /// Orders entry `e` against a lower-case name with prefix key `key`: the key decides most
    /// comparisons without reading the name.
    fn cmp_entry(&self, e: &NameEntry, key: u64, name: &str) -> Ordering {
        e.key.cmp(&key).then_with(|| {
            let stored = self
                .buf
                .as_bytes()
                .get(e.name.0 as usize..e.name.1 as usize)
                .unwrap_or_default();
            stored.iter().map(u8::to_ascii_lowercase).cmp(name.bytes())
        })
    }

    /// Walks `names` (sorted) and this bag's names together, calling `found(i, j)` when
    /// `names[i]` is entry `j`.
    fn merge(&self, names: &[AttributeKey], mut found: impl FnMut(usize, usize)) {
        let mut j = 0;
        for (i, name) in names.iter().enumerate() {
            while let Some(e) = self.names.get(j) {
                match self.cmp_entry(e, name.key, &name.name) {
                    Ordering::Less => j += 1,
                    Ordering::Equal => {
                        found(i, j);
                        j += 1;
                        break;
                    }
                    Ordering::Greater => break,
                }
            }
        }
    }

    /// Looks up many names at once: `names` sorted, `out` as long, `out[i]` set to the
    /// first non-empty value of `names[i]`. One merge walk of both sorted lists, instead of a
    /// binary search per name: what a mapper reading twenty attributes per record wants.
    pub fn resolve_sorted<'a>(&'a self, names: &[AttributeKey], out: &mut [Option<&'a str>]) {
        out.fill(None);
        self.merge(names, |i, j| {
            if let Some(slot) = out.get_mut(i) {
                *slot = self.filled(j);
            }
        });
    }

    /// The layout fingerprint: equal for bags with the same names (see [`Attributes::plan`]).
    pub fn layout(&self) -> u64 {
        self.layout
    }

    /// Works out where each of `names` (sorted) sits in this bag: the plan
    /// [`Attributes::resolve_planned`] follows for every bag of the same layout.
    pub fn plan(&self, names: &[AttributeKey]) -> Vec<Option<u16>> {
        let mut plan = vec![None; names.len()];
        self.merge(names, |i, j| plan[i] = u16::try_from(j).ok());
        plan
    }

    /// Looks `names` up by a plan made on a bag of the same layout. Returns `false`, leaving
    /// `out` unspecified, when the plan does not fit this bag (then use
    /// [`Attributes::resolve_sorted`]).
    pub fn resolve_planned<'a>(
        &'a self,
        names: &[AttributeKey],
        plan: &[Option<u16>],
        out: &mut [Option<&'a str>],
    ) -> bool {
        if plan.len() != names.len() || out.len() != names.len() {
            return false;
        }
        // The fingerprint (checked by the caller) says the names are the same; a bag with a
        // different number of them is surely another layout.
        let Some(last) = plan.iter().flatten().max() else {
            out.fill(None);
            return true;
        };
        if usize::from(*last) >= self.names.len() {
            return false;
        }
        for (slot, step) in out.iter_mut().zip(plan) {
            *slot = step.and_then(|j| self.filled(usize::from(j)));
        }
        true
    }

    /// Whether `name` has at least one value.
    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_some_and(|e| e.count() > 0)
    }

    /// Every attribute name with its values, in order of lower-case name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, impl Iterator<Item = &str>)> {
        self.names.iter().map(|e| {
            let vals = self
                .values
                .get(e.first as usize..(e.first + e.count()) as usize)
                .unwrap_or_default();
            (self.name_of(e), vals.iter().map(|s| self.span(*s)))
        })
    }

    /// How many attributes there are.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// A copy with `name` set to `values` (replacing what it had).
    pub fn with<I, V>(&self, name: &str, values: I) -> Attributes
    where
        I: IntoIterator<Item = V>,
        V: AsRef<str>,
    {
        let mut map = self.to_map();
        map.retain(|k, _| !k.eq_ignore_ascii_case(name));
        map.insert(
            name.to_owned(),
            values.into_iter().map(|v| v.as_ref().to_owned()).collect(),
        );
        map.into_iter().collect()
    }

    /// The attributes as a map (names as stored).
    pub fn to_map(&self) -> BTreeMap<String, Vec<String>> {
        self.iter()
            .map(|(k, vs)| (k.to_owned(), vs.map(str::to_owned).collect()))
            .collect()
    }
}

impl<K, I, V> FromIterator<(K, I)> for Attributes
where
    K: AsRef<str>,
    I: IntoIterator<Item = V>,
    V: AsRef<str>,
{
    /// Builds the bag; names that differ only in case are merged, their values appended in order.
    fn from_iter<T: IntoIterator<Item = (K, I)>>(iter: T) -> Self {
        let mut pending: Vec<(K, Vec<V>)> = iter
            .into_iter()
            .map(|(k, vs)| (k, vs.into_iter().collect()))
            .collect();
        pending.sort_by(|a, b| cmp_ignore_case(a.0.as_ref(), b.0.as_ref()));
        let bytes: usize = pending
            .iter()
            .map(|(k, vs)| k.as_ref().len() + vs.iter().map(|v| v.as_ref().len()).sum::<usize>())
            .sum();
        let values = pending.iter().map(|(_, vs)| vs.len() + 1).sum();
        let mut b = Builder::with_capacity(bytes, pending.len(), values);
        for (name, vals) in &pending {
            b.name(name.as_ref());
            for v in vals {
                b.value(v.as_ref());
            }
        }
        b.finish()
    }
}

impl Attributes {
    /// Builds the bag from `(name, value)` pairs; a name given several times (in any case) has
    /// those values, in order. The cheap way for a connector to build a record: no list per
    /// name.
    ///
    /// ```
    /// let a = ucx_sync_core::Attributes::from_pairs([("mail", "a@x"), ("cn", "A"), ("Mail", "b@x")]);
    /// assert_eq!(a.get("mail").collect::<Vec<_>>(), ["a@x", "b@x"]);
    /// ```
    pub fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Attributes {
        // Sorted by the 8-byte folded prefix first: most comparisons are one integer compare.
        let mut pairs: Vec<(u64, K, V)> = pairs
            .into_iter()
            .map(|(k, v)| (prefix_key(k.as_ref()), k, v))
            .collect();
        // Stable: values of one name keep their order.
        pairs.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| cmp_ignore_case(a.1.as_ref(), b.1.as_ref()))
        });
        let bytes = pairs
            .iter()
            .map(|(_, k, v)| k.as_ref().len() + v.as_ref().len())
            .sum();
        let mut b = Builder::with_capacity(bytes, pairs.len(), 2 * pairs.len());
        for (_, name, value) in &pairs {
            b.name(name.as_ref());
            b.value(value.as_ref());
        }
        b.finish()
    }
}

/// Lays out a bag from names in sorted order, each followed by its values.
struct Builder {
    out: Attributes,
}

impl Builder {
    /// Exact (or upper-bound) sizes up front: one allocation each, side by side, no shrinking
    /// afterwards.
    fn with_capacity(bytes: usize, names: usize, values: usize) -> Self {
        Self {
            out: Attributes {
                buf: String::with_capacity(bytes),
                names: Vec::with_capacity(names),
                values: Vec::with_capacity(values),
                layout: 0,
            },
        }
    }

    /// Starts `name`, or continues the previous name when equal without case.
    fn name(&mut self, name: &str) {
        let out = &mut self.out;
        let key = prefix_key(name);
        let merge = out
            .names
            .last()
            .is_some_and(|last| last.key == key && out.name_of(last).eq_ignore_ascii_case(name));
        if !merge {
            let start = offset(out.buf.len());
            out.buf.push_str(name);
            out.names.push(NameEntry {
                key,
                name: (start, offset(out.buf.len())),
                first: offset(out.values.len()),
                count: 0,
            });
        }
    }

    /// Adds a value to the current name.
    fn value(&mut self, v: &str) {
        let out = &mut self.out;
        let start = offset(out.buf.len());
        out.buf.push_str(v);
        out.values.push((start, offset(out.buf.len())));
        if let Some(last) = out.names.last_mut() {
            last.count += 1;
        }
    }

    fn finish(self) -> Attributes {
        let mut out = self.out;
        // The first non-blank value of each name, trimmed, after the values (written in place:
        // a temporary allocation here would scatter records over the heap).
        for j in 0..out.names.len() {
            let e = out.names[j];
            let span = out
                .values
                .get(e.first as usize..(e.first + e.count()) as usize)
                .unwrap_or_default()
                .iter()
                .find_map(|&(s, end)| {
                    let v = out.buf.get(s as usize..end as usize).unwrap_or_default();
                    let t = v.trim();
                    (!t.is_empty()).then(|| {
                        let lead = offset(v.len() - v.trim_start().len());
                        (s + lead, s + lead + offset(t.len()))
                    })
                })
                .unwrap_or((0, 0));
            out.values.push(span);
        }
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for e in &out.names {
            for b in out
                .buf
                .as_bytes()
                .get(e.name.0 as usize..e.name.1 as usize)
                .unwrap_or_default()
            {
                h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0000_0100_0000_01b3);
            }
            h = (h ^ 0xff).wrapping_mul(0x0000_0100_0000_01b3);
        }
        // An empty bag keeps the layout of `Attributes::default()`, so the two compare equal.
        out.layout = if out.names.is_empty() { 0 } else { h };
        out
    }
}

impl ucx_filter::Attributes for Attributes {
    fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        self.get(name)
    }
    fn all_values(&self) -> impl Iterator<Item = &str> {
        let n = self.values.len() - self.names.len();
        self.values.iter().take(n).map(|s| self.span(*s))
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, vs)| (k, vs.collect::<Vec<_>>())))
            .finish()
    }
}

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// One name's values, written as a list without collecting them first.
        struct ValueList<'a>(&'a Attributes, NameEntry);
        impl Serialize for ValueList<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let spans = self
                    .0
                    .values
                    .get(self.1.first as usize..(self.1.first + self.1.count()) as usize)
                    .unwrap_or_default();
                s.collect_seq(spans.iter().map(|&span| self.0.span(span)))
            }
        }
        s.collect_map(
            self.names
                .iter()
                .map(|e| (self.name_of(e), ValueList(self, *e))),
        )
    }
}

impl<'de> Deserialize<'de> for Attributes {
    /// Reads the map `Serialize` writes (name → values) straight into the packed layout,
    /// borrowing the strings from the input: snapshots of a million records are read this way.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Attributes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of attribute names to lists of values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Attributes, A::Error> {
                // Names with the range of their values in `values`.
                let mut names: Vec<(Str<'de>, std::ops::Range<usize>)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(16));
                let mut values: Vec<Str<'de>> = Vec::with_capacity(names.capacity() * 2);
                while let Some(name) = map.next_key::<Str<'de>>()? {
                    let start = values.len();
                    map.next_value_seed(Values(&mut values))?;
                    names.push((name, start..values.len()));
                }
                // What `Serialize` wrote is already in order; anything else is sorted here.
                if !names.is_sorted_by(|a, b| cmp_ignore_case(a.0.as_ref(), b.0.as_ref()).is_le()) {
                    names.sort_by(|a, b| cmp_ignore_case(a.0.as_ref(), b.0.as_ref()));
                }
                let bytes = names.iter().map(|(n, _)| n.as_ref().len()).sum::<usize>()
                    + values.iter().map(|v| v.as_ref().len()).sum::<usize>();
                let mut b = Builder::with_capacity(bytes, names.len(), values.len() + names.len());
                for (name, range) in &names {
                    b.name(name.as_ref());
                    for v in values.get(range.clone()).unwrap_or_default() {
                        b.value(v.as_ref());
                    }
                }
                Ok(b.finish())
            }
        }

        /// Appends one name's list of values.
        struct Values<'a, 'de>(&'a mut Vec<Str<'de>>);
        impl<'de> DeserializeSeed<'de> for Values<'_, 'de> {
            type Value = ();
            fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_seq(self)
            }
        }
        impl<'de> Visitor<'de> for Values<'_, 'de> {
            type Value = ();
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                while let Some(v) = seq.next_element::<Str<'de>>()? {
                    self.0.push(v);
                }
                Ok(())
            }
        }

        d.deserialize_map(V)
    }
}
