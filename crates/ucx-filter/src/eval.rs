//! Evaluation: a [`Filter`] compiled once into a [`Matcher`] whose `matches` allocates nothing.
//!
//! Semantics (DESIGN.md §7): attribute names and values compare without case, insignificant
//! spaces folded (RFC 4518); a multi-valued attribute matches if any value does; a missing
//! attribute makes an item false (so `(!(a=x))` is true); substrings match in order without
//! overlapping; `>=`/`<=` order the prepared values; `~=` is equality ignoring case and every
//! space; telephone fields ignore spaces, dashes and brackets.

use crate::ast::{AttributeDescription, Extensible, Filter, Substrings};
use crate::attributes::Attributes;
use crate::fold::Fold;
use crate::schema::{Field, FieldKind, FilterSchema, ValidationError};

/// A compiled filter.
///
/// ```
/// use std::collections::BTreeMap;
/// use ucx_filter::{Filter, Matcher};
///
/// let matcher = Matcher::compile(&Filter::parse("(&(department=sales)(email=*@example.com))")?)?;
/// let mut record = BTreeMap::new();
/// record.insert("Department".to_owned(), vec!["  Sales ".to_owned()]);
/// record.insert("email".to_owned(), vec!["Ann@Example.com".to_owned()]);
/// assert!(matcher.matches(&record));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Matcher {
    root: Node,
}

#[derive(Debug, Clone)]
enum Node {
    All(Box<[Node]>),
    Any(Box<[Node]>),
    Not(Box<Node>),
    Const(bool),
    /// A test of one attribute (name in ASCII lower case).
    Attr(Box<str>, Test),
    /// Any of several tests of one attribute (a merged OR).
    AttrAny(Box<str>, Vec<Test>),
    /// A test of every attribute (extensible match without attribute).
    AnyAttr(Test),
}

/// `(|(a=x)(a=y)(b=z))` → `(|(a∈{x,y})(b=z))`: one attribute lookup per name instead of one
/// per alternative (an OR of locations or departments is the most common filter shape).
fn merge_or(nodes: Vec<Node>) -> Node {
    let mut out: Vec<Node> = Vec::with_capacity(nodes.len());
    for node in nodes {
        if let Node::Attr(name, test) = &node
            && !matches!(test, Test::Present)
            && let Some(existing) = out.iter_mut().find(
                |n| matches!(n, Node::AttrAny(other, _) | Node::Attr(other, _) if other == name),
            )
        {
            match existing {
                Node::AttrAny(_, tests) => tests.push(test.clone()),
                Node::Attr(_, first) if !matches!(first, Test::Present) => {
                    *existing = Node::AttrAny(name.clone(), vec![first.clone(), test.clone()]);
                }
                _ => out.push(node),
            }
            continue;
        }
        out.push(node);
    }
    match out.len() {
        1 => out.pop().unwrap_or(Node::Const(false)),
        _ => Node::Any(out.into()),
    }
}

#[derive(Debug, Clone)]
enum Test {
    Present,
    Eq(Fold, Box<str>),
    Ge(Fold, Box<str>),
    Le(Fold, Box<str>),
    Sub {
        fold: Fold,
        initial: Option<Box<str>>,
        any: Box<[Box<str>]>,
        final_: Option<Box<str>>,
    },
}

impl Matcher {
    /// Compiles a filter without a schema: any attribute name is accepted and every value is
    /// text. Fails only on an extensible match with a matching rule this engine does not
    /// implement.
    pub fn compile(filter: &Filter) -> Result<Matcher, ValidationError> {
        compile(filter, None)
    }

    /// Whether the record matches.
    pub fn matches<A: Attributes + ?Sized>(&self, record: &A) -> bool {
        self.root.eval(record)
    }
}

pub(crate) fn compile(
    filter: &Filter,
    schema: Option<&FilterSchema>,
) -> Result<Matcher, ValidationError> {
    Ok(Matcher {
        root: Compiler { schema }.node(filter)?,
    })
}

struct Compiler<'s> {
    schema: Option<&'s FilterSchema>,
}

/// A filter value as text; `None` when it is not UTF-8 (and so can equal no record value).
fn text(v: &[u8]) -> Option<&str> {
    std::str::from_utf8(v).ok()
}

impl Compiler<'_> {
    /// The record attribute (lower case), its field (with a schema) and its default fold.
    fn target(
        &self,
        attr: &AttributeDescription,
    ) -> Result<(Box<str>, Option<&Field>, Fold), ValidationError> {
        match self.schema {
            Some(schema) => {
                let field = schema.resolve(attr.as_str())?;
                Ok((
                    field.attribute().to_ascii_lowercase().into(),
                    Some(field),
                    field.fold(),
                ))
            }
            None => Ok((
                attr.as_str().to_ascii_lowercase().into(),
                None,
                Fold::CaseIgnore,
            )),
        }
    }

    fn check(&self, field: Option<&Field>, v: &[u8]) -> Result<(), ValidationError> {
        match (self.schema, field) {
            (Some(schema), Some(field)) => schema.check_value(field, v, None),
            _ => Ok(()),
        }
    }

    fn node(&self, filter: &Filter) -> Result<Node, ValidationError> {
        Ok(match filter {
            Filter::And(fs) => {
                Node::All(fs.iter().map(|f| self.node(f)).collect::<Result<_, _>>()?)
            }
            Filter::Or(fs) => merge_or(fs.iter().map(|f| self.node(f)).collect::<Result<_, _>>()?),
            Filter::Not(f) => Node::Not(Box::new(self.node(f)?)),
            Filter::Present(a) => Node::Attr(self.target(a)?.0, Test::Present),
            Filter::Equality(a, v) => {
                let (name, field, fold) = self.target(a)?;
                self.check(field, v)?;
                leaf(name, v, |t| Test::Eq(fold, fold.apply(t).into()))
            }
            Filter::Approx(a, v) => {
                let (name, field, fold) = self.target(a)?;
                self.check(field, v)?;
                let fold = if fold == Fold::Phone {
                    fold
                } else {
                    Fold::Approx
                };
                leaf(name, v, |t| Test::Eq(fold, fold.apply(t).into()))
            }
            Filter::GreaterOrEqual(a, v) => {
                let (name, _, fold) = self.target(a)?;
                leaf(name, v, |t| Test::Ge(fold, fold.apply(t).into()))
            }
            Filter::LessOrEqual(a, v) => {
                let (name, _, fold) = self.target(a)?;
                leaf(name, v, |t| Test::Le(fold, fold.apply(t).into()))
            }
            Filter::Substrings(s) => self.substrings(s)?,
            Filter::Extensible(e) => self.extensible(e)?,
        })
    }

    fn substrings(&self, s: &Substrings) -> Result<Node, ValidationError> {
        let (name, field, fold) = self.target(&s.attr)?;
        let parts: Option<Vec<&str>> = s
            .initial
            .iter()
            .chain(&s.any)
            .chain(&s.final_)
            .map(|p| text(p))
            .collect();
        if parts.is_none() {
            return Ok(Node::Const(false));
        }
        let prep = |p: &Option<Vec<u8>>| {
            p.as_deref()
                .and_then(text)
                .map(|t| Box::from(fold.apply(t)))
        };
        let test = Test::Sub {
            fold,
            initial: prep(&s.initial),
            any: s
                .any
                .iter()
                .filter_map(|p| text(p))
                .map(|t| Box::from(fold.apply(t)))
                .collect(),
            final_: prep(&s.final_),
        };
        if let (Some(schema), Some(field)) = (self.schema, field)
            && matches!(field.kind(), FieldKind::Enum(_))
        {
            let matches = |v: &str| test.matches(v);
            schema
                .check_value(field, &[], Some(&matches))
                .map_err(|e| match e {
                    ValidationError::UnknownValue { field, allowed, .. } => {
                        ValidationError::UnknownValue {
                            field,
                            value: Filter::Substrings(s.clone()).to_string(),
                            allowed,
                        }
                    }
                    other => other,
                })?;
        }
        Ok(Node::Attr(name, test))
    }

    fn extensible(&self, e: &Extensible) -> Result<Node, ValidationError> {
        let rule_fold = match e.rule.as_deref() {
            None => None,
            Some(r) if r == "2.5.13.2" || r.eq_ignore_ascii_case("caseIgnoreMatch") => {
                Some(Fold::CaseIgnore)
            }
            Some(r) if r == "2.5.13.5" || r.eq_ignore_ascii_case("caseExactMatch") => {
                Some(Fold::CaseExact)
            }
            Some(r) => return Err(ValidationError::UnsupportedRule { rule: r.to_owned() }),
        };
        // `:dn` asks for the entry's DN attributes to be tested too; records here have no DN,
        // so it changes nothing.
        match &e.attr {
            Some(a) => {
                let (name, field, fold) = self.target(a)?;
                self.check(field, &e.value)?;
                let fold = rule_fold.unwrap_or(fold);
                Ok(leaf(name, &e.value, |t| {
                    Test::Eq(fold, fold.apply(t).into())
                }))
            }
            None => {
                let fold = rule_fold.unwrap_or(Fold::CaseIgnore);
                let Some(t) = text(&e.value) else {
                    return Ok(Node::Const(false));
                };
                let test = Test::Eq(fold, fold.apply(t).into());
                // With a schema, "every attribute" means every filterable field.
                Ok(match self.schema {
                    Some(schema) => Node::Any(
                        schema
                            .fields()
                            .iter()
                            .map(|f| {
                                Node::Attr(f.attribute().to_ascii_lowercase().into(), test.clone())
                            })
                            .collect(),
                    ),
                    None => Node::AnyAttr(test),
                })
            }
        }
    }
}

fn leaf(name: Box<str>, v: &[u8], test: impl FnOnce(&str) -> Test) -> Node {
    match text(v) {
        Some(t) => Node::Attr(name, test(t)),
        None => Node::Const(false),
    }
}

impl Node {
    fn eval<A: Attributes + ?Sized>(&self, record: &A) -> bool {
        match self {
            Node::All(ns) => ns.iter().all(|n| n.eval(record)),
            Node::Any(ns) => ns.iter().any(|n| n.eval(record)),
            Node::Not(n) => !n.eval(record),
            Node::Const(b) => *b,
            Node::Attr(name, test) => {
                let mut values = record.values(name);
                match test {
                    Test::Present => values.next().is_some(),
                    _ => values.any(|v| test.matches(v)),
                }
            }
            Node::AttrAny(name, tests) => record
                .values(name)
                .any(|v| tests.iter().any(|t| t.matches(v))),
            Node::AnyAttr(test) => record.all_values().any(|v| test.matches(v)),
        }
    }
}

impl Test {
    #[inline]
    fn matches(&self, v: &str) -> bool {
        if let Some(fold) = self.fold()
            && is_prepared_ascii(fold, v)
        {
            return self.matches_ascii(fold, v.as_bytes());
        }
        match self {
            Test::Present => true,
            Test::Eq(fold, p) => {
                // Fast path: an exact match needs no preparation.
                v == &**p || fold.iter(v).eq(p.chars())
            }
            Test::Ge(fold, p) => fold.iter(v).cmp(p.chars()).is_ge(),
            Test::Le(fold, p) => fold.iter(v).cmp(p.chars()).is_le(),
            Test::Sub {
                fold,
                initial,
                any,
                final_,
            } => substrings(fold.iter(v), initial.as_deref(), any, final_.as_deref()),
        }
    }
}

impl Test {
    fn fold(&self) -> Option<Fold> {
        match self {
            Test::Present => None,
            Test::Eq(f, _) | Test::Ge(f, _) | Test::Le(f, _) | Test::Sub { fold: f, .. } => {
                Some(*f)
            }
        }
    }

    /// The same tests on an ASCII value whose prepared form differs from it at most by case,
    /// byte by byte. (UTF-8 byte order is code point order, so orderings agree too.)
    fn matches_ascii(&self, fold: Fold, v: &[u8]) -> bool {
        let lower = |b: &u8| {
            if fold == Fold::CaseExact {
                *b
            } else {
                b.to_ascii_lowercase()
            }
        };
        match self {
            Test::Present => true,
            Test::Eq(_, p) => v.len() == p.len() && v.iter().map(lower).eq(p.bytes()),
            Test::Ge(_, p) => v.iter().map(lower).cmp(p.bytes()).is_ge(),
            Test::Le(_, p) => v.iter().map(lower).cmp(p.bytes()).is_le(),
            Test::Sub {
                initial,
                any,
                final_,
                ..
            } => {
                let same = |a: &[u8], p: &[u8]| {
                    a.len() == p.len() && a.iter().map(lower).eq(p.iter().copied())
                };
                let mut rest = v;
                if let Some(p) = initial {
                    let p = p.as_bytes();
                    if rest.len() < p.len() || !same(&rest[..p.len()], p) {
                        return false;
                    }
                    rest = &rest[p.len()..];
                }
                // Keep room for the final part so that it cannot overlap the others.
                let final_len = final_.as_ref().map_or(0, |f| f.len());
                for p in any.iter() {
                    let p = p.as_bytes();
                    let room = rest.len().saturating_sub(final_len);
                    let Some(at) = rest[..room].windows(p.len()).position(|w| same(w, p)) else {
                        return false;
                    };
                    rest = &rest[at + p.len()..];
                }
                match final_ {
                    Some(p) => {
                        rest.len() >= p.len() && same(&rest[rest.len() - p.len()..], p.as_bytes())
                    }
                    None => true,
                }
            }
        }
    }
}

/// Whether `v` is ASCII and already in `fold`'s prepared form apart from letter case: then the
/// byte-level path gives the same answer as the general one.
#[inline]
fn is_prepared_ascii(fold: Fold, v: &str) -> bool {
    let b = v.as_bytes();
    match fold {
        Fold::CaseIgnore | Fold::CaseExact => {
            let mut prev_space = true; // a leading space is not prepared
            for &c in b {
                if c >= 0x80 || (c.is_ascii_whitespace() && (c != b' ' || prev_space)) {
                    return false;
                }
                prev_space = c == b' ';
            }
            !prev_space || b.is_empty()
        }
        Fold::Approx => b.iter().all(|c| c.is_ascii() && !c.is_ascii_whitespace()),
        Fold::Phone => b.iter().all(|c| {
            c.is_ascii()
                && !c.is_ascii_whitespace()
                && !matches!(c, b'-' | b'(' | b')' | b'[' | b']')
        }),
    }
}

/// Ordered, non-overlapping substring match over a prepared value.
fn substrings<I: Iterator<Item = char> + Clone>(
    mut it: I,
    initial: Option<&str>,
    any: &[Box<str>],
    final_: Option<&str>,
) -> bool {
    if let Some(p) = initial {
        for c in p.chars() {
            if it.next() != Some(c) {
                return false;
            }
        }
    }
    for p in any {
        loop {
            let mut probe = it.clone();
            if p.chars().all(|c| probe.next() == Some(c)) {
                it = probe;
                break;
            }
            if it.next().is_none() {
                return false;
            }
        }
    }
    if let Some(p) = final_ {
        let want = p.chars().count();
        let have = it.clone().count();
        if have < want {
            return false;
        }
        return it.skip(have - want).eq(p.chars());
    }
    true
}
