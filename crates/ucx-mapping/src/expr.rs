//! Rule expressions: how a field's value is computed from a source record.
//!
//! ```text
//! expr     = alt *( "|" alt )          first alternative with a value ("ESN or Phone Number")
//! alt      = term *( "+" term )        concatenation; empty if any attribute in it is empty
//! term     = "(" expr ")" / "'" text "'" / "$" name / name "(" [expr] ")" / attribute
//! template = text with {expr} placeholders; a missing placeholder drops with its separator
//! ```
//!
//! A string containing `{` is a template, anything else an expression. Functions: `lower`, `upper`,
//! `local` (before `@`), `domain` (after `@`), `digits` (digits only), `acronym()` (the kind's
//! acronym: HG, CQ, AA, VL, WS, WSF).

use std::fmt;

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, multispace0};
use nom::combinator::recognize;
use nom::multi::separated_list1;
use nom::sequence::{delimited, pair, preceded};
use nom::{IResult, Parser};
use ucx_sync_core::SourceRecord;

/// A parsed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// A source attribute: the name as written, and in lower case for the lookup (record
    /// attributes are looked up without case, fastest with a lower-case name).
    /// The third part is the attribute's slot in its rule set (see [`Expr::eval`]).
    Attr(Box<str>, Box<str>, usize),
    /// A constant.
    Lit(Box<str>),
    /// A rule-set parameter, resolved when the rules are compiled.
    Param(Box<str>),
    /// `a + b + ...`.
    Concat(Vec<Expr>),
    /// `a | b | ...`.
    Coalesce(Vec<Expr>),
    /// A template: text before the first placeholder, then (separator, placeholder) pairs, then
    /// the text after the last.
    Template {
        /// Text before the first placeholder.
        prefix: Box<str>,
        /// Each placeholder with the text before it.
        parts: Vec<(Box<str>, Expr)>,
        /// Text after the last placeholder.
        suffix: Box<str>,
    },
    /// A function applied to an expression.
    Call(Func, Box<Expr>),
    /// The record kind's acronym.
    Acronym,
}

/// The functions an expression can call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// Lower case.
    Lower,
    /// Upper case.
    Upper,
    /// The part of an email before `@`.
    Local,
    /// The part of an email after `@`.
    Domain,
    /// Only the digits.
    Digits,
}

/// An expression that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid expression {text:?} at character {offset}: {message}")]
pub struct ExprError {
    /// The expression text.
    pub text: String,
    /// Where (in characters).
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

type Res<'a, T> = IResult<&'a str, T>;

fn ident(i: &str) -> Res<'_, &str> {
    recognize(pair(
        take_while1(|c: char| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-'),
    ))
    .parse(i)
}

fn literal(i: &str) -> Res<'_, Expr> {
    let (rest, body) = delimited(char('\''), take_while(|c| c != '\''), char('\'')).parse(i)?;
    Ok((rest, Expr::Lit(body.into())))
}

fn param(i: &str) -> Res<'_, Expr> {
    let (rest, name) = preceded(char('$'), ident).parse(i)?;
    Ok((rest, Expr::Param(name.into())))
}

fn call_or_attr(i: &str) -> Res<'_, Expr> {
    let (rest, name) = ident(i)?;
    let (after_ws, _) = multispace0(rest)?;
    if let Some(args) = after_ws.strip_prefix('(') {
        let (args, _) = multispace0(args)?;
        if name == "acronym" {
            let (rest, _) = preceded(multispace0, char(')')).parse(args)?;
            return Ok((rest, Expr::Acronym));
        }
        let func = match name {
            "lower" => Func::Lower,
            "upper" => Func::Upper,
            "local" => Func::Local,
            "domain" => Func::Domain,
            "digits" => Func::Digits,
            _ => {
                return Err(nom::Err::Failure(nom::error::Error::new(
                    i,
                    nom::error::ErrorKind::Verify,
                )));
            }
        };
        let (rest, inner) = expr(args)?;
        let (rest, _) = preceded(multispace0, char(')')).parse(rest)?;
        return Ok((rest, Expr::Call(func, Box::new(inner))));
    }
    Ok((
        rest,
        Expr::Attr(name.into(), name.to_ascii_lowercase().into(), usize::MAX),
    ))
}

fn term(i: &str) -> Res<'_, Expr> {
    preceded(
        multispace0,
        alt((
            delimited(char('('), expr, preceded(multispace0, char(')'))),
            literal,
            param,
            call_or_attr,
        )),
    )
    .parse(i)
}

fn concat(i: &str) -> Res<'_, Expr> {
    let (rest, mut terms) = separated_list1(preceded(multispace0, tag("+")), term).parse(i)?;
    Ok((
        rest,
        if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Concat(terms)
        },
    ))
}

fn expr(i: &str) -> Res<'_, Expr> {
    let (rest, mut alts) = separated_list1(preceded(multispace0, tag("|")), concat).parse(i)?;
    Ok((
        rest,
        if alts.len() == 1 {
            alts.remove(0)
        } else {
            Expr::Coalesce(alts)
        },
    ))
}

fn error_at(text: &str, rest: &str, message: &str) -> ExprError {
    let consumed = text.len() - rest.len();
    ExprError {
        text: text.to_owned(),
        offset: text[..consumed].chars().count(),
        message: message.to_owned(),
    }
}

/// The deepest nesting of parentheses (groups and function calls) an expression may have. The
/// parser, the evaluator and the printer recurse once per level, so a bound keeps a hostile
/// rule file from overflowing the stack; real rules nest two or three deep.
pub const MAX_EXPR_DEPTH: usize = 32;

/// The position of the first `(` that nests deeper than [`MAX_EXPR_DEPTH`], outside literals.
fn too_deep(text: &str) -> Option<usize> {
    let (mut depth, mut quoted) = (0usize, false);
    for (at, c) in text.char_indices() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => {
                depth += 1;
                if depth > MAX_EXPR_DEPTH {
                    return Some(at);
                }
            }
            ')' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

impl Expr {
    /// Parses an expression, or a template when `text` contains `{`.
    pub fn parse(text: &str) -> Result<Expr, ExprError> {
        if text.contains('{') {
            return Self::parse_template(text);
        }
        if let Some(at) = too_deep(text) {
            return Err(error_at(
                text,
                &text[at..],
                &format!("parentheses nest deeper than {MAX_EXPR_DEPTH} levels"),
            ));
        }
        match expr(text) {
            Ok((rest, e)) if rest.trim().is_empty() => Ok(e),
            Ok((rest, _)) => {
                let rest = rest.trim_start();
                match rest.strip_prefix(['+', '|']) {
                    Some(after) => Err(error_at(
                        text,
                        after,
                        "something is missing after the operator",
                    )),
                    None => Err(error_at(
                        text,
                        rest,
                        "unexpected text; join parts with '+' or '|'",
                    )),
                }
            }
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(error_at(
                text,
                e.input,
                if e.input.trim().is_empty() {
                    "an attribute, a 'literal', a $parameter or a function is missing"
                } else {
                    "expected an attribute, a 'literal', a $parameter or one of lower, upper, local, domain, digits, acronym"
                },
            )),
            Err(nom::Err::Incomplete(_)) => Err(error_at(text, "", "incomplete")),
        }
    }

    fn parse_template(text: &str) -> Result<Expr, ExprError> {
        let mut texts: Vec<String> = vec![String::new()];
        let mut exprs = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(error_at(text, &rest[open..], "'}' without '{'"));
            }
            if let Some(last) = texts.last_mut() {
                last.push_str(&rest[..open]);
            }
            let inner = &rest[open + 1..];
            let close = inner
                .find('}')
                .ok_or_else(|| error_at(text, &rest[open..], "'{' is never closed"))?;
            let placeholder = &inner[..close];
            if placeholder.trim().is_empty() {
                return Err(error_at(text, &rest[open..], "empty placeholder"));
            }
            let e = Expr::parse(placeholder).map_err(|mut e| {
                e.text = text.to_owned();
                e.offset += text[..text.len() - inner.len()].chars().count();
                e
            })?;
            exprs.push(e);
            texts.push(String::new());
            rest = &inner[close + 1..];
        }
        if let Some(last) = texts.last_mut() {
            last.push_str(rest);
        }
        let suffix = texts.pop().unwrap_or_default();
        let mut texts = texts.into_iter();
        let prefix = texts.next().unwrap_or_default();
        // The text before placeholder k (k ≥ 1) separates it from the previous one.
        let parts = exprs
            .into_iter()
            .enumerate()
            .map(|(k, e)| {
                (
                    if k == 0 {
                        String::new()
                    } else {
                        texts.next().unwrap_or_default()
                    }
                    .into(),
                    e,
                )
            })
            .collect();
        Ok(Expr::Template {
            prefix: prefix.into(),
            parts,
            suffix: suffix.into(),
        })
    }

    /// Every attribute the expression reads.
    pub fn attributes(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Attr(a, _, _) = e {
                out.push(&**a);
            }
        });
        out
    }

    /// Gives every attribute its slot: its position in `sorted`, the rule set's attribute names
    /// (lower case, sorted).
    pub fn assign_slots(&mut self, sorted: &[Box<str>]) {
        match self {
            Expr::Attr(_, lower, slot) => {
                *slot = sorted.binary_search(lower).unwrap_or(usize::MAX);
            }
            Expr::Concat(es) | Expr::Coalesce(es) => {
                es.iter_mut().for_each(|e| e.assign_slots(sorted))
            }
            Expr::Template { parts, .. } => {
                parts.iter_mut().for_each(|(_, e)| e.assign_slots(sorted))
            }
            Expr::Call(_, e) => e.assign_slots(sorted),
            Expr::Lit(_) | Expr::Param(_) | Expr::Acronym => {}
        }
    }

    /// Every attribute name the expression reads, in lower case.
    pub fn lower_attributes(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Attr(_, lower, _) = e {
                out.push(&**lower);
            }
        });
        out
    }

    fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match self {
            Expr::Concat(es) | Expr::Coalesce(es) => es.iter().for_each(|e| e.visit(f)),
            Expr::Template { parts, .. } => parts.iter().for_each(|(_, e)| e.visit(f)),
            Expr::Call(_, e) => e.visit(f),
            Expr::Attr(..) | Expr::Lit(_) | Expr::Param(_) | Expr::Acronym => {}
        }
    }

    /// Replaces parameters by their values (an unset parameter has no value).
    pub fn resolve(self, value: &impl Fn(&str) -> Option<String>) -> Expr {
        match self {
            // An unset parameter stays one: it has no value, so `userid + '@' + $email_domain`
            // without a domain is no email rather than "JSmith@".
            Expr::Param(p) => match value(&p) {
                Some(v) => Expr::Lit(v.into()),
                None => Expr::Param(p),
            },
            Expr::Concat(es) => Expr::Concat(es.into_iter().map(|e| e.resolve(value)).collect()),
            Expr::Coalesce(es) => {
                Expr::Coalesce(es.into_iter().map(|e| e.resolve(value)).collect())
            }
            Expr::Template {
                prefix,
                parts,
                suffix,
            } => Expr::Template {
                prefix,
                parts: parts
                    .into_iter()
                    .map(|(s, e)| (s, e.resolve(value)))
                    .collect(),
                suffix,
            },
            Expr::Call(f, e) => Expr::Call(f, Box::new(e.resolve(value))),
            other => other,
        }
    }

    /// Appends the value for `record` to `out`; returns whether anything was appended.
    /// `slots`, when given, holds the record's values of the rule set's attributes (see
    /// [`Expr::assign_slots`]); otherwise attributes are looked up by name. `trace` is told every
    /// attribute consulted and the value found.
    pub fn eval(
        &self,
        record: &SourceRecord,
        slots: Option<&[Option<&str>]>,
        out: &mut String,
        trace: &mut impl FnMut(&str, Option<&str>),
    ) -> bool {
        let start = out.len();
        match self {
            Expr::Attr(name, lower, slot) => {
                let v = match slots.and_then(|s| s.get(*slot)) {
                    Some(v) => *v,
                    None => record.attributes.first_non_empty(lower),
                }
                .map(|v| if slots.is_some() { v } else { v.trim() });
                trace(name, v);
                if let Some(v) = v {
                    out.push_str(v);
                }
            }
            Expr::Lit(s) => out.push_str(s),
            Expr::Param(_) => {}
            Expr::Acronym => out.push_str(record.kind.acronym()),
            Expr::Coalesce(alts) => {
                for a in alts {
                    if a.eval(record, slots, out, trace) {
                        break;
                    }
                    out.truncate(start);
                }
            }
            Expr::Concat(terms) => {
                for t in terms {
                    let produced = t.eval(record, slots, out, trace);
                    // '*55' + esn is nothing without an ESN: a constant alone is no value.
                    if !produced && !matches!(t, Expr::Lit(_)) {
                        out.truncate(start);
                        break;
                    }
                }
            }
            Expr::Template {
                prefix,
                parts,
                suffix,
            } => {
                out.push_str(prefix);
                let mut any = false;
                for (sep, e) in parts {
                    let mark = out.len();
                    if any {
                        out.push_str(sep);
                    }
                    if e.eval(record, slots, out, trace) {
                        any = true;
                    } else {
                        out.truncate(mark);
                    }
                }
                if any {
                    out.push_str(suffix);
                } else {
                    out.truncate(start);
                }
            }
            Expr::Call(func, inner) => {
                if inner.eval(record, slots, out, trace) {
                    apply(*func, out, start);
                }
            }
        }
        out.len() > start
    }
}

/// Applies `func` to what was appended to `out` since `start`.
fn apply(func: Func, out: &mut String, start: usize) {
    let tail = out.get(start..).unwrap_or_default();
    let replaced: Option<String> = match func {
        Func::Lower if tail.is_ascii() => {
            out[start..].make_ascii_lowercase();
            None
        }
        Func::Upper if tail.is_ascii() => {
            out[start..].make_ascii_uppercase();
            None
        }
        Func::Lower => Some(tail.to_lowercase()),
        Func::Upper => Some(tail.to_uppercase()),
        Func::Local => match tail.find('@') {
            Some(at) => {
                out.truncate(start + at);
                None
            }
            None => None,
        },
        Func::Domain => Some(
            tail.rsplit_once('@')
                .map(|(_, d)| d.to_owned())
                .unwrap_or_default(),
        ),
        Func::Digits => Some(tail.chars().filter(char::is_ascii_digit).collect()),
    };
    if let Some(r) = replaced {
        out.truncate(start);
        out.push_str(&r);
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Attr(a, _, _) => f.write_str(a),
            Expr::Lit(s) => write!(f, "'{s}'"),
            Expr::Param(p) => write!(f, "${p}"),
            Expr::Acronym => f.write_str("acronym()"),
            Expr::Concat(es) => join(f, es, " + "),
            Expr::Coalesce(es) => join(f, es, " | "),
            Expr::Call(func, e) => {
                let name = match func {
                    Func::Lower => "lower",
                    Func::Upper => "upper",
                    Func::Local => "local",
                    Func::Domain => "domain",
                    Func::Digits => "digits",
                };
                write!(f, "{name}({e})")
            }
            Expr::Template {
                prefix,
                parts,
                suffix,
            } => {
                f.write_str(prefix)?;
                for (sep, e) in parts {
                    write!(f, "{sep}{{{e}}}")?;
                }
                f.write_str(suffix)
            }
        }
    }
}

fn join(f: &mut fmt::Formatter<'_>, es: &[Expr], sep: &str) -> fmt::Result {
    for (i, e) in es.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        match e {
            Expr::Coalesce(_) | Expr::Concat(_) => write!(f, "({e})")?,
            _ => write!(f, "{e}")?,
        }
    }
    Ok(())
}
