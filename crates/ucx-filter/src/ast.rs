//! The filter syntax tree.
//!
//! Values are kept as the decoded octets of the filter text (`\2a` becomes `*`), because RFC 4515
//! lets a filter carry any octet; attribute names keep the case they were written in, so that
//! printing a parsed filter gives back what the administrator typed, only canonicalised.

use std::fmt;

/// An attribute description: an attribute type (a name such as `cn` or a numeric OID such as
/// `2.5.4.3`) followed by zero or more options (`cn;lang-en`).
///
/// The text is kept as written; comparisons of attribute names elsewhere ignore ASCII case.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AttributeDescription(pub(crate) String);

impl AttributeDescription {
    /// The whole description, options included, as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The attribute type without its options (`cn` for `cn;lang-en`).
    pub fn name(&self) -> &str {
        self.0.split(';').next().unwrap_or(&self.0)
    }

    /// The options after the type (`["lang-en"]` for `cn;lang-en`).
    pub fn options(&self) -> impl Iterator<Item = &str> {
        self.0.split(';').skip(1)
    }

    /// Whether this names `other`, ignoring ASCII case.
    pub fn is(&self, other: &str) -> bool {
        self.0.eq_ignore_ascii_case(other)
    }
}

impl fmt::Debug for AttributeDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for AttributeDescription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A parsed RFC 4515 filter.
///
/// Build one with [`Filter::parse`] (strict) or [`crate::ParseOptions`] (lenient, depth limit);
/// print it back with `Display` (the canonical RFC 4515 string) or [`Filter::to_sexpr`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Filter {
    /// `(&F...)`: every sub-filter matches. Empty only when RFC 4526 `(&)` was accepted (true).
    And(Vec<Filter>),
    /// `(|F...)`: at least one sub-filter matches. Empty only for RFC 4526 `(|)` (false).
    Or(Vec<Filter>),
    /// `(!F)`: the sub-filter does not match.
    Not(Box<Filter>),
    /// `(attr=value)`.
    Equality(AttributeDescription, Vec<u8>),
    /// `(attr>=value)`.
    GreaterOrEqual(AttributeDescription, Vec<u8>),
    /// `(attr<=value)`.
    LessOrEqual(AttributeDescription, Vec<u8>),
    /// `(attr~=value)`.
    Approx(AttributeDescription, Vec<u8>),
    /// `(attr=*)`.
    Present(AttributeDescription),
    /// `(attr=initial*any*...*final)`; at least one `*` was written.
    Substrings(Substrings),
    /// `(attr:dn:rule:=value)` and its shorter forms.
    Extensible(Extensible),
}

/// The parts of a substring assertion. No part is ever empty: RFC 4517 §3.3.30 forbids
/// zero-length substrings, and a missing initial or final part is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Substrings {
    /// The attribute tested.
    pub attr: AttributeDescription,
    /// The part before the first `*`, if any.
    pub initial: Option<Vec<u8>>,
    /// The parts between `*`s, in order.
    pub any: Vec<Vec<u8>>,
    /// The part after the last `*`, if any.
    pub final_: Option<Vec<u8>>,
}

/// An extensible match: `attr [":dn"] [":" rule] ":=" value`, or `[":dn"] ":" rule ":=" value`.
/// At least one of `attr` and `rule` is present.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Extensible {
    /// The attribute tested, or `None` to test every attribute.
    pub attr: Option<AttributeDescription>,
    /// The matching rule (a name or a numeric OID), or `None` for the attribute's equality rule.
    pub rule: Option<String>,
    /// Whether `:dn` was given (match the entry's DN attributes too).
    pub dn: bool,
    /// The assertion value.
    pub value: Vec<u8>,
}

impl Filter {
    /// The nesting depth: 1 for an item, one more for each `&`, `|` or `!` around it.
    pub fn depth(&self) -> usize {
        match self {
            Filter::And(fs) | Filter::Or(fs) => 1 + fs.iter().map(Filter::depth).max().unwrap_or(0),
            Filter::Not(f) => 1 + f.depth(),
            _ => 1,
        }
    }

    /// Every attribute description the filter names, in order of appearance.
    pub fn attributes(&self) -> Vec<&AttributeDescription> {
        let mut out = Vec::new();
        self.visit(&mut |f| {
            if let Some(a) = f.attribute() {
                out.push(a);
            }
        });
        out
    }

    /// The attribute of a leaf filter; `None` for `&`, `|`, `!` and attribute-less extensible
    /// matches.
    pub fn attribute(&self) -> Option<&AttributeDescription> {
        match self {
            Filter::Equality(a, _)
            | Filter::GreaterOrEqual(a, _)
            | Filter::LessOrEqual(a, _)
            | Filter::Approx(a, _)
            | Filter::Present(a) => Some(a),
            Filter::Substrings(s) => Some(&s.attr),
            Filter::Extensible(e) => e.attr.as_ref(),
            Filter::And(_) | Filter::Or(_) | Filter::Not(_) => None,
        }
    }

    /// Calls `f` on this filter and every filter inside it, parents first.
    pub fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Filter)) {
        f(self);
        match self {
            Filter::And(fs) | Filter::Or(fs) => fs.iter().for_each(|c| c.visit(f)),
            Filter::Not(c) => c.visit(f),
            _ => {}
        }
    }
}
