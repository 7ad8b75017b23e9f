//! What a filter is evaluated against.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

/// A record's attributes as a filter sees them: multi-valued, looked up by name without regard
/// to ASCII case.
///
/// The matcher passes names in ASCII lower case, so an implementation that stores its keys in lower
/// case can look them up exactly; the map implementations here try an exact lookup first and then
/// compare without case.
pub trait Attributes {
    /// Every value of the attribute `name`; empty when the record has no such attribute.
    fn values(&self, name: &str) -> impl Iterator<Item = &str>;

    /// Every value of every attribute (an extensible match without an attribute tests them all).
    fn all_values(&self) -> impl Iterator<Item = &str>;
}

impl<A: Attributes + ?Sized> Attributes for &A {
    fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        (**self).values(name)
    }
    fn all_values(&self) -> impl Iterator<Item = &str> {
        (**self).all_values()
    }
}

fn find_ignoring_case<'a>(
    mut entries: impl Iterator<Item = (&'a String, &'a Vec<String>)>,
    name: &str,
) -> Option<&'a Vec<String>> {
    entries
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

impl<S: BuildHasher> Attributes for HashMap<String, Vec<String>, S> {
    fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        self.get(name)
            .or_else(|| find_ignoring_case(self.iter(), name))
            .into_iter()
            .flatten()
            .map(String::as_str)
    }
    fn all_values(&self) -> impl Iterator<Item = &str> {
        self.values().flatten().map(String::as_str)
    }
}

impl Attributes for BTreeMap<String, Vec<String>> {
    fn values(&self, name: &str) -> impl Iterator<Item = &str> {
        self.get(name)
            .or_else(|| find_ignoring_case(self.iter(), name))
            .into_iter()
            .flatten()
            .map(String::as_str)
    }
    fn all_values(&self) -> impl Iterator<Item = &str> {
        self.values().flatten().map(String::as_str)
    }
}
