//! Target user fields: interned names and a packed value set.
//!
//! A users database of a million users with forty fields each must diff within a 1.5 GB budget, so
//! a user's fields are one buffer plus a table of `(name id, end offset)`; names are interned once
//! per process (the field catalog is small and fixed).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, OnceLock, RwLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::borrowed::Str;

/// An interned target field name such as `first_name` or `first_extension_number`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldName(u32);

#[derive(Default)]
struct Interner {
    names: Vec<&'static str>,
    /// hashbrown's default hasher (foldhash): names are looked up for every field of every user
    /// read from the database, and SipHash showed in the profile.
    ids: hashbrown::HashMap<&'static str, u32>,
}

fn interner() -> &'static RwLock<Interner> {
    static INTERNER: OnceLock<RwLock<Interner>> = OnceLock::new();
    INTERNER.get_or_init(Default::default)
}

impl FieldName {
    /// The interned name for `name` (kept as given: field keys are snake_case by convention).
    pub fn new(name: &str) -> FieldName {
        if let Ok(i) = interner().read()
            && let Some(id) = i.ids.get(name)
        {
            return FieldName(*id);
        }
        let mut i = match interner().write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(id) = i.ids.get(name) {
            return FieldName(*id);
        }
        // The set of field names is bounded by configuration; leaking each once is intended.
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let id = u32::try_from(i.names.len()).unwrap_or(u32::MAX);
        i.names.push(leaked);
        i.ids.insert(leaked, id);
        FieldName(id)
    }

    /// The name.
    pub fn as_str(self) -> &'static str {
        let i = match interner().read() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        i.names.get(self.0 as usize).copied().unwrap_or("")
    }
}

impl fmt::Debug for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for FieldName {
    fn from(s: &str) -> Self {
        FieldName::new(s)
    }
}

impl Serialize for FieldName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FieldName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(FieldName::new(&String::deserialize(d)?))
    }
}

/// A set of field values. An empty value is kept as such: in a wanted user it means "clear this
/// field"; the stores do not keep empty values, so "absent" and "empty" compare equal.
///
/// ```
/// use ucx_sync_core::{FieldName, Fields};
/// let f: Fields = [("first_name", "Ann"), ("last_name", "Lee")].into_iter().collect();
/// assert_eq!(f.get(FieldName::new("last_name")), Some("Lee"));
/// assert_eq!(f.get_str("department"), None);
/// ```
#[derive(Clone)]
pub struct Fields {
    repr: Repr,
}

/// The values, and (name, end offset of the value) sorted by name id; owned, or shared by every
/// copy (see [`Fields::shared`]).
#[derive(Clone)]
enum Repr {
    Owned(Box<str>, Box<[(FieldName, u32)]>),
    Shared(Arc<Parts>),
}

/// The values and the index of a shared field set.
type Parts = (Box<str>, Box<[(FieldName, u32)]>);

impl Default for Fields {
    fn default() -> Self {
        Fields::owned(Box::default(), Box::default())
    }
}

impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        self.buf() == other.buf() && self.index() == other.index()
    }
}

impl Eq for Fields {}

impl Fields {
    fn owned(buf: Box<str>, index: Box<[(FieldName, u32)]>) -> Fields {
        Fields {
            repr: Repr::Owned(buf, index),
        }
    }

    /// The same fields, shared: copies of the result cost a reference count, not an allocation
    /// (a mapper hands the same create-only constants to every wanted user).
    pub fn shared(self) -> Fields {
        match self.repr {
            Repr::Owned(buf, index) => Fields {
                repr: Repr::Shared(Arc::new((buf, index))),
            },
            shared @ Repr::Shared(_) => Fields { repr: shared },
        }
    }

    #[inline]
    fn buf(&self) -> &str {
        match &self.repr {
            Repr::Owned(buf, _) => buf,
            Repr::Shared(s) => &s.0,
        }
    }

    #[inline]
    fn index(&self) -> &[(FieldName, u32)] {
        match &self.repr {
            Repr::Owned(_, index) => index,
            Repr::Shared(s) => &s.1,
        }
    }

    #[inline]
    fn value_at(&self, i: usize) -> &str {
        value_in(self.buf(), self.index(), i)
    }

    /// The values and the index, looked up once (for loops over many fields).
    #[inline]
    fn parts(&self) -> (&str, &[(FieldName, u32)]) {
        match &self.repr {
            Repr::Owned(buf, index) => (buf, index),
            Repr::Shared(s) => (&s.0, &s.1),
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: FieldName) -> Option<&str> {
        self.index()
            .binary_search_by_key(&name, |e| e.0)
            .ok()
            .map(|i| self.value_at(i))
    }

    /// The value of the field named `name`, if set.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(FieldName::new(name))
    }

    /// Every field and value, in name-id order.
    pub fn iter(&self) -> impl Iterator<Item = (FieldName, &str)> {
        self.index()
            .iter()
            .enumerate()
            .map(|(i, e)| (e.0, self.value_at(i)))
    }

    /// For every field of `self`: its name, its value here and its value in `other` (`""` when
    /// unset). Both tables are sorted by name id, so this is one merge walk, not a lookup per field.
    pub(crate) fn zip_values<'a>(
        &'a self,
        other: &'a Fields,
    ) -> impl Iterator<Item = (FieldName, &'a str, &'a str)> + 'a {
        let mut j = 0;
        let (buf, index) = self.parts();
        let (other_buf, other_index) = other.parts();
        index.iter().enumerate().map(move |(i, (name, _))| {
            while other_index.get(j).is_some_and(|e| e.0 < *name) {
                j += 1;
            }
            let theirs = match other_index.get(j) {
                Some(e) if e.0 == *name => value_in(other_buf, other_index, j),
                _ => "",
            };
            (*name, value_in(buf, index, i), theirs)
        })
    }

    /// How many fields are set.
    pub fn len(&self) -> usize {
        self.index().len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.index().is_empty()
    }

    /// A copy with `changes` applied: `Some(v)` sets, `None` or an empty value removes.
    pub fn with_changes<'a>(
        &self,
        changes: impl IntoIterator<Item = (FieldName, Option<&'a str>)>,
    ) -> Fields {
        let mut map: BTreeMap<FieldName, String> =
            self.iter().map(|(k, v)| (k, v.to_owned())).collect();
        for (k, v) in changes {
            match v {
                Some(v) if !v.is_empty() => {
                    map.insert(k, v.to_owned());
                }
                _ => {
                    map.remove(&k);
                }
            }
        }
        map.into_iter().collect()
    }

    /// The fields as a map sorted by name text (for output).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_owned()))
            .collect()
    }

    /// Without the empty values (what a store keeps).
    pub fn without_empty(&self) -> Fields {
        self.iter().filter(|(_, v)| !v.is_empty()).collect()
    }
}

/// Value `i` of a field set's values and index.
#[inline]
fn value_in<'a>(buf: &'a str, index: &[(FieldName, u32)], i: usize) -> &'a str {
    let start = if i == 0 {
        0
    } else {
        index.get(i - 1).map_or(0, |e| e.1 as usize)
    };
    let end = index.get(i).map_or(start, |e| e.1 as usize);
    buf.get(start..end).unwrap_or_default()
}

/// Builds a [`Fields`] by writing values into one buffer: a mapper producing forty fields per record
/// for a million records allocates two buffers per record instead of forty strings.
///
/// ```
/// use ucx_sync_core::{FieldName, FieldsBuilder};
/// let mut b = FieldsBuilder::new();
/// b.push(FieldName::new("last_name"), "Lee");
/// b.write(FieldName::new("first_name"), |out| out.push_str("Ann"));
/// let f = b.build();
/// assert_eq!(f.get_str("first_name"), Some("Ann"));
/// ```
#[derive(Debug, Default)]
pub struct FieldsBuilder {
    buf: String,
    /// (name, end of its value in `buf`); a value starts where the previous one ends. Written in
    /// name order, this is already the finished index.
    entries: Vec<(FieldName, u32)>,
}

impl FieldsBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder with room for `fields` fields of `bytes` bytes in all.
    pub fn with_capacity(fields: usize, bytes: usize) -> Self {
        Self {
            buf: String::with_capacity(bytes),
            entries: Vec::with_capacity(fields),
        }
    }

    /// Sets `name` to `value` (a later value for the same name wins).
    pub fn push(&mut self, name: FieldName, value: &str) {
        self.write(name, |out| out.push_str(value));
    }

    /// Sets `name` to what `write` appends to the buffer.
    pub fn write(&mut self, name: FieldName, write: impl FnOnce(&mut String)) {
        write(&mut self.buf);
        self.entries.push((name, offset32(self.buf.len())));
    }

    fn last_start(&self) -> usize {
        match self.entries.len() {
            0 | 1 => 0,
            n => self.entries[n - 2].1 as usize,
        }
    }

    /// The length in bytes of the last field written.
    #[inline]
    pub fn last_len(&self) -> usize {
        self.entries
            .last()
            .map_or(0, |e| e.1 as usize - self.last_start())
    }

    /// The value of the last field written.
    pub fn last(&self) -> Option<&str> {
        let (_, end) = *self.entries.last()?;
        self.buf.get(self.last_start()..end as usize)
    }

    /// Forgets the last field written.
    pub fn discard_last(&mut self) {
        let start = self.last_start();
        if self.entries.pop().is_some() {
            self.buf.truncate(start);
        }
    }

    /// Shortens the last field to `max` characters; returns whether it was longer.
    pub fn truncate_last(&mut self, max: usize) -> bool {
        let start = self.last_start();
        let Some(value) = self.last() else {
            return false;
        };
        // A value of at most `max` bytes has at most `max` characters.
        if value.len() <= max {
            return false;
        }
        match value.char_indices().nth(max) {
            Some((cut, _)) => {
                // A cut value never ends in a space: `CQ_Customer Support` from "Customer
                // Support Queue", as the product writes it.
                let kept = value[..cut].trim_end().len();
                self.buf.truncate(start + kept);
                let end = offset32(self.buf.len());
                if let Some(last) = self.entries.last_mut() {
                    last.1 = end;
                }
                true
            }
            None => false,
        }
    }

    /// The finished field set.
    pub fn build(self) -> Fields {
        // Written in name order with no repeats (a rule set writes them so): the buffer and the
        // entries are already the finished field set.
        if self.entries.windows(2).all(|w| w[0].0 < w[1].0) {
            return Fields::owned(self.buf.into_boxed_str(), self.entries.into_boxed_slice());
        }
        // Otherwise sort (stably) and keep the last of equal names.
        let mut spans: Vec<(FieldName, u32, u32)> = Vec::with_capacity(self.entries.len());
        let mut start = 0;
        for &(name, end) in &self.entries {
            spans.push((name, start, end));
            start = end;
        }
        spans.sort_by_key(|e| e.0);
        let mut buf = String::with_capacity(self.buf.len());
        let mut index: Vec<(FieldName, u32)> = Vec::with_capacity(spans.len());
        for (i, (name, start, end)) in spans.iter().enumerate() {
            if spans.get(i + 1).is_some_and(|next| next.0 == *name) {
                continue;
            }
            buf.push_str(
                self.buf
                    .get(*start as usize..*end as usize)
                    .unwrap_or_default(),
            );
            index.push((*name, offset32(buf.len())));
        }
        Fields::owned(buf.into_boxed_str(), index.into_boxed_slice())
    }
}

fn offset32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<K: Into<FieldName>, V: AsRef<str>> FromIterator<(K, V)> for Fields {
    /// Builds the set; a later value for the same name wins.
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        let mut pairs: Vec<(FieldName, V)> = iter.into_iter().map(|(k, v)| (k.into(), v)).collect();
        // Stable sort, then keep the last of equal names.
        pairs.sort_by_key(|p| p.0);
        let mut buf = String::with_capacity(pairs.iter().map(|p| p.1.as_ref().len()).sum());
        let mut index: Vec<(FieldName, u32)> = Vec::with_capacity(pairs.len());
        let mut i = 0;
        while i < pairs.len() {
            let mut j = i;
            while j + 1 < pairs.len() && pairs[j + 1].0 == pairs[i].0 {
                j += 1;
            }
            buf.push_str(pairs[j].1.as_ref());
            index.push((pairs[j].0, u32::try_from(buf.len()).unwrap_or(u32::MAX)));
            i = j + 1;
        }
        Fields::owned(buf.into_boxed_str(), index.into_boxed_slice())
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.to_map()).finish()
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_map().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Fields {
    /// Reads a JSON object of names to values, borrowing the strings from the input (the users
    /// database is read this way on every plan). A later value for the same name wins.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Fields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of field names to values")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields, A::Error> {
                let mut pairs: Vec<(FieldName, Str<'de>)> =
                    Vec::with_capacity(map.size_hint().unwrap_or(16));
                while let Some((k, v)) = map.next_entry::<Str<'de>, Str<'de>>()? {
                    pairs.push((FieldName::new(k.as_ref()), v));
                }
                Ok(pairs.into_iter().collect())
            }
        }
        d.deserialize_map(V)
    }
}
