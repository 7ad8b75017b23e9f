//! Typed parse errors that point at a byte offset and tell a person what to do.

use std::fmt;

/// A filter that could not be parsed: where, what went wrong, what was expected, and a hint.
///
/// `Display` gives a one-line message with the byte offset; [`ParseError::render`] adds the filter
/// with a caret under the offending character, which is what the command line prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    offset: usize,
    kind: ParseErrorKind,
}

/// What kind of mistake a [`ParseError`] reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Nothing (or only whitespace) was given.
    #[error("empty filter")]
    Empty,
    /// The input is not valid UTF-8.
    #[error("the filter is not valid UTF-8")]
    InvalidUtf8,
    /// A filter must start with `(`.
    #[error("expected '(' but found {found}")]
    ExpectedOpen {
        /// What was found instead, quoted.
        found: String,
    },
    /// The input ended with parentheses still open.
    #[error("unbalanced parenthesis: {open} '(' {verb} never closed", verb = if *open == 1 { "is" } else { "are" })]
    Unbalanced {
        /// How many `(` are never closed.
        open: usize,
    },
    /// Something follows the complete filter.
    #[error("unexpected {found} after the end of the filter")]
    TrailingText {
        /// What was found, quoted.
        found: String,
    },
    /// `()`.
    #[error("empty parentheses")]
    EmptyParens,
    /// `((...))`: a filter cannot be wrapped in a second pair of parentheses.
    #[error("unexpected '(' where an attribute or '&', '|', '!' was expected")]
    DoubledParens,
    /// `(&)` or `(|)` in strict mode.
    #[error("'{op}' needs at least one filter")]
    EmptySet {
        /// `&` or `|`.
        op: char,
    },
    /// `(!)` or `(!(a=1)(b=2))`.
    #[error("'!' takes exactly one filter")]
    NotArity,
    /// Inside `&`, `|` or `!`, something other than a filter or `)`.
    #[error("expected '(' or ')' but found {found}")]
    ExpectedFilterOrClose {
        /// What was found, quoted.
        found: String,
    },
    /// No attribute description where one was needed.
    #[error("expected an attribute name but found {found}")]
    MissingAttribute {
        /// What was found, quoted.
        found: String,
    },
    /// An attribute name starting with a digit that is not a valid numeric OID.
    #[error("invalid numeric OID: {reason}")]
    BadNumericOid {
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A character that cannot appear in an attribute description.
    #[error("invalid character {found} in attribute name")]
    BadAttributeChar {
        /// The character, quoted.
        found: String,
    },
    /// `cn;` or `cn;;x`.
    #[error("empty attribute option after ';'")]
    EmptyOption,
    /// `(cn)`, `(cn>x)`, `(cn!=x)`.
    #[error(
        "expected a filter type ('=', '~=', '>=', '<=' or ':=') after the attribute, found {found}"
    )]
    MissingFilterType {
        /// What was found, quoted.
        found: String,
    },
    /// `\` not followed by two hexadecimal digits.
    #[error("invalid escape: '\\' must be followed by two hexadecimal digits")]
    BadEscape,
    /// A raw `(` or NUL inside a value.
    #[error("{what} must be written {escape} inside a value")]
    UnescapedInValue {
        /// The character, described.
        what: &'static str,
        /// Its escape.
        escape: &'static str,
    },
    /// `*` in a `>=`, `<=`, `~=` or `:=` value.
    #[error("'*' must be written \\2a inside a '{op}' value")]
    AsteriskInValue {
        /// The filter type.
        op: &'static str,
    },
    /// `(cn=a**b)`.
    #[error("empty substring between two '*'")]
    EmptySubstring,
    /// `(:=x)` or `(:dn:=x)`.
    #[error("an extensible match needs an attribute, a matching rule, or both")]
    ExtensibleWithoutAttrOrRule,
    /// `(cn:rule;x:=v)`.
    #[error("a matching rule cannot carry options")]
    RuleWithOptions,
    /// `(cn:1.2.3:dn:=x)`, `(cn:dn)`, ...
    #[error("malformed extensible match: expected {expected}")]
    MalformedExtensible {
        /// What the grammar allowed here.
        expected: &'static str,
    },
    /// Nested deeper than the configured limit.
    #[error("filter nested deeper than the limit of {limit}")]
    TooDeep {
        /// The limit in force.
        limit: usize,
    },
}

impl ParseError {
    pub(crate) fn new(offset: usize, kind: ParseErrorKind) -> Self {
        Self { offset, kind }
    }

    /// The byte offset in the filter text where the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// What went wrong.
    pub fn kind(&self) -> &ParseErrorKind {
        &self.kind
    }

    /// What the grammar allowed at the offset.
    pub fn expected(&self) -> &'static str {
        use ParseErrorKind::*;
        match &self.kind {
            Empty | ExpectedOpen { .. } => "'('",
            InvalidUtf8 => "UTF-8 text",
            Unbalanced { .. } => "')'",
            TrailingText { .. } => "end of input",
            EmptyParens | DoubledParens | MissingAttribute { .. } => {
                "an attribute name or '&', '|', '!'"
            }
            EmptySet { .. } | ExpectedFilterOrClose { .. } => "'(' starting a filter",
            NotArity => "exactly one filter, then ')'",
            BadNumericOid { .. } => "a numeric OID such as 2.5.4.3",
            BadAttributeChar { .. } | EmptyOption => "letters, digits or '-'",
            MissingFilterType { .. } => "'=', '~=', '>=', '<=' or ':='",
            BadEscape => "two hexadecimal digits after '\\'",
            UnescapedInValue { escape, .. } => escape,
            AsteriskInValue { .. } => "\\2a",
            EmptySubstring => "a character between the '*'s",
            ExtensibleWithoutAttrOrRule => "an attribute or ':rule' before ':='",
            RuleWithOptions => "':=' after the matching rule",
            MalformedExtensible { expected } => expected,
            TooDeep { .. } => "fewer nested '&', '|' or '!'",
        }
    }

    /// Advice a person can act on, where there is some.
    pub fn hint(&self) -> Option<String> {
        use ParseErrorKind::*;
        let hint = match &self.kind {
            Empty => "write a filter such as (department=Sales)".to_owned(),
            InvalidUtf8 => "save the filter as UTF-8; other octets can be written \\XX".to_owned(),
            ExpectedOpen { .. } => {
                "every filter is enclosed in parentheses, e.g. (department=Sales); \
                 the lenient mode also accepts a bare department=Sales"
                    .to_owned()
            }
            Unbalanced { open } => format!("add {open} ')' at the end, or remove the extra '('"),
            TrailingText { found } if found.starts_with("whitespace") => {
                "remove the trailing whitespace (the lenient mode ignores it)".to_owned()
            }
            TrailingText { .. } => "combine several filters with (&(a=1)(b=2)) or (|(a=1)(b=2)), \
                 and check that every ')' has its '('"
                .to_owned(),
            EmptyParens => "write a condition inside, such as (department=Sales)".to_owned(),
            DoubledParens => "combine filters with (&(a=1)(b=2)) or (|(a=1)(b=2)); \
                 a single filter needs only one pair of parentheses"
                .to_owned(),
            EmptySet { op } => {
                format!(
                    "put at least one filter after '{op}'; the lenient mode accepts ({op}) (RFC 4526)"
                )
            }
            NotArity => "negate several filters with (!(|(a=1)(b=2)))".to_owned(),
            ExpectedFilterOrClose { .. } => {
                "inside '&', '|' and '!' every operand is a parenthesised filter".to_owned()
            }
            MissingAttribute { .. } => {
                "start the condition with a field name, e.g. (department=Sales)".to_owned()
            }
            BadNumericOid { .. } => {
                "an attribute name starts with a letter; a numeric OID has two or more arcs \
                 without leading zeros (2.5.4.3)"
                    .to_owned()
            }
            BadAttributeChar { found } if found.contains(' ') => {
                "spaces are not allowed around the attribute name (the lenient mode ignores them)"
                    .to_owned()
            }
            BadAttributeChar { .. } => {
                "attribute names use letters, digits and '-' only".to_owned()
            }
            EmptyOption => "remove the ';' or write an option after it (cn;lang-en)".to_owned(),
            MissingFilterType { found } if found.contains('!') => {
                "there is no '!='; write (!(attr=value)) for not-equal".to_owned()
            }
            MissingFilterType { found } if found.contains('>') || found.contains('<') => {
                "there is no '>' or '<'; use '>=' / '<=' (strictly greater: (&(a>=x)(!(a=x))))"
                    .to_owned()
            }
            MissingFilterType { .. } => "write attribute=value, e.g. (department=Sales)".to_owned(),
            BadEscape => "escape a literal backslash as \\5c".to_owned(),
            UnescapedInValue { what, escape } => format!("write {what} as {escape}"),
            AsteriskInValue { .. } => {
                "wildcards work only with '='; write a literal '*' as \\2a".to_owned()
            }
            EmptySubstring => "write a single '*' for \"anything\"".to_owned(),
            ExtensibleWithoutAttrOrRule => {
                "write (attr:=value) or (:caseExactMatch:=value)".to_owned()
            }
            RuleWithOptions => "remove the ';option' from the matching rule".to_owned(),
            MalformedExtensible { .. } => {
                "the order is attr:dn:rule:=value, each part optional".to_owned()
            }
            TooDeep { .. } => "flatten the filter: (&(a=1)(&(b=2))) is (&(a=1)(b=2))".to_owned(),
        };
        Some(hint)
    }

    /// The error with the filter on the next line and a caret under the offending character.
    pub fn render(&self, filter: &str) -> String {
        let offset = self.offset.min(filter.len());
        let column = filter
            .char_indices()
            .take_while(|(i, _)| *i < offset)
            .count();
        let mut out = format!(
            "invalid filter: {self}\n  {filter}\n  {}^",
            " ".repeat(column)
        );
        out.push_str(&format!("\n  expected {}", self.expected()));
        if let Some(hint) = self.hint() {
            out.push_str(&format!("\n  hint: {hint}"));
        }
        out
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

impl std::error::Error for ParseError {}

/// Describes the text at the start of `rest` for an error message.
pub(crate) fn describe(rest: &[u8]) -> String {
    match rest.first() {
        None => "end of input".to_owned(),
        Some(b) if b.is_ascii_whitespace() => "whitespace".to_owned(),
        Some(_) => {
            let c = std::str::from_utf8(&rest[..utf8_len(rest[0]).min(rest.len())])
                .ok()
                .and_then(|s| s.chars().next())
                .unwrap_or('\u{fffd}');
            format!("{c:?}")
        }
    }
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7f => 1,
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}
