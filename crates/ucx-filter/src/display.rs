//! Printing: the canonical RFC 4515 string (`Display`) and the S-expression form.

use std::fmt::{self, Write};

use crate::ast::{Extensible, Filter, Substrings};

impl fmt::Display for Filter {
    /// The canonical RFC 4515 string: no whitespace outside values, `:dn` in lower case, and
    /// `\XX` (lower-case hex) for NUL, `(`, `)`, `*`, `\`, control characters, leading and trailing
    /// spaces (so that the lenient parser reads the value back unchanged) and, in values that are
    /// not UTF-8, every non-ASCII octet.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::And(fs) | Filter::Or(fs) => {
                f.write_str(if matches!(self, Filter::And(_)) {
                    "(&"
                } else {
                    "(|"
                })?;
                for child in fs {
                    fmt::Display::fmt(child, f)?;
                }
                f.write_char(')')
            }
            Filter::Not(child) => write!(f, "(!{child})"),
            Filter::Equality(a, v) => write!(f, "({a}={})", Escaped(v)),
            Filter::GreaterOrEqual(a, v) => write!(f, "({a}>={})", Escaped(v)),
            Filter::LessOrEqual(a, v) => write!(f, "({a}<={})", Escaped(v)),
            Filter::Approx(a, v) => write!(f, "({a}~={})", Escaped(v)),
            Filter::Present(a) => write!(f, "({a}=*)"),
            Filter::Substrings(Substrings {
                attr,
                initial,
                any,
                final_,
            }) => {
                write!(f, "({attr}=")?;
                if let Some(v) = initial {
                    write!(f, "{}", Escaped(v))?;
                }
                f.write_char('*')?;
                for v in any {
                    write!(f, "{}*", Escaped(v))?;
                }
                if let Some(v) = final_ {
                    write!(f, "{}", Escaped(v))?;
                }
                f.write_char(')')
            }
            Filter::Extensible(Extensible {
                attr,
                rule,
                dn,
                value,
            }) => {
                f.write_char('(')?;
                if let Some(a) = attr {
                    write!(f, "{a}")?;
                }
                if *dn {
                    f.write_str(":dn")?;
                }
                if let Some(r) = rule {
                    write!(f, ":{r}")?;
                }
                write!(f, ":={})", Escaped(value))
            }
        }
    }
}

/// A value written with RFC 4515 escapes.
struct Escaped<'a>(&'a [u8]);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.0;
        let utf8 = std::str::from_utf8(bytes).is_ok();
        let last = bytes.len().saturating_sub(1);
        let mut run = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let edge_space = b == b' ' && (i == 0 || i == last);
            let escape = matches!(b, 0 | b'(' | b')' | b'*' | b'\\')
                || b < 0x20
                || b == 0x7f
                || edge_space
                || (b >= 0x80 && !utf8);
            if escape {
                f.write_str(unescaped(&bytes[run..i]))?;
                write!(f, "\\{b:02x}")?;
                run = i + 1;
            }
        }
        f.write_str(unescaped(&bytes[run..]))
    }
}

/// A run of bytes that needs no escape: ASCII, or part of a value known to be UTF-8.
fn unescaped(run: &[u8]) -> &str {
    // Runs are split only before ASCII bytes or (for non-UTF-8 values) around every non-ASCII
    // byte, so each run of a UTF-8 value is itself UTF-8 and each run of another value is ASCII.
    std::str::from_utf8(run).unwrap_or_default()
}

impl Filter {
    /// The S-expression form, for tests and for reading a parse at a glance:
    ///
    /// `(and F ...)` `(or F ...)` `(not F)` `(eq ATTR "v")` `(ge ATTR "v")` `(le ATTR "v")`
    /// `(approx ATTR "v")` `(present ATTR)` `(substr ATTR INITIAL [ANY ...] FINAL)` with INITIAL and
    /// FINAL `"v"` or `nil`, and `(ext ATTR|nil RULE|nil true|false "v")` where `true` means `:dn`.
    /// Values are the decoded octets: printable ASCII as is except `"` and `\` (backslashed), and
    /// every other octet as `\xHH`.
    ///
    /// ```
    /// use ucx_filter::Filter;
    /// assert_eq!(
    ///     Filter::parse("(o=univ*of*mich*)")?.to_sexpr(),
    ///     r#"(substr o "univ" ["of" "mich"] nil)"#
    /// );
    /// assert_eq!(
    ///     Filter::parse("(:DN:2.4.6.8.10:=Dino)")?.to_sexpr(),
    ///     r#"(ext nil 2.4.6.8.10 true "Dino")"#
    /// );
    /// # Ok::<(), ucx_filter::ParseError>(())
    /// ```
    pub fn to_sexpr(&self) -> String {
        let mut out = String::new();
        self.write_sexpr(&mut out);
        out
    }

    fn write_sexpr(&self, out: &mut String) {
        let simple = |out: &mut String, tag: &str, a: &dyn fmt::Display, v: &[u8]| {
            let _ = write!(out, "({tag} {a} ");
            quote(out, v);
            out.push(')');
        };
        match self {
            Filter::And(fs) | Filter::Or(fs) => {
                out.push_str(if matches!(self, Filter::And(_)) {
                    "(and"
                } else {
                    "(or"
                });
                for child in fs {
                    out.push(' ');
                    child.write_sexpr(out);
                }
                out.push(')');
            }
            Filter::Not(child) => {
                out.push_str("(not ");
                child.write_sexpr(out);
                out.push(')');
            }
            Filter::Equality(a, v) => simple(out, "eq", a, v),
            Filter::GreaterOrEqual(a, v) => simple(out, "ge", a, v),
            Filter::LessOrEqual(a, v) => simple(out, "le", a, v),
            Filter::Approx(a, v) => simple(out, "approx", a, v),
            Filter::Present(a) => {
                let _ = write!(out, "(present {a})");
            }
            Filter::Substrings(s) => {
                let _ = write!(out, "(substr {} ", s.attr);
                quote_or_nil(out, s.initial.as_deref());
                out.push_str(" [");
                for (i, v) in s.any.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    quote(out, v);
                }
                out.push_str("] ");
                quote_or_nil(out, s.final_.as_deref());
                out.push(')');
            }
            Filter::Extensible(e) => {
                out.push_str("(ext ");
                match &e.attr {
                    Some(a) => out.push_str(a.as_str()),
                    None => out.push_str("nil"),
                }
                out.push(' ');
                out.push_str(e.rule.as_deref().unwrap_or("nil"));
                out.push_str(if e.dn { " true " } else { " false " });
                quote(out, &e.value);
                out.push(')');
            }
        }
    }
}

fn quote_or_nil(out: &mut String, v: Option<&[u8]>) {
    match v {
        Some(v) => quote(out, v),
        None => out.push_str("nil"),
    }
}

fn quote(out: &mut String, v: &[u8]) {
    out.push('"');
    for &b in v {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
}
