//! The leaf productions of RFC 4515 §3 and RFC 4512 §1.4, one small nom function each:
//! `item`, `attributedescription`, `oid`, `descr`, `numericoid`, `option`, the filter types,
//! `extensible` and the escaped `value`.
//!
//! The structural part (`&`, `|`, `!`, parentheses) lives in `parser.rs` and is iterative; an
//! item never contains a raw `)`, so it is handed the bytes between `(` and `)`.

use nom::bytes::complete::{tag, tag_no_case, take_while, take_while1};
use nom::character::complete::satisfy;
use nom::combinator::{opt, recognize};
use nom::sequence::pair;
use nom::{IResult, Parser};

use crate::ast::{AttributeDescription, Extensible, Filter, Substrings};
use crate::error::{ParseErrorKind, describe};

/// A nom error that remembers where it happened and, once the parser is committed, why.
#[derive(Debug)]
pub(crate) struct ItemError<'a> {
    pub(crate) input: &'a [u8],
    pub(crate) kind: Option<ParseErrorKind>,
}

impl<'a> nom::error::ParseError<&'a [u8]> for ItemError<'a> {
    fn from_error_kind(input: &'a [u8], _: nom::error::ErrorKind) -> Self {
        Self { input, kind: None }
    }
    fn append(_: &'a [u8], _: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

type Res<'a, T> = IResult<&'a [u8], T, ItemError<'a>>;

fn fail<T>(input: &[u8], kind: ParseErrorKind) -> Res<'_, T> {
    Err(nom::Err::Failure(ItemError {
        input,
        kind: Some(kind),
    }))
}

fn is_keychar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t' || b == b'\r' || b == b'\n'
}

/// `descr = keystring = leadkeychar *keychar`
fn descr(i: &[u8]) -> Res<'_, &[u8]> {
    recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic()),
        take_while(is_keychar),
    ))
    .parse(i)
}

/// `number = DIGIT / ( LDIGIT 1*DIGIT )`: no leading zeros.
fn number(i: &[u8]) -> Res<'_, &[u8]> {
    let (rest, digits) = take_while1(|b: u8| b.is_ascii_digit()).parse(i)?;
    if digits.len() > 1 && digits[0] == b'0' {
        return fail(
            i,
            ParseErrorKind::BadNumericOid {
                reason: "an arc has a leading zero",
            },
        );
    }
    Ok((rest, digits))
}

/// `numericoid = number 1*( DOT number )`
fn numericoid(i: &[u8]) -> Res<'_, &[u8]> {
    let (mut rest, _) = number(i)?;
    let mut arcs = 1;
    while let Some(after_dot) = rest.strip_prefix(b".") {
        match number(after_dot) {
            Ok((r, _)) => rest = r,
            Err(nom::Err::Error(_)) => {
                return fail(
                    after_dot,
                    ParseErrorKind::BadNumericOid {
                        reason: "an arc is empty",
                    },
                );
            }
            Err(e) => return Err(e),
        }
        arcs += 1;
    }
    if rest
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
    {
        return fail(
            i,
            ParseErrorKind::BadNumericOid {
                reason: "an attribute name cannot start with a digit",
            },
        );
    }
    if arcs < 2 {
        return fail(
            i,
            ParseErrorKind::BadNumericOid {
                reason: "a numeric OID needs at least two arcs",
            },
        );
    }
    Ok((rest, &i[..i.len() - rest.len()]))
}

/// `oid = descr / numericoid`
fn oid(i: &[u8]) -> Res<'_, &[u8]> {
    if i.first().is_some_and(u8::is_ascii_digit) {
        numericoid(i)
    } else {
        descr(i)
    }
}

/// `attributedescription = attributetype options; options = *( SEMI option ); option = 1*keychar`
fn attribute_description(i: &[u8]) -> Res<'_, AttributeDescription> {
    let (mut rest, _) = oid(i)?;
    while let Some(after) = rest.strip_prefix(b";") {
        match take_while1::<_, _, ItemError<'_>>(is_keychar).parse(after) {
            Ok((r, _)) => rest = r,
            Err(_) => return fail(after, ParseErrorKind::EmptyOption),
        }
    }
    Ok((rest, attr_from(&i[..i.len() - rest.len()])))
}

fn attr_from(bytes: &[u8]) -> AttributeDescription {
    // Only ASCII letters, digits, '-', '.' and ';' reach here.
    AttributeDescription(String::from_utf8_lossy(bytes).into_owned())
}

/// The filter types that may follow an attribute description.
#[derive(Clone, Copy, PartialEq, Eq)]
enum FilterType {
    Equal,
    Approx,
    Greater,
    Less,
}

fn filter_type(i: &[u8]) -> Res<'_, FilterType> {
    let (rest, t) = opt(nom::branch::alt((
        tag("~=").map(|_| FilterType::Approx),
        tag(">=").map(|_| FilterType::Greater),
        tag("<=").map(|_| FilterType::Less),
        tag("=").map(|_| FilterType::Equal),
    )))
    .parse(i)?;
    match t {
        Some(t) => Ok((rest, t)),
        None => {
            let missing = || ParseErrorKind::MissingFilterType { found: describe(i) };
            match i.first() {
                None | Some(b'>' | b'<' | b'!' | b'~' | b')') => fail(i, missing()),
                Some(&b) if is_space(b) => fail(
                    i,
                    ParseErrorKind::BadAttributeChar {
                        found: "' ' (a space)".to_owned(),
                    },
                ),
                Some(&b) if b.is_ascii_graphic() || b >= 0x80 => {
                    fail(i, ParseErrorKind::BadAttributeChar { found: describe(i) })
                }
                Some(_) => fail(i, missing()),
            }
        }
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `value = *( UTF1SUBSET / UTFMB / escaped )` with `escaped = ESC HEX HEX`, decoded. A raw `*`
/// ends the value (the caller decides whether that is a substring or an error).
fn value(i: &[u8]) -> Res<'_, Vec<u8>> {
    let special = |b: &u8| matches!(b, b'*' | b'\\' | b'(' | 0);
    // Fast path: most values hold no escape at all.
    let run = i.iter().position(special).unwrap_or(i.len());
    let mut out = Vec::with_capacity(i.len());
    out.extend_from_slice(&i[..run]);
    let mut k = run;
    while k < i.len() {
        match i[k] {
            b'*' => break,
            b'\\' => {
                let decoded = match (
                    i.get(k + 1).copied().and_then(hex),
                    i.get(k + 2).copied().and_then(hex),
                ) {
                    (Some(h), Some(l)) => h << 4 | l,
                    _ => return fail(&i[k..], ParseErrorKind::BadEscape),
                };
                out.push(decoded);
                k += 3;
            }
            b'(' => {
                return fail(
                    &i[k..],
                    ParseErrorKind::UnescapedInValue {
                        what: "'('",
                        escape: "\\28",
                    },
                );
            }
            0 => {
                return fail(
                    &i[k..],
                    ParseErrorKind::UnescapedInValue {
                        what: "NUL",
                        escape: "\\00",
                    },
                );
            }
            b => {
                out.push(b);
                k += 1;
            }
        }
    }
    Ok((&i[k..], out))
}

/// A value that may not contain a raw `*` (`>=`, `<=`, `~=`, `:=`).
fn plain_value<'a>(i: &'a [u8], op: &'static str) -> Res<'a, Vec<u8>> {
    let (rest, v) = value(i)?;
    if rest.first() == Some(&b'*') {
        return fail(rest, ParseErrorKind::AsteriskInValue { op });
    }
    Ok((rest, v))
}

/// After `attr=`: presence, equality or substrings.
fn equal_tail(attr: AttributeDescription, i: &[u8]) -> Res<'_, Filter> {
    if i == b"*" {
        return Ok((&i[1..], Filter::Present(attr)));
    }
    let (mut rest, first) = value(i)?;
    if rest.is_empty() {
        return Ok((rest, Filter::Equality(attr, first)));
    }
    // At least one '*': substrings.
    let initial = (!first.is_empty()).then_some(first);
    let mut parts = Vec::new();
    while let Some(after_star) = rest.strip_prefix(b"*") {
        let (r, part) = value(after_star)?;
        if part.is_empty() && r.first() == Some(&b'*') {
            return fail(r, ParseErrorKind::EmptySubstring);
        }
        parts.push(part);
        rest = r;
    }
    // The last part is the final one (empty: none).
    let final_ = parts.pop().filter(|p| !p.is_empty());
    Ok((
        rest,
        Filter::Substrings(Substrings {
            attr,
            initial,
            any: parts,
            final_,
        }),
    ))
}

/// From the `:` after `[attr]`: `:[dn:][rule:]=value`.
fn extensible_tail(attr: Option<AttributeDescription>, colon: &[u8]) -> Res<'_, Filter> {
    let (mut rest, _) = tag(":").parse(colon)?;
    let mut dn = false;
    if let Ok((r, _)) = tag_no_case::<_, _, ItemError<'_>>("dn:").parse(rest) {
        dn = true;
        rest = r;
    } else if let Ok((r, _)) = tag_no_case::<_, _, ItemError<'_>>("dn").parse(rest)
        && !r
            .first()
            .is_some_and(|b| is_keychar(*b) || *b == b';' || *b == b'.')
    {
        return fail(
            r,
            ParseErrorKind::MalformedExtensible {
                expected: "':=' or ':rule:=' after ':dn'",
            },
        );
    }
    let mut rule = None;
    if let Some(r) = rest.strip_prefix(b"=") {
        rest = r;
    } else {
        let (r, oid_bytes) = match oid(rest) {
            Ok(ok) => ok,
            Err(nom::Err::Error(_)) => {
                return fail(
                    rest,
                    ParseErrorKind::MalformedExtensible {
                        expected: if dn {
                            "a matching rule or '=' after ':dn:'"
                        } else {
                            "'dn', a matching rule or '=' after ':'"
                        },
                    },
                );
            }
            Err(e) => return Err(e),
        };
        if r.first() == Some(&b';') {
            return fail(r, ParseErrorKind::RuleWithOptions);
        }
        let Some(r) = r.strip_prefix(b":=") else {
            return fail(
                r,
                ParseErrorKind::MalformedExtensible {
                    expected: if r.starts_with(b":") {
                        "':=' after the matching rule (':dn' comes before the rule)"
                    } else {
                        "':=' after the matching rule"
                    },
                },
            );
        };
        rule = Some(attr_from(oid_bytes).0);
        rest = r;
    }
    if attr.is_none() && rule.is_none() {
        return fail(colon, ParseErrorKind::ExtensibleWithoutAttrOrRule);
    }
    let (rest, value) = plain_value(rest, ":=")?;
    Ok((
        rest,
        Filter::Extensible(Extensible {
            attr,
            rule,
            dn,
            value,
        }),
    ))
}

/// `item = simple / present / substring / extensible`, over the bytes between `(` and `)`.
///
/// In lenient mode whitespace around the attribute and around the value is ignored.
pub(crate) fn item(i: &[u8], lenient: bool) -> Res<'_, Filter> {
    let skip = |s: &[u8]| -> usize {
        if lenient {
            s.iter().take_while(|b| is_space(**b)).count()
        } else {
            0
        }
    };
    let mut i = &i[skip(i)..];
    if lenient {
        let trailing = i.iter().rev().take_while(|b| is_space(**b)).count();
        i = &i[..i.len() - trailing];
    }
    // Extensible match without attribute: `:dn:rule:=v` or `:rule:=v`.
    if i.starts_with(b":") {
        return extensible_tail(None, i);
    }
    let (rest, attr) = match attribute_description(i) {
        Ok(ok) => ok,
        Err(nom::Err::Error(_)) => {
            return fail(i, ParseErrorKind::MissingAttribute { found: describe(i) });
        }
        Err(e) => return Err(e),
    };
    let rest = &rest[skip(rest)..];
    if rest.starts_with(b":") {
        return extensible_tail(Some(attr), rest);
    }
    let (rest, t) = filter_type(rest)?;
    let rest = &rest[skip(rest)..];
    match t {
        FilterType::Equal => equal_tail(attr, rest),
        FilterType::Approx => plain_value(rest, "~=").map(|(r, v)| (r, Filter::Approx(attr, v))),
        FilterType::Greater => {
            plain_value(rest, ">=").map(|(r, v)| (r, Filter::GreaterOrEqual(attr, v)))
        }
        FilterType::Less => plain_value(rest, "<=").map(|(r, v)| (r, Filter::LessOrEqual(attr, v))),
    }
}
