//! The canonical RFC 4515 string and the S-expression form.

use ucx_filter::{Filter, ParseOptions};

#[test]
fn canonical_string() {
    let cases = [
        ("(cn=Babs Jensen)", "(cn=Babs Jensen)"),
        ("(:DN:2.4.6.8.10:=Dino)", "(:dn:2.4.6.8.10:=Dino)"),
        ("(cn:Dn:=x)", "(cn:dn:=x)"),
        ("(o=univ*of*mich*)", "(o=univ*of*mich*)"),
        ("(cn=*\\2A*)", "(cn=*\\2a*)"),
        ("(a=\\4a)", "(a=J)"),
        ("(sn=Lu\\c4\\8di\\c4\\87)", "(sn=Lučić)"),
        ("(bin=\\ff\\00)", "(bin=\\ff\\00)"),
        ("(a=\\28\\29\\5c)", "(a=\\28\\29\\5c)"),
        ("(a= x )", "(a=\\20x\\20)"),
        ("(a=\\09tab)", "(a=\\09tab)"),
        (
            "(&(a>=1)(b<=2)(c~=3)(d=*)(!(e=5)))",
            "(&(a>=1)(b<=2)(c~=3)(d=*)(!(e=5)))",
        ),
    ];
    for (input, canonical) in cases {
        assert_eq!(
            Filter::parse(input).unwrap().to_string(),
            canonical,
            "{input}"
        );
    }
    let lenient = ParseOptions::lenient();
    assert_eq!(
        lenient.parse(" ( & (a = b) ) ").unwrap().to_string(),
        "(&(a=b))"
    );
    assert_eq!(lenient.parse("(&)").unwrap().to_string(), "(&)");
    assert_eq!(
        lenient.parse("department=Sales").unwrap().to_string(),
        "(department=Sales)"
    );
}

#[test]
fn sexpr_quoting() {
    assert_eq!(
        Filter::parse("(a=say \\22hi\\22)").unwrap().to_sexpr(),
        r#"(eq a "say \"hi\"")"#
    );
    assert_eq!(
        Filter::parse("(a=back\\5cslash)").unwrap().to_sexpr(),
        r#"(eq a "back\\slash")"#
    );
    assert_eq!(
        Filter::parse("(a=\\7f\\0a)").unwrap().to_sexpr(),
        r#"(eq a "\x7f\x0a")"#
    );
    assert_eq!(
        Filter::parse("(CamelCase=x)").unwrap().to_sexpr(),
        r#"(eq CamelCase "x")"#
    );
    assert_eq!(Filter::parse("(a=*)").unwrap().to_sexpr(), "(present a)");
    assert_eq!(
        Filter::parse("(a~=x)").unwrap().to_sexpr(),
        r#"(approx a "x")"#
    );
    assert_eq!(Filter::parse("(a>=x)").unwrap().to_sexpr(), r#"(ge a "x")"#);
    assert_eq!(Filter::parse("(a<=x)").unwrap().to_sexpr(), r#"(le a "x")"#);
}

#[test]
fn printed_filters_parse_back_identically() {
    for f in [
        "(&(objectClass=Person)(|(sn=Jensen)(cn=Babs J*)))",
        "(:DN:2.4.6.8.10:=Dino)",
        "(bin=\\00\\00\\00\\04)",
        "(bin=\\ff\\fe)",
        "(a=\\20lead)",
        "(cn;lang-en=*x*y*)",
    ] {
        let parsed = Filter::parse(f).unwrap();
        assert_eq!(Filter::parse(&parsed.to_string()).unwrap(), parsed, "{f}");
        assert_eq!(
            ParseOptions::lenient().parse(parsed.to_string()).unwrap(),
            parsed,
            "{f}"
        );
    }
}
