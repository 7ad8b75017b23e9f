//! The CUCM table ("CUCM Fields mapping") and the Entra set.

use std::collections::BTreeMap;

use ucx_mapping::RuleSet;
use ucx_sync_core::{ObjectKind, RecordMapper};

use crate::{map, record};

fn jsmith(extra: &[(&str, &str)]) -> ucx_sync_core::SourceRecord {
    let mut attrs = vec![
        ("userid", "JSmith"),
        ("firstName", "John"),
        ("lastName", "Smith"),
        ("office", "London Office"),
        ("telephoneNumber", "0123 456 789"),
        ("primaryExtension", "4789"),
        ("department", "Sales"),
        ("deviceName", "SEP00FF233CEB6E"),
    ];
    attrs.extend_from_slice(extra);
    record(ObjectKind::User, "JSmith", &attrs)
}

#[test]
fn cucm_rows() {
    let d = map("cucm", &jsmith(&[("mail", "JSmith@domain.com")]));
    let a = |f: &str| d.always.get_str(f);
    assert_eq!(a("first_name"), Some("John"));
    assert_eq!(a("last_name"), Some("Smith"));
    // AXL has no office: kept, so a value set by hand survives every run.
    assert_eq!(a("office_location"), None);
    assert!(
        RuleSet::builtin("cucm")
            .unwrap()
            .rule("office_location")
            .is_some_and(|r| r.label().starts_with("keep"))
    );
    assert_eq!(
        a("first_extension_number"),
        Some("0123 456 789"),
        "telephone number first"
    );
    assert_eq!(a("first_extension_number_alias"), Some("JSmith@domain.com"));
    for f in [
        "email",
        "voicemail_address",
        "fax_to_email_address",
        "sso_id",
    ] {
        assert_eq!(a(f), Some("JSmith@domain.com"), "{f}");
    }
    for f in [
        "active_directory_username",
        "pbx_username",
        "conversational_ai_username",
    ] {
        assert_eq!(a(f), Some("JSmith"), "{f}");
    }
    assert_eq!(a("device_name"), Some("SEP00FF233CEB6E"));
    for f in [
        "department",
        "cost_center",
        "site_name",
        "recording_group_name",
        "fax_group_username",
    ] {
        assert_eq!(a(f), Some("Sales"), "{f}");
    }
    assert_eq!(d.key.as_str(), "jsmith", "the sync key is the CUCM userid");
}

#[test]
fn cucm_primary_extension_when_there_is_no_telephone_number() {
    let mut r = jsmith(&[]);
    r.attributes = r.attributes.with("telephoneNumber", Vec::<String>::new());
    assert_eq!(
        map("cucm", &r).always.get_str("first_extension_number"),
        Some("4789")
    );
}

#[test]
fn cucm_email_composed_from_username_and_domain() {
    let params = BTreeMap::from([("email_domain".to_owned(), "example.com".to_owned())]);
    let rules = RuleSet::builtin_with("cucm", &params).unwrap();
    let d = rules.map(&jsmith(&[])).unwrap();
    assert_eq!(d.always.get_str("email"), Some("JSmith@example.com"));
    // A mail id in CUCM wins.
    let d = rules.map(&jsmith(&[("mail", "john@corp.com")])).unwrap();
    assert_eq!(d.always.get_str("email"), Some("john@corp.com"));
    // Without a configured domain nothing is made up.
    assert_eq!(map("cucm", &jsmith(&[])).always.get_str("email"), Some(""));
}

#[test]
fn cucm_address_composed_by_the_connector_fills_every_mail_row() {
    // The connector's `email_domain` composes `email` for a user without a mail id; the
    // built-in rules need no parameter for it.
    let d = map("cucm", &jsmith(&[("email", "JSmith@example.com")]));
    for f in [
        "email",
        "sso_id",
        "voicemail_address",
        "fax_to_email_address",
    ] {
        assert_eq!(d.always.get_str(f), Some("JSmith@example.com"), "{f}");
    }
}

#[test]
fn cucm_password_policy() {
    let weak = RuleSet::from_toml(
        "base = \"cucm\"\n[fields]\npassword = { on_create_value = \"password\" }\n",
    )
    .unwrap_err();
    assert_eq!(
        weak.to_string(),
        "field 'password' (line 3): the password must have at least 8 characters, a capital letter, a lowercase letter, a number and a special character"
    );
    let rules = RuleSet::from_toml(
        "base = \"cucm\"\n[fields]\npassword = { on_create_value = \"P@ssw0rd!\" }\n",
    )
    .unwrap();
    assert_eq!(
        rules
            .map(&jsmith(&[]))
            .unwrap()
            .on_create
            .get_str("password"),
        Some("P@ssw0rd!")
    );
}

#[test]
fn entra_rows() {
    let d = map(
        "entra",
        &record(
            ObjectKind::User,
            "AdeleV@contoso.com",
            &[
                ("userPrincipalName", "AdeleV@contoso.com"),
                ("givenName", "Adele"),
                ("surname", "Vance"),
                ("department", "Retail"),
                ("officeLocation", "18/2111"),
                ("city", "Bellevue"),
                ("phoneNumber", "+1 425 555 0109"),
                ("onPremisesSamAccountName", "adelev"),
                ("id", "87d349ed-44d7-43e1-9a83-5f2406dee5bd"),
            ],
        ),
    );
    let a = |f: &str| d.always.get_str(f);
    assert_eq!(
        a("email"),
        Some("AdeleV@contoso.com"),
        "mail falls back to the UPN"
    );
    assert_eq!(a("first_name"), Some("Adele"));
    assert_eq!(a("last_name"), Some("Vance"));
    assert_eq!(a("department"), Some("Retail"));
    assert_eq!(a("office_location"), Some("18/2111"));
    assert_eq!(a("first_extension_number"), Some("+1 425 555 0109"));
    assert_eq!(a("active_directory_username"), Some("adelev"));
    assert_eq!(a("domain"), Some("contoso.com"));
    assert_eq!(
        a("cdr_user_id"),
        Some("87d349ed-44d7-43e1-9a83-5f2406dee5bd")
    );
    assert_eq!(a("user_address"), Some("Bellevue"));
}
