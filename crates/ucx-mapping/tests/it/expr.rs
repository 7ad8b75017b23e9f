//! The expression language.

use ucx_mapping::Expr;
use ucx_sync_core::ObjectKind;

use crate::record;

fn eval(text: &str, attrs: &[(&str, &str)]) -> String {
    let r = record(ObjectKind::HuntGroup, "k", attrs);
    let mut out = String::new();
    Expr::parse(text)
        .unwrap()
        .eval(&r, None, &mut out, &mut |_, _| {});
    out
}

#[test]
fn attributes_fallbacks_and_concatenation() {
    let a = [
        ("esn", "336623"),
        ("phoneNumber", "+447259856623"),
        ("empty", "  "),
    ];
    assert_eq!(eval("esn", &a), "336623");
    assert_eq!(eval("ESN", &a), "336623", "attribute names ignore case");
    assert_eq!(eval("esn | phoneNumber", &a), "336623");
    assert_eq!(eval("phoneNumber | esn", &a), "+447259856623");
    assert_eq!(eval("missing | empty | phoneNumber", &a), "+447259856623");
    assert_eq!(eval("'*55' + esn", &a), "*55336623");
    assert_eq!(
        eval("'*55' + missing", &a),
        "",
        "a prefix alone is no value"
    );
    assert_eq!(eval("'*55' + missing | 'none'", &a), "none");
    assert_eq!(eval("acronym() + '_' + (missing | esn)", &a), "HG_336623");
}

#[test]
fn functions() {
    let a = [
        ("email", "John.Smith@Company.com"),
        ("phone", "+44 (0) 7259-856623"),
    ];
    assert_eq!(eval("local(email)", &a), "John.Smith");
    assert_eq!(eval("domain(email)", &a), "Company.com");
    assert_eq!(eval("lower(email)", &a), "john.smith@company.com");
    assert_eq!(eval("upper(local(email))", &a), "JOHN.SMITH");
    assert_eq!(eval("digits(phone)", &a), "4407259856623");
    assert_eq!(eval("lower(missing) | 'x'", &a), "x");
    assert_eq!(
        eval("upper(email)", &[("email", "ärger@x.de")]),
        "ÄRGER@X.DE"
    );
}

#[test]
fn templates_drop_a_missing_part_with_its_separator() {
    let t = "{streetAddress}, {postalCode} {locality}, {region} - {country}";
    let full = [
        ("streetAddress", "102 Edith Groove"),
        ("postalCode", "SW1"),
        ("locality", "London"),
        ("region", "Greater London"),
        ("country", "United Kingdom"),
    ];
    assert_eq!(
        eval(t, &full),
        "102 Edith Groove, SW1 London, Greater London - United Kingdom"
    );
    let no_region: Vec<_> = full
        .iter()
        .copied()
        .filter(|(k, _)| *k != "region")
        .collect();
    assert_eq!(
        eval(t, &no_region),
        "102 Edith Groove, SW1 London - United Kingdom"
    );
    let no_street: Vec<_> = full
        .iter()
        .copied()
        .filter(|(k, _)| *k != "streetAddress")
        .collect();
    assert_eq!(
        eval(t, &no_street),
        "SW1 London, Greater London - United Kingdom"
    );
    assert_eq!(eval(t, &[("country", "Italy")]), "Italy");
    assert_eq!(eval(t, &[]), "", "nothing at all is no value");
    assert_eq!(
        eval("Tel. {phone} (work)", &[("phone", "1")]),
        "Tel. 1 (work)"
    );
    assert_eq!(eval("{a | b}/{lower(c)}", &[("b", "B"), ("c", "C")]), "B/c");
}

#[test]
fn errors_point_at_the_problem() {
    for (text, offset) in [
        ("esn +", 5),
        ("esn phoneNumber", 4),
        ("frobnicate(esn)", 0),
        ("'unclosed", 0),
        ("{street", 0),
        ("street}", 6),
        ("{}", 0),
        ("{a} {b +}", 8),
    ] {
        let e = Expr::parse(text).unwrap_err();
        assert_eq!(e.offset, offset, "{text}: {e}");
        assert!(e.to_string().contains(text), "{e}");
    }
}

#[test]
fn expressions_print_back() {
    for text in [
        "esn | phoneNumber",
        "'*55' + esn",
        "acronym() + '_' + (phoneNumber | extension | name)",
        "local(email)",
    ] {
        assert_eq!(Expr::parse(text).unwrap().to_string(), text);
    }
    assert_eq!(
        Expr::parse("{streetAddress}, {postalCode}")
            .unwrap()
            .to_string(),
        "{streetAddress}, {postalCode}"
    );
}

/// Nesting is bounded: a rule file with thousands of parentheses is a typed error at the
/// parenthesis that goes too deep, never a stack overflow; the deepest allowed still parses,
/// and parentheses inside a literal do not count.
#[test]
fn nesting_deeper_than_the_bound_is_an_error_not_a_crash() {
    use ucx_mapping::MAX_EXPR_DEPTH;
    let deep = format!("{}mail{}", "(".repeat(100_000), ")".repeat(100_000));
    let e = Expr::parse(&deep).unwrap_err();
    assert_eq!(e.offset, MAX_EXPR_DEPTH, "{e}");
    assert!(e.to_string().contains("nest deeper than 32"), "{e}");
    let calls = format!("{}mail{}", "lower(".repeat(50), ")".repeat(50));
    assert!(Expr::parse(&calls).is_err());
    let templated = format!("x {{{}mail{}}}", "(".repeat(40), ")".repeat(40));
    assert!(Expr::parse(&templated).is_err());
    let ok = format!(
        "{}mail{}",
        "(".repeat(MAX_EXPR_DEPTH),
        ")".repeat(MAX_EXPR_DEPTH)
    );
    assert!(Expr::parse(&ok).is_ok());
    let quoted = format!("'{}' + mail", "(".repeat(100));
    assert!(Expr::parse(&quoted).is_ok());
}
