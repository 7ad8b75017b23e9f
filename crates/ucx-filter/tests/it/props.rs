//! Property tests: printing then parsing gives the same filter; no input makes the parser panic.

use proptest::prelude::*;
use ucx_filter::{AttributeDescription, Filter, Matcher, ParseOptions};

fn attr() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9-]{0,8}(;[a-zA-Z0-9-]{1,5}){0,2}",
        "(0|[1-9][0-9]{0,3})(\\.(0|[1-9][0-9]{0,3})){1,4}",
    ]
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..12),
        "[ -~]{0,12}".prop_map(String::into_bytes),
        "\\PC{0,6}".prop_map(String::into_bytes),
    ]
}

fn nonempty_value() -> impl Strategy<Value = Vec<u8>> {
    value().prop_filter("non-empty", |v| !v.is_empty())
}

/// Builds a filter through the parser (the AST has private attribute internals), from a text we
/// know to be valid.
fn leaf() -> impl Strategy<Value = Filter> {
    let esc = |v: &[u8]| v.iter().map(|b| format!("\\{b:02x}")).collect::<String>();
    prop_oneof![
        (attr(), value()).prop_map(move |(a, v)| format!(
            "({a}={})",
            if v.is_empty() { String::new() } else { esc(&v) }
        )),
        (attr(), value()).prop_map(move |(a, v)| format!("({a}>={})", esc(&v))),
        (attr(), value()).prop_map(move |(a, v)| format!("({a}<={})", esc(&v))),
        (attr(), value()).prop_map(move |(a, v)| format!("({a}~={})", esc(&v))),
        attr().prop_map(|a| format!("({a}=*)")),
        (
            attr(),
            proptest::option::of(nonempty_value()),
            proptest::collection::vec(nonempty_value(), 0..3),
            proptest::option::of(nonempty_value())
        )
            .prop_map(move |(a, i, any, f)| {
                let mut s = format!("({a}=");
                if let Some(i) = i {
                    s.push_str(&esc(&i));
                }
                s.push('*');
                for p in any {
                    s.push_str(&esc(&p));
                    s.push('*');
                }
                if let Some(f) = f {
                    s.push_str(&esc(&f));
                }
                s.push(')');
                s
            }),
        (
            proptest::option::of(attr()),
            proptest::option::of("caseExactMatch|[1-9]\\.[0-9]\\.[0-9]"),
            any::<bool>(),
            value()
        )
            .prop_filter("attr or rule", |(a, r, _, _)| a.is_some() || r.is_some())
            .prop_map(move |(a, r, dn, v)| format!(
                "({}{}{}:={})",
                a.unwrap_or_default(),
                if dn { ":DN" } else { "" },
                r.map(|r| format!(":{r}")).unwrap_or_default(),
                esc(&v)
            )),
    ]
    .prop_map(|text| {
        ParseOptions::lenient()
            .parse(&text)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    })
}

fn filter() -> impl Strategy<Value = Filter> {
    leaf().prop_recursive(6, 40, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Filter::And),
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn print_then_parse_is_identity(f in filter()) {
        let text = f.to_string();
        let lenient = ParseOptions::lenient().parse(&text);
        prop_assert_eq!(lenient.as_ref().ok(), Some(&f), "{}", text);
        let has_empty_set = {
            let mut found = false;
            f.visit(&mut |n| if let Filter::And(c) | Filter::Or(c) = n { found |= c.is_empty() });
            found
        };
        if !has_empty_set {
            prop_assert_eq!(Filter::parse(&text).ok(), Some(f.clone()), "{}", text);
        }
        // The S-expression and evaluation never fail on a valid tree.
        let _ = f.to_sexpr();
        let _ = Matcher::compile(&f);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        for opts in [ParseOptions::strict(), ParseOptions::lenient()] {
            match opts.parse(&bytes) {
                Ok(f) => { let _ = (f.to_string(), f.to_sexpr()); }
                Err(e) => prop_assert!(e.offset() <= bytes.len()),
            }
        }
    }

    #[test]
    fn filter_shaped_text_never_panics(text in "[()&|!=*~<>:;.a-c0-2\\\\ ]{0,40}") {
        for opts in [ParseOptions::strict(), ParseOptions::lenient()] {
            match opts.parse(&text) {
                Ok(f) => {
                    prop_assert_eq!(opts.parse(f.to_string()).ok(), Some(f));
                }
                Err(e) => {
                    prop_assert!(e.offset() <= text.len());
                    let _ = e.render(&text);
                }
            }
        }
    }
}

#[test]
fn attribute_description_accessors() {
    let f = Filter::parse("(cn;x=1)").unwrap();
    let a: &AttributeDescription = f.attribute().unwrap();
    assert_eq!(a.to_string(), "cn;x");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// A leading space is folded away, so it must not change a verdict; it also moves the value off
    /// the ASCII fast path, so this checks the fast path against the general one.
    #[test]
    fn ascii_fast_path_agrees_with_general_path(
        value in "[abAB@. -]{0,10}",
        op in 0usize..6,
        parts in proptest::collection::vec("[abAB@.]{1,3}", 1..4),
    ) {
        let text = match op {
            0 => format!("(x={})", parts[0]),
            1 => format!("(x>={})", parts[0]),
            2 => format!("(x<={})", parts[0]),
            3 => format!("(x={}*)", parts.join("*")),
            4 => format!("(x=*{})", parts.join("*")),
            _ => format!("(x:caseExactMatch:={})", parts[0]),
        };
        let m = Matcher::compile(&Filter::parse(&text).unwrap()).unwrap();
        let rec = |v: String| std::collections::BTreeMap::from([("x".to_owned(), vec![v])]);
        prop_assert_eq!(
            m.matches(&rec(value.clone())),
            m.matches(&rec(format!(" {value}"))),
            "{} on {:?}", text, value
        );
    }
}
