//! Every class of error the strict profile reports, with its offset.

use ucx_filter::{Filter, ParseError, ParseErrorKind, ParseOptions};

fn err(f: &str) -> ParseError {
    match Filter::parse(f) {
        Ok(parsed) => panic!("{f:?} should not parse, got {}", parsed.to_sexpr()),
        Err(e) => e,
    }
}

#[track_caller]
fn check(f: &str, offset: usize, kind: fn(&ParseErrorKind) -> bool) {
    let e = err(f);
    assert_eq!(e.offset(), offset, "{f:?}: {e}");
    assert!(kind(e.kind()), "{f:?}: unexpected kind {:?}", e.kind());
    assert!(e.hint().is_some_and(|h| !h.is_empty()), "{f:?} has no hint");
    assert!(!e.expected().is_empty());
}

#[test]
fn empty_and_missing_parenthesis() {
    check("", 0, |k| matches!(k, ParseErrorKind::Empty));
    check("cn=x", 0, |k| {
        matches!(k, ParseErrorKind::ExpectedOpen { .. })
    });
    check(" (cn=x)", 0, |k| {
        matches!(k, ParseErrorKind::ExpectedOpen { .. })
    });
    check("   ", 0, |k| {
        matches!(k, ParseErrorKind::ExpectedOpen { .. })
    });
    assert!(matches!(
        ParseOptions::lenient().parse("   ").unwrap_err().kind(),
        ParseErrorKind::Empty
    ));
}

#[test]
fn unbalanced() {
    let e = err("(&(a=b)");
    assert_eq!(e.offset(), 7);
    assert_eq!(e.kind(), &ParseErrorKind::Unbalanced { open: 1 });
    assert_eq!(
        e.kind().to_string(),
        "unbalanced parenthesis: 1 '(' is never closed"
    );
    assert_eq!(
        err("(&(|(a=b)").kind().to_string(),
        "unbalanced parenthesis: 2 '(' are never closed"
    );
    check("(a=b", 4, |k| *k == ParseErrorKind::Unbalanced { open: 1 });
    check("(&(!(a=b", 8, |k| {
        *k == ParseErrorKind::Unbalanced { open: 3 }
    });
    check("(", 1, |k| *k == ParseErrorKind::Unbalanced { open: 1 });
}

#[test]
fn trailing_text() {
    check("(a=b))", 5, |k| {
        matches!(k, ParseErrorKind::TrailingText { .. })
    });
    check("(a=b) ", 5, |k| {
        matches!(k, ParseErrorKind::TrailingText { .. })
    });
    check("(a=b)(c=d)", 5, |k| {
        matches!(k, ParseErrorKind::TrailingText { .. })
    });
    check("(a=b)x", 5, |k| {
        matches!(k, ParseErrorKind::TrailingText { .. })
    });
    assert!(err("(a=b) ").hint().unwrap().contains("whitespace"));
}

#[test]
fn structure() {
    check("()", 0, |k| *k == ParseErrorKind::EmptyParens);
    check("((a=b))", 1, |k| *k == ParseErrorKind::DoubledParens);
    check("(&)", 2, |k| *k == ParseErrorKind::EmptySet { op: '&' });
    check("(|)", 2, |k| *k == ParseErrorKind::EmptySet { op: '|' });
    check("(!)", 2, |k| *k == ParseErrorKind::NotArity);
    check("(!(a=b)(c=d))", 7, |k| *k == ParseErrorKind::NotArity);
    check("(&(a=b) (c=d))", 7, |k| {
        matches!(k, ParseErrorKind::ExpectedFilterOrClose { .. })
    });
    check("(&a=b)", 2, |k| {
        matches!(k, ParseErrorKind::ExpectedFilterOrClose { .. })
    });
    check("(& (a=b))", 2, |k| {
        matches!(k, ParseErrorKind::ExpectedFilterOrClose { .. })
    });
    assert!(err("(&)").hint().unwrap().contains("RFC 4526"));
}

#[test]
fn attribute_descriptions() {
    check("(1cn=x)", 1, |k| {
        matches!(k, ParseErrorKind::BadNumericOid { .. })
    });
    check("(1=x)", 1, |k| {
        matches!(k, ParseErrorKind::BadNumericOid { .. })
    });
    check("(1.02=x)", 3, |k| {
        matches!(k, ParseErrorKind::BadNumericOid { .. })
    });
    check("(01.2=x)", 1, |k| {
        matches!(k, ParseErrorKind::BadNumericOid { .. })
    });
    check("(1.=x)", 3, |k| {
        matches!(k, ParseErrorKind::BadNumericOid { .. })
    });
    check("(c_n=x)", 2, |k| {
        matches!(k, ParseErrorKind::BadAttributeChar { .. })
    });
    check("(_cn=x)", 1, |k| {
        matches!(k, ParseErrorKind::MissingAttribute { .. })
    });
    check("(cn;=x)", 4, |k| *k == ParseErrorKind::EmptyOption);
    check("(cn;;a=x)", 4, |k| *k == ParseErrorKind::EmptyOption);
    check("(cn;a_b=x)", 5, |k| {
        matches!(k, ParseErrorKind::BadAttributeChar { .. })
    });
    check("(cn =x)", 3, |k| {
        matches!(k, ParseErrorKind::BadAttributeChar { .. })
    });
    check("( cn=x)", 1, |k| {
        matches!(k, ParseErrorKind::MissingAttribute { .. })
    });
    check("(=x)", 1, |k| {
        matches!(k, ParseErrorKind::MissingAttribute { .. })
    });
    check("(ü=x)", 1, |k| {
        matches!(k, ParseErrorKind::MissingAttribute { .. })
    });
    assert!(err("(cn =x)").hint().unwrap().contains("lenient"));
}

#[test]
fn filter_types() {
    check("(cn)", 3, |k| {
        matches!(k, ParseErrorKind::MissingFilterType { .. })
    });
    check("(cn>x)", 3, |k| {
        matches!(k, ParseErrorKind::MissingFilterType { .. })
    });
    check("(cn<x)", 3, |k| {
        matches!(k, ParseErrorKind::MissingFilterType { .. })
    });
    check("(cn!=x)", 3, |k| {
        matches!(k, ParseErrorKind::MissingFilterType { .. })
    });
    check("(cn~x)", 3, |k| {
        matches!(k, ParseErrorKind::MissingFilterType { .. })
    });
    assert!(err("(cn!=x)").hint().unwrap().contains("(!(attr=value))"));
}

#[test]
fn values() {
    check("(cn=\\4)", 4, |k| *k == ParseErrorKind::BadEscape);
    check("(cn=\\)", 4, |k| *k == ParseErrorKind::BadEscape);
    check("(cn=\\zz)", 4, |k| *k == ParseErrorKind::BadEscape);
    check("(cn=a(b)", 5, |k| {
        matches!(k, ParseErrorKind::UnescapedInValue { escape: "\\28", .. })
    });
    check("(cn=a\0b)", 5, |k| {
        matches!(k, ParseErrorKind::UnescapedInValue { escape: "\\00", .. })
    });
    check("(cn>=a*)", 6, |k| {
        matches!(k, ParseErrorKind::AsteriskInValue { op: ">=" })
    });
    check("(cn<=*)", 5, |k| {
        matches!(k, ParseErrorKind::AsteriskInValue { op: "<=" })
    });
    check("(cn~=*a)", 5, |k| {
        matches!(k, ParseErrorKind::AsteriskInValue { op: "~=" })
    });
    check("(cn:=a*)", 6, |k| {
        matches!(k, ParseErrorKind::AsteriskInValue { op: ":=" })
    });
    check("(cn=a**b)", 6, |k| *k == ParseErrorKind::EmptySubstring);
    check("(cn=**)", 5, |k| *k == ParseErrorKind::EmptySubstring);
    assert_eq!(
        err("(cn>=a*)").kind().to_string(),
        "'*' must be written \\2a inside a '>=' value"
    );
}

#[test]
fn extensible() {
    check("(:=x)", 1, |k| {
        *k == ParseErrorKind::ExtensibleWithoutAttrOrRule
    });
    check("(:dn:=x)", 1, |k| {
        *k == ParseErrorKind::ExtensibleWithoutAttrOrRule
    });
    check("(cn:rule;x:=v)", 8, |k| {
        *k == ParseErrorKind::RuleWithOptions
    });
    check("(cn:1.2:dn:=x)", 7, |k| {
        matches!(k, ParseErrorKind::MalformedExtensible { .. })
    });
    check("(cn:dn)", 6, |k| {
        matches!(k, ParseErrorKind::MalformedExtensible { .. })
    });
    check("(cn:)", 4, |k| {
        matches!(k, ParseErrorKind::MalformedExtensible { .. })
    });
    check("(cn:1.2)", 7, |k| {
        matches!(k, ParseErrorKind::MalformedExtensible { .. })
    });
    assert_eq!(
        Filter::parse("(cn:dn:=)").unwrap().to_sexpr(),
        r#"(ext cn nil true "")"#
    );
}

#[test]
fn utf8_and_depth() {
    let e = ParseOptions::strict().parse(b"(cn=\xff)").unwrap_err();
    assert_eq!((e.offset(), e.kind()), (4, &ParseErrorKind::InvalidUtf8));

    let deep = format!("{}(a=b){}", "(!".repeat(100_000), ")".repeat(100_000));
    let e = Filter::parse(&deep).unwrap_err();
    assert_eq!(e.kind(), &ParseErrorKind::TooDeep { limit: 64 });
    assert_eq!(e.offset(), 128);
    // Even at the highest limit, a hundred thousand levels are refused, not recursed into.
    let e = ParseOptions::strict()
        .with_max_depth(usize::MAX)
        .parse(&deep)
        .unwrap_err();
    assert_eq!(e.kind(), &ParseErrorKind::TooDeep { limit: 1024 });
    let unclosed = "(&".repeat(100_000);
    assert!(Filter::parse(&unclosed).is_err());
}

#[test]
fn render_points_at_the_character() {
    let e = err("(&(dépt=x))");
    let shown = e.render("(&(dépt=x))");
    let lines: Vec<&str> = shown.lines().collect();
    assert!(lines[0].starts_with("invalid filter: "), "{shown}");
    assert_eq!(lines[1], "  (&(dépt=x))");
    // 'é' is two bytes but one column: the caret sits under it.
    assert_eq!(lines[2], "      ^");
    assert!(shown.contains("hint: "));
}
