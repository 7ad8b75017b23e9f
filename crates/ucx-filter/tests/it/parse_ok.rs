//! Every production of the strict profile, and the lenient extensions.

use ucx_filter::{Filter, ParseOptions};

fn sexpr(f: &str) -> String {
    Filter::parse(f)
        .unwrap_or_else(|e| panic!("{f} should parse: {e}"))
        .to_sexpr()
}

fn lenient(f: &str) -> String {
    ParseOptions::lenient()
        .parse(f)
        .unwrap_or_else(|e| panic!("{f} should parse leniently: {e}"))
        .to_sexpr()
}

#[test]
fn rfc4515_section4_examples() {
    let cases = [
        ("(cn=Babs Jensen)", r#"(eq cn "Babs Jensen")"#),
        ("(!(cn=Tim Howes))", r#"(not (eq cn "Tim Howes"))"#),
        (
            "(&(objectClass=Person)(|(sn=Jensen)(cn=Babs J*)))",
            r#"(and (eq objectClass "Person") (or (eq sn "Jensen") (substr cn "Babs J" [] nil)))"#,
        ),
        (
            "(o=univ*of*mich*)",
            r#"(substr o "univ" ["of" "mich"] nil)"#,
        ),
        ("(seeAlso=)", r#"(eq seeAlso "")"#),
        (
            "(cn:caseExactMatch:=Fred Flintstone)",
            r#"(ext cn caseExactMatch false "Fred Flintstone")"#,
        ),
        ("(cn:=Betty Rubble)", r#"(ext cn nil false "Betty Rubble")"#),
        (
            "(sn:dn:2.4.6.8.10:=Barney Rubble)",
            r#"(ext sn 2.4.6.8.10 true "Barney Rubble")"#,
        ),
        ("(o:dn:=Ace Industry)", r#"(ext o nil true "Ace Industry")"#),
        (
            "(:1.2.3:=Wilma Flintstone)",
            r#"(ext nil 1.2.3 false "Wilma Flintstone")"#,
        ),
        (
            "(:DN:2.4.6.8.10:=Dino)",
            r#"(ext nil 2.4.6.8.10 true "Dino")"#,
        ),
        (
            "(o=Parens R Us \\28for all your parenthetical needs\\29)",
            r#"(eq o "Parens R Us (for all your parenthetical needs)")"#,
        ),
        ("(cn=*\\2A*)", r#"(substr cn nil ["*"] nil)"#),
        ("(filename=C:\\5cMyFile)", r#"(eq filename "C:\\MyFile")"#),
        ("(bin=\\00\\00\\00\\04)", r#"(eq bin "\x00\x00\x00\x04")"#),
        (
            "(sn=Lu\\c4\\8di\\c4\\87)",
            r#"(eq sn "Lu\xc4\x8di\xc4\x87")"#,
        ),
        (
            "(1.3.6.1.4.1.1466.0=\\04\\02\\48\\69)",
            r#"(eq 1.3.6.1.4.1.1466.0 "\x04\x02Hi")"#,
        ),
    ];
    for (filter, expected) in cases {
        assert_eq!(sexpr(filter), expected, "{filter}");
    }
}

#[test]
fn product_document_examples() {
    assert_eq!(sexpr("(department=Sales)"), r#"(eq department "Sales")"#);
    assert_eq!(
        sexpr("(email=*@company.com)"),
        r#"(substr email nil [] "@company.com")"#
    );
    assert_eq!(
        sexpr("(phoneNumber=+1555456*)"),
        r#"(substr phoneNumber "+1555456" [] nil)"#
    );
    assert_eq!(
        sexpr("(&(department=Sales)(location=NYC))"),
        r#"(and (eq department "Sales") (eq location "NYC"))"#
    );
    assert_eq!(
        sexpr("(|(department=Sales)(department=Marketing))"),
        r#"(or (eq department "Sales") (eq department "Marketing"))"#
    );
    assert_eq!(
        sexpr("(!(department=Temp))"),
        r#"(not (eq department "Temp"))"#
    );
}

#[test]
fn filter_types() {
    assert_eq!(sexpr("(a>=5)"), r#"(ge a "5")"#);
    assert_eq!(sexpr("(a<=5)"), r#"(le a "5")"#);
    assert_eq!(sexpr("(a~=smith)"), r#"(approx a "smith")"#);
    assert_eq!(sexpr("(a=*)"), "(present a)");
    assert_eq!(sexpr("(a=x*)"), r#"(substr a "x" [] nil)"#);
    assert_eq!(sexpr("(a=*x)"), r#"(substr a nil [] "x")"#);
    assert_eq!(sexpr("(a=*x*)"), r#"(substr a nil ["x"] nil)"#);
    assert_eq!(sexpr("(a=x*y)"), r#"(substr a "x" [] "y")"#);
    assert_eq!(sexpr("(a=x*y*z*w)"), r#"(substr a "x" ["y" "z"] "w")"#);
    assert_eq!(sexpr("(a=\\2a)"), r#"(eq a "*")"#);
}

#[test]
fn values_may_hold_operators_spaces_and_utf8() {
    assert_eq!(sexpr("(a=x=y<z>~&|!:)"), r#"(eq a "x=y<z>~&|!:")"#);
    assert_eq!(sexpr("(a= spaced out )"), r#"(eq a " spaced out ")"#);
    assert_eq!(sexpr("(sn=Lučić)"), r#"(eq sn "Lu\xc4\x8di\xc4\x87")"#);
    assert_eq!(sexpr("(a=\\4A\\4a)"), r#"(eq a "JJ")"#);
}

#[test]
fn attribute_descriptions() {
    assert_eq!(sexpr("(cn;lang-en=x)"), r#"(eq cn;lang-en "x")"#);
    assert_eq!(
        sexpr("(cn;lang-en;binary=x)"),
        r#"(eq cn;lang-en;binary "x")"#
    );
    assert_eq!(sexpr("(2.5.4.3=x)"), r#"(eq 2.5.4.3 "x")"#);
    assert_eq!(sexpr("(0.0=x)"), r#"(eq 0.0 "x")"#);
    assert_eq!(sexpr("(a-b-9=x)"), r#"(eq a-b-9 "x")"#);
    let f = Filter::parse("(CN;Lang-EN=x)").unwrap();
    let a = f.attribute().unwrap();
    assert_eq!(a.name(), "CN");
    assert_eq!(a.options().collect::<Vec<_>>(), ["Lang-EN"]);
    assert!(a.is("cn;lang-en"));
}

#[test]
fn extensible_forms() {
    assert_eq!(sexpr("(cn:dn:=x)"), r#"(ext cn nil true "x")"#);
    assert_eq!(sexpr("(cn:DN:=x)"), r#"(ext cn nil true "x")"#);
    assert_eq!(
        sexpr("(cn:Dn:caseIgnoreMatch:=x)"),
        r#"(ext cn caseIgnoreMatch true "x")"#
    );
    assert_eq!(
        sexpr("(:caseExactMatch:=x)"),
        r#"(ext nil caseExactMatch false "x")"#
    );
    assert_eq!(sexpr("(cn:dnx:=x)"), r#"(ext cn dnx false "x")"#);
    assert_eq!(sexpr("(cn:=)"), r#"(ext cn nil false "")"#);
    assert_eq!(sexpr("(cn:=a:b=c)"), r#"(ext cn nil false "a:b=c")"#);
}

#[test]
fn nesting() {
    let f = Filter::parse("(&(a=1)(|(b=2)(!(c=3))))").unwrap();
    assert_eq!(f.depth(), 4);
    assert_eq!(
        f.attributes()
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    assert_eq!(sexpr("(&(a=1))"), r#"(and (eq a "1"))"#);
    assert_eq!(sexpr("(|(a=1))"), r#"(or (eq a "1"))"#);
}

#[test]
fn depth_limit_is_configurable() {
    let f = format!("{}(a=b){}", "(!".repeat(63), ")".repeat(63));
    assert_eq!(Filter::parse(&f).unwrap().depth(), 64);
    let deeper = format!("(!{f})");
    assert!(Filter::parse(&deeper).is_err());
    let opts = ParseOptions::strict().with_max_depth(100);
    assert_eq!(opts.parse(&deeper).unwrap().depth(), 65);
    assert!(
        ParseOptions::strict()
            .with_max_depth(1)
            .parse("(!(a=b))")
            .is_err()
    );
    assert_eq!(ParseOptions::strict().with_max_depth(0).max_depth(), 1);
    assert_eq!(
        ParseOptions::strict()
            .with_max_depth(usize::MAX)
            .max_depth(),
        ucx_filter::MAX_DEPTH_LIMIT
    );
}

#[test]
fn lenient_mode() {
    assert_eq!(lenient("department=Sales"), r#"(eq department "Sales")"#);
    assert_eq!(
        lenient("  department = Sales  "),
        r#"(eq department "Sales")"#
    );
    assert_eq!(
        lenient(" ( & ( department = Sales ) \n ( location=NYC ) ) "),
        r#"(and (eq department "Sales") (eq location "NYC"))"#
    );
    assert_eq!(lenient("(! (a=b))"), r#"(not (eq a "b"))"#);
    assert_eq!(lenient("(&)"), "(and)");
    assert_eq!(lenient("(|)"), "(or)");
    assert_eq!(lenient("(&(|)(a=*))"), "(and (or) (present a))");
    assert_eq!(
        lenient("email=*@company.com"),
        r#"(substr email nil [] "@company.com")"#
    );
    // An escaped space is data, not layout.
    assert_eq!(lenient("(a=\\20x\\20)"), r#"(eq a " x ")"#);
    // Lenient is still a filter grammar.
    assert!(ParseOptions::lenient().parse("department").is_err());
    assert!(ParseOptions::lenient().parse("(a=b) (c=d)").is_err());
}
