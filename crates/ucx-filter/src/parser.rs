//! The structural parser: parentheses, `&`, `|` and `!`.
//!
//! It is a loop over an explicit stack rather than recursion, so a hostile filter nested a
//! hundred thousand levels deep costs a bounded amount of stack and is reported as
//! [`ParseErrorKind::TooDeep`]. Items are handed to the nom productions in `item.rs`.

use std::str::FromStr;

use crate::ast::Filter;
use crate::error::{ParseError, ParseErrorKind, describe};
use crate::item::{ItemError, item};

/// The nesting depth accepted by default; the same as kanidm's SCIM and `ldap3_proto` limits.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// The highest depth limit that can be configured. Printing, evaluating and dropping a filter
/// recurse over its depth; this bound keeps that well inside a 2 MiB thread stack.
pub const MAX_DEPTH_LIMIT: usize = 1024;

/// How to parse: strict RFC 4515 (the default) or lenient, and the nesting depth limit.
///
/// ```
/// use ucx_filter::ParseOptions;
///
/// // A person typing into a form: spaces, no outer parentheses.
/// let f = ParseOptions::lenient().parse(" department = Sales ")?;
/// assert_eq!(f.to_string(), "(department=Sales)");
///
/// // The same text is an error in strict mode, at byte 0.
/// let err = ParseOptions::strict().parse(" department = Sales ").unwrap_err();
/// assert_eq!(err.offset(), 0);
/// # Ok::<(), ucx_filter::ParseError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    lenient: bool,
    max_depth: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self::strict()
    }
}

impl ParseOptions {
    /// Strict RFC 4515: exactly one parenthesised filter, no whitespace outside values,
    /// no empty `&`/`|`.
    pub const fn strict() -> Self {
        Self {
            lenient: false,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }

    /// Lenient: whitespace around the filter, between components and around attribute names and
    /// values is ignored; a bare item without parentheses (`department=Sales`) is accepted; and so
    /// are RFC 4526's absolute true `(&)` and false `(|)`.
    pub const fn lenient() -> Self {
        Self {
            lenient: true,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }

    /// Switches lenient mode on or off.
    pub const fn with_lenient(mut self, lenient: bool) -> Self {
        self.lenient = lenient;
        self
    }

    /// Sets the nesting depth limit (an item is depth 1). Values above [`MAX_DEPTH_LIMIT`] are
    /// lowered to it and 0 is raised to 1.
    pub const fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = if depth == 0 {
            1
        } else if depth > MAX_DEPTH_LIMIT {
            MAX_DEPTH_LIMIT
        } else {
            depth
        };
        self
    }

    /// Whether lenient mode is on.
    pub const fn is_lenient(&self) -> bool {
        self.lenient
    }

    /// The nesting depth limit in force.
    pub const fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// Parses a filter. Any bytes are accepted as input; invalid UTF-8 is an error.
    pub fn parse(&self, input: impl AsRef<[u8]>) -> Result<Filter, ParseError> {
        let s = input.as_ref();
        if let Err(e) = std::str::from_utf8(s) {
            return Err(ParseError::new(
                e.valid_up_to(),
                ParseErrorKind::InvalidUtf8,
            ));
        }
        Parser {
            s,
            pos: 0,
            opts: *self,
        }
        .run()
    }
}

impl Filter {
    /// Parses a filter in strict RFC 4515 mode with the default depth limit.
    ///
    /// ```
    /// use ucx_filter::Filter;
    /// let f = Filter::parse("(&(department=Sales)(|(location=NYC)(location=Boston)))")?;
    /// assert_eq!(f.depth(), 3);
    /// # Ok::<(), ucx_filter::ParseError>(())
    /// ```
    pub fn parse(input: &str) -> Result<Filter, ParseError> {
        ParseOptions::strict().parse(input)
    }
}

impl FromStr for Filter {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Filter::parse(s)
    }
}

/// An `&`, `|` or `!` whose `)` has not been reached yet.
struct Frame {
    op: u8,
    op_offset: usize,
    children: Vec<Filter>,
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    opts: ParseOptions,
}

impl Parser<'_> {
    fn err<T>(&self, offset: usize, kind: ParseErrorKind) -> Result<T, ParseError> {
        Err(ParseError::new(offset, kind))
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        if self.opts.lenient {
            while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
                self.pos += 1;
            }
        }
    }

    fn run(mut self) -> Result<Filter, ParseError> {
        self.skip_ws();
        let Some(first) = self.peek() else {
            return self.err(self.pos, ParseErrorKind::Empty);
        };
        if first != b'(' {
            if self.opts.lenient && !first.is_ascii_whitespace() {
                return self.bare_item();
            }
            return self.err(
                self.pos,
                ParseErrorKind::ExpectedOpen {
                    found: describe(&self.s[self.pos..]),
                },
            );
        }
        let mut stack: Vec<Frame> = Vec::new();
        'filter: loop {
            // Here `self.peek()` is `(`.
            let open = self.pos;
            if stack.len() >= self.opts.max_depth {
                return self.err(
                    open,
                    ParseErrorKind::TooDeep {
                        limit: self.opts.max_depth,
                    },
                );
            }
            self.pos += 1;
            self.skip_ws();
            let mut done = match self.peek() {
                None => {
                    return self.err(
                        self.pos,
                        ParseErrorKind::Unbalanced {
                            open: stack.len() + 1,
                        },
                    );
                }
                Some(op @ (b'&' | b'|' | b'!')) => {
                    stack.push(Frame {
                        op,
                        op_offset: self.pos,
                        children: Vec::new(),
                    });
                    self.pos += 1;
                    None
                }
                Some(b'(') => return self.err(self.pos, ParseErrorKind::DoubledParens),
                Some(b')') => return self.err(open, ParseErrorKind::EmptyParens),
                Some(_) => Some(self.leaf(stack.len() + 1)?),
            };
            loop {
                if let Some(filter) = done.take() {
                    match stack.last_mut() {
                        Some(top) => top.children.push(filter),
                        None => return self.finish(filter),
                    }
                }
                self.skip_ws();
                let Some(top) = stack.last() else {
                    return self.err(self.pos, ParseErrorKind::Empty);
                };
                match self.peek() {
                    Some(b'(') => {
                        if top.op == b'!' && !top.children.is_empty() {
                            return self.err(self.pos, ParseErrorKind::NotArity);
                        }
                        continue 'filter;
                    }
                    Some(b')') => {
                        let Some(frame) = stack.pop() else {
                            return self.err(self.pos, ParseErrorKind::Empty);
                        };
                        done = Some(self.close(frame)?);
                        self.pos += 1;
                    }
                    None => {
                        return self
                            .err(self.pos, ParseErrorKind::Unbalanced { open: stack.len() });
                    }
                    Some(_) => {
                        return self.err(
                            self.pos,
                            ParseErrorKind::ExpectedFilterOrClose {
                                found: describe(&self.s[self.pos..]),
                            },
                        );
                    }
                }
            }
        }
    }

    /// Builds the filter of a frame whose `)` is at `self.pos`.
    fn close(&self, frame: Frame) -> Result<Filter, ParseError> {
        let Frame {
            op,
            op_offset,
            mut children,
        } = frame;
        match op {
            b'!' => match children.pop() {
                Some(only) if children.is_empty() => Ok(Filter::Not(Box::new(only))),
                _ => self.err(
                    if children.is_empty() {
                        self.pos
                    } else {
                        op_offset
                    },
                    ParseErrorKind::NotArity,
                ),
            },
            _ if children.is_empty() && !self.opts.lenient => {
                self.err(self.pos, ParseErrorKind::EmptySet { op: op as char })
            }
            b'&' => Ok(Filter::And(children)),
            _ => Ok(Filter::Or(children)),
        }
    }

    /// Parses the item that starts at `self.pos` and its closing `)`.
    fn leaf(&mut self, depth: usize) -> Result<Filter, ParseError> {
        let rest = &self.s[self.pos..];
        let Some(len) = rest.iter().position(|&b| b == b')') else {
            // Report a malformed item first: it is the more precise complaint.
            self.item(rest)?;
            return self.err(self.s.len(), ParseErrorKind::Unbalanced { open: depth });
        };
        let filter = self.item(&rest[..len])?;
        self.pos += len + 1;
        Ok(filter)
    }

    fn item(&self, bytes: &[u8]) -> Result<Filter, ParseError> {
        let base = self.pos;
        match item(bytes, self.opts.lenient) {
            Ok((b"", filter)) => Ok(filter),
            Ok((rest, _)) => self.err(
                base + bytes.len() - rest.len(),
                ParseErrorKind::MissingFilterType {
                    found: describe(rest),
                },
            ),
            Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(self.item_error(base, bytes, e)),
            Err(nom::Err::Incomplete(_)) => {
                self.err(self.s.len(), ParseErrorKind::Unbalanced { open: 1 })
            }
        }
    }

    fn item_error(&self, base: usize, bytes: &[u8], e: ItemError<'_>) -> ParseError {
        let offset = base + bytes.len() - e.input.len();
        let kind = e.kind.unwrap_or_else(|| ParseErrorKind::MissingAttribute {
            found: describe(e.input),
        });
        ParseError::new(offset, kind)
    }

    /// Lenient mode's `department=Sales`: the whole input is one item.
    fn bare_item(&mut self) -> Result<Filter, ParseError> {
        let rest = &self.s[self.pos..];
        let len = rest.iter().position(|&b| b == b')').unwrap_or(rest.len());
        let filter = self.item(&rest[..len])?;
        self.pos += len;
        self.finish(filter)
    }

    /// Accepts the complete filter if nothing but (lenient) whitespace follows.
    fn finish(&mut self, filter: Filter) -> Result<Filter, ParseError> {
        self.skip_ws();
        match self.peek() {
            None => Ok(filter),
            Some(_) => self.err(
                self.pos,
                ParseErrorKind::TrailingText {
                    found: describe(&self.s[self.pos..]),
                },
            ),
        }
    }
}
