//! Validation against a source's filterable fields, and schema-aware evaluation.

use std::collections::BTreeMap;

use ucx_filter::{
    Field, Filter, FilterError, FilterSchema, ParseOptions, ValidationError, compile,
};

fn rec(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect()
}

#[test]
fn webex_fields_and_user_types() {
    let s = FilterSchema::webex_users();
    for ok in [
        "(email=*@company.com)",
        "(department=Sales)",
        "(Location=NYC)",
        "(location=NYC)",
        "(phoneNumber=+1555456*)",
        "(UserType=user)",
        "(userType=FAX-WORKSPACE)",
        "(|(UserType=hunt-group)(UserType=call-queue)(UserType=auto-attendant)(UserType=virtual-line)(UserType=workspace))",
        "(userType=*group)",
        "(userType=*)",
    ] {
        assert!(s.validate(&Filter::parse(ok).unwrap()).is_ok(), "{ok}");
    }
    let e = s
        .validate(&Filter::parse("(title=Boss)").unwrap())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown field 'title'; the filterable fields are: email, department, location, phoneNumber, userType"
    );
    let e = s
        .validate(&Filter::parse("(UserType=room)").unwrap())
        .unwrap_err();
    assert!(
        matches!(&e, ValidationError::UnknownValue { field, value, .. } if field == "userType" && value == "room")
    );
    assert!(e.to_string().contains(
        "user, auto-attendant, call-queue, hunt-group, virtual-line, workspace, fax-workspace"
    ));
    let e = s
        .validate(&Filter::parse("(userType=*room*)").unwrap())
        .unwrap_err();
    assert!(matches!(e, ValidationError::UnknownValue { .. }));
    assert!(
        s.validate(&Filter::parse("(userType~=Hunt Group)").unwrap())
            .is_err()
    );
    assert!(
        s.validate(&Filter::parse("(cn:caseExactMatch:=x)").unwrap())
            .is_err()
    );
}

#[test]
fn entra_fields() {
    let s = FilterSchema::entra();
    for ok in [
        "(officeLocation=HQ)",
        "(location=Milan)",
        "(email=*@contoso.com)",
    ] {
        assert!(s.validate(&Filter::parse(ok).unwrap()).is_ok(), "{ok}");
    }
    assert!(
        s.validate(&Filter::parse("(userType=user)").unwrap())
            .is_err()
    );
}

#[test]
fn phone_numbers_ignore_spaces_dashes_and_brackets() {
    let m = FilterSchema::webex_users()
        .compile(&Filter::parse("(phoneNumber=+1555456*)").unwrap())
        .unwrap();
    assert!(m.matches(&rec(&[("phoneNumber", "+1 (555) 456-7890")])));
    assert!(m.matches(&rec(&[("phoneNumber", "+1-555-456-0000")])));
    assert!(!m.matches(&rec(&[("phoneNumber", "+1 555 457 0000")])));
    let eq = FilterSchema::webex_users()
        .compile(&Filter::parse("(phoneNumber=+1 \\28555\\29 456-7890)").unwrap())
        .unwrap();
    assert!(eq.matches(&rec(&[("phonenumber", "+15554567890")])));
    // Without a schema a phone number is plain text.
    let plain =
        ucx_filter::Matcher::compile(&Filter::parse("(phoneNumber=+1555456*)").unwrap()).unwrap();
    assert!(!plain.matches(&rec(&[("phoneNumber", "+1 (555) 456-7890")])));
}

#[test]
fn aliases_and_attribute_names() {
    let s = FilterSchema::new()
        .field(
            Field::text("email")
                .alias("mail")
                .from_attribute("userPrincipalName"),
        )
        .field(Field::enumerated("kind", ["a", "b"]));
    let m = s
        .compile(&Filter::parse("(MAIL=ann@x.com)").unwrap())
        .unwrap();
    assert!(m.matches(&rec(&[("userprincipalname", "Ann@X.com")])));
    assert!(!m.matches(&rec(&[("email", "ann@x.com")])));
    assert_eq!(s.lookup("Mail").map(Field::name), Some("email"));
    // An extensible match without attribute tests every field of the schema.
    let any = s
        .compile(&Filter::parse("(:caseIgnoreMatch:=A)").unwrap())
        .unwrap();
    assert!(any.matches(&rec(&[("kind", "a")])));
    assert!(!any.matches(&rec(&[("other", "a")])));
}

#[test]
fn compile_reports_parse_and_validation_errors_apart() {
    let webex = FilterSchema::webex_users();
    assert!(matches!(
        compile("(department=Sales", ParseOptions::strict(), &webex),
        Err(FilterError::Parse(_))
    ));
    assert!(matches!(
        compile("(title=x)", ParseOptions::strict(), &webex),
        Err(FilterError::Invalid(_))
    ));
    let m = compile("department = Sales", ParseOptions::lenient(), &webex).unwrap();
    assert!(m.matches(&rec(&[("department", "sales")])));
}
