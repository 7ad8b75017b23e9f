//! Rule files: overrides, policies, and errors that name the field and the line.

use ucx_mapping::{OnMissing, Policy, RuleError, RuleSet};
use ucx_sync_core::{ObjectKind, RecordMapper};

use crate::record;

#[test]
fn overrides_replace_single_fields() {
    let rules = RuleSet::from_toml(
        r#"
base = "webex-users"
[fields]
first_extension_number = { every_time = ["phoneNumber", "esn"] }
title = { every_time = "title", on_missing = "keep" }
department = { keep = true }
preferred_language = { on_create_value = "IT" }
user_pin = { on_create = "'1234'" }
"#,
    )
    .unwrap();
    let r = record(
        ObjectKind::User,
        "a@company.com",
        &[
            ("esn", "336623"),
            ("phoneNumber", "+447259856623"),
            ("department", "Sales"),
        ],
    );
    let d = rules.map(&r).unwrap();
    assert_eq!(
        d.always.get_str("first_extension_number"),
        Some("+447259856623")
    );
    assert_eq!(d.always.get_str("department"), None, "kept: never written");
    assert_eq!(
        d.always.get_str("title"),
        None,
        "no title and on_missing = keep: not written"
    );
    assert_eq!(d.on_create.get_str("preferred_language"), Some("IT"));
    assert_eq!(d.on_create.get_str("user_pin"), Some("1234"));
    assert_eq!(rules.rule("title").unwrap().on_missing, OnMissing::Keep);
    assert!(matches!(
        rules.rule("department").unwrap().policy,
        Policy::Keep
    ));
    // Untouched rows keep the table's rule.
    assert_eq!(d.always.get_str("voicemail_number"), Some("*55336623"));
}

#[test]
fn errors_name_the_field_and_the_line() {
    let cases = [
        (
            "base = \"webex-users\"\n[fields]\nnickname = { keep = true }\n",
            "unknown field 'nickname' (line 3)",
        ),
        (
            "base = \"webex-users\"\n[fields]\n\nfirst_name = { every_time = \"givenName\" }\n",
            "field 'first_name' (line 4): source webex-users has no attribute 'givenName'",
        ),
        (
            "base = \"webex-users\"\n[fields]\nuser_address = { every_time = \"{street\" }\n",
            "field 'user_address' (line 3): invalid expression",
        ),
        (
            "base = \"webex-users\"\n[fields]\nmasked_digits = { on_create_value = \"123\" }\n",
            "field 'masked_digits' (line 3): the value is 3 characters long; the field keeps at most 2",
        ),
        (
            "base = \"webex-users\"\n[fields]\nemail = { keep = true, every_time = \"email\" }\n",
            "field 'email' (line 3): give exactly one of every_time, on_create, on_create_value, keep",
        ),
        ("base = \"ldap\"\n", "unknown rule set 'ldap'"),
        (
            "base = \"webex-users\"\ncolour = 1\n",
            "invalid rules file (line 2): unknown field `colour`",
        ),
        (
            "base = \"webex-users\"\n[fields]\nemail = { evry_time = \"email\" }\n",
            "invalid rules file (line 3): unknown field `evry_time`",
        ),
    ];
    for (text, expected) in cases {
        let e = RuleSet::from_toml(text).unwrap_err();
        assert!(
            e.to_string().starts_with(expected),
            "{text:?}\n  got: {e}\n want: {expected}"
        );
    }
    assert!(matches!(
        RuleSet::builtin("nope"),
        Err(RuleError::UnknownRuleSet { .. })
    ));
}

#[test]
fn every_builtin_set_loads() {
    for name in ["webex-users", "webex-virtual", "webex-fax", "cucm", "entra"] {
        let rules = RuleSet::builtin(name).unwrap();
        assert_eq!(rules.name(), name);
        assert!(rules.rules().count() > 10, "{name}");
    }
}

#[test]
fn explain_shows_rule_values_consulted_and_result() {
    let rules = RuleSet::builtin("webex-users").unwrap();
    let r = record(
        ObjectKind::User,
        "a@company.com",
        &[("phoneNumber", "+447259856623")],
    );
    let ex = rules.explain(&r);
    let ext = ex
        .iter()
        .find(|e| e.field == "first_extension_number")
        .unwrap();
    assert_eq!(ext.rule, "every time: esn | phoneNumber");
    assert_eq!(
        ext.consulted,
        [
            ("esn".to_owned(), None),
            ("phoneNumber".to_owned(), Some("+447259856623".to_owned()))
        ]
    );
    assert_eq!(ext.result.as_deref(), Some("+447259856623"));
    let title = ex.iter().find(|e| e.field == "title").unwrap();
    assert_eq!(
        (title.rule.as_str(), title.result.as_deref()),
        ("keep existing value", None)
    );
    let json = serde_json::to_value(&ex).unwrap();
    assert!(json.as_array().unwrap().len() > 30);
}
