//! Evaluation semantics (DESIGN.md §7).

use std::collections::{BTreeMap, HashMap};

use ucx_filter::{Filter, Matcher, ParseOptions, ValidationError};

fn record(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, vs)| (k.to_string(), vs.iter().map(|v| v.to_string()).collect()))
        .collect()
}

#[track_caller]
fn is(filter: &str, rec: &BTreeMap<String, Vec<String>>, expected: bool) {
    let m = Matcher::compile(&ParseOptions::lenient().parse(filter).unwrap()).unwrap();
    assert_eq!(m.matches(rec), expected, "{filter} on {rec:?}");
}

#[test]
fn equality_ignores_case_and_insignificant_spaces() {
    let r = record(&[
        ("Department", &["  Sales   Team "]),
        ("city", &["New York"]),
    ]);
    is("(department=sales team)", &r, true);
    is("(DEPARTMENT=SALES TEAM)", &r, true);
    is("(department=  Sales Team)", &r, true);
    is("(department=salesteam)", &r, false);
    is("(department=Sales)", &r, false);
    is("(city=new  york)", &r, true);
}

#[test]
fn unicode_case() {
    let r = record(&[("sn", &["ÄRGER"])]);
    is("(sn=ärger)", &r, true);
    is("(sn=Ärger)", &r, true);
    is("(sn=arger)", &r, false);
}

#[test]
fn multi_valued_and_missing_attributes() {
    let r = record(&[("mail", &["a@x.com", "b@y.com"]), ("empty", &[])]);
    is("(mail=b@y.com)", &r, true);
    is("(mail=*@x.com)", &r, true);
    is("(mail=c@z.com)", &r, false);
    is("(missing=x)", &r, false);
    is("(!(missing=x))", &r, true);
    is("(missing=*)", &r, false);
    is("(mail=*)", &r, true);
    is("(empty=*)", &r, false);
    is("(!(mail=b@y.com))", &r, false);
}

#[test]
fn boolean_operators() {
    let r = record(&[("department", &["Sales"]), ("location", &["NYC"])]);
    is("(&(department=Sales)(location=NYC))", &r, true);
    is("(&(department=Sales)(location=LA))", &r, false);
    is("(|(department=Marketing)(location=NYC))", &r, true);
    is("(|(department=Marketing)(location=LA))", &r, false);
    is("(!(department=Temp))", &r, true);
    is("(&)", &r, true);
    is("(|)", &r, false);
    is("(!(|))", &r, true);
}

#[test]
fn substrings_in_order_without_overlap() {
    let r = record(&[
        ("o", &["University of Michigan"]),
        ("x", &["aXa"]),
        ("e", &["ann@Company.COM"]),
    ]);
    is("(o=univ*of*mich*)", &r, true);
    is("(o=univ*mich*of*)", &r, false);
    is("(o=*sity*)", &r, true);
    is("(o=*igan)", &r, true);
    is("(o=university of michigan*)", &r, true);
    is("(o=*Michigan extended)", &r, false);
    // "aXa": initial "a" and final "a" must not share the same character.
    is("(x=a*a)", &r, true);
    is("(x=ax*xa)", &r, false);
    is("(x=aXa*a)", &r, false);
    is("(x=a*xa*a)", &r, false);
    is("(e=*@company.com)", &r, true);
    is("(e=*@company.com*)", &r, true);
}

#[test]
fn ordering_ignores_case() {
    let r = record(&[("n", &["m"]), ("v", &["Beta"])]);
    is("(n>=M)", &r, true);
    is("(n<=M)", &r, true);
    is("(n>=n)", &r, false);
    is("(n<=a)", &r, false);
    is("(v>=alpha)", &r, true);
    is("(v<=GAMMA)", &r, true);
}

#[test]
fn approx_ignores_case_and_all_spaces() {
    let r = record(&[("cn", &["Mc Donald"])]);
    is("(cn~=mcdonald)", &r, true);
    is("(cn~=MC DON ALD)", &r, true);
    is("(cn~=macdonald)", &r, false);
}

#[test]
fn extensible_rules() {
    let r = record(&[("cn", &["Fred  Flintstone"]), ("sn", &["Rubble"])]);
    is("(cn:caseExactMatch:=Fred Flintstone)", &r, true);
    is("(cn:caseExactMatch:=fred flintstone)", &r, false);
    is("(cn:2.5.13.5:=Fred Flintstone)", &r, true);
    is("(cn:caseIgnoreMatch:=FRED FLINTSTONE)", &r, true);
    is("(cn:2.5.13.2:=fred flintstone)", &r, true);
    is("(cn:=fred flintstone)", &r, true);
    is("(cn:dn:=fred flintstone)", &r, true);
    is("(:caseIgnoreMatch:=rubble)", &r, true);
    is("(:caseExactMatch:=rubble)", &r, false);
    let unsupported = Matcher::compile(&Filter::parse("(cn:2.4.6.8.10:=x)").unwrap()).unwrap_err();
    assert_eq!(
        unsupported,
        ValidationError::UnsupportedRule {
            rule: "2.4.6.8.10".to_owned()
        }
    );
}

#[test]
fn escaped_and_non_utf8_values() {
    let r = record(&[("a", &["x*y"]), ("p", &["(1)"])]);
    is("(a=x\\2ay)", &r, true);
    is("(a=*\\2a*)", &r, true);
    is("(p=\\281\\29)", &r, true);
    // A value that is not UTF-8 can equal no record value; its negation holds.
    is("(a=\\ff)", &r, false);
    is("(!(a=\\ff))", &r, true);
    is("(a=*\\ff*)", &r, false);
}

#[test]
fn attribute_names_ignore_case_in_any_map() {
    let m = Matcher::compile(&Filter::parse("(Department=Sales)").unwrap()).unwrap();
    let mut h: HashMap<String, Vec<String>> = HashMap::new();
    h.insert("DEPARTMENT".into(), vec!["sales".into()]);
    assert!(m.matches(&h));
    let b = record(&[("department", &["sales"])]);
    assert!(m.matches(&b));
    assert!(m.matches(&&b));
}

#[test]
fn or_over_one_attribute() {
    let r = record(&[("location", &["Rome", "Boston"]), ("dept", &["Sales"])]);
    is("(|(location=NYC)(location=Boston))", &r, true);
    is("(|(location=NYC)(location=Paris))", &r, false);
    is("(|(location=NYC)(dept=sales)(location=Paris))", &r, true);
    is("(|(location=NYC)(location=*))", &r, true);
    is("(|(location=NYC)(location=Bos*)(location>=z))", &r, true);
    is("(|(nothing=x)(nothing=y))", &r, false);
    is("(!(|(location=NYC)(location=LA)))", &r, true);
}
