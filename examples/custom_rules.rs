//! Unit-testing a custom rule set: load rules from TOML, map a record by hand, and check the
//! fields (and why each has its value) before pointing the rules at a real directory.
//!
//! ```text
//! cargo run --example custom_rules
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ucx_sync::core::{ObjectKind, RecordMapper, SourceRecord};
use ucx_sync::mapping::RuleSet;

const RULES: &str = r#"
base = "entra"

[params]
site = "HQ"

[fields.first_extension_number]
every_time = ["phoneNumber", "mobilePhone"]

[fields.office_location]
every_time = "officeLocation | $site"

[fields.department]
every_time = "upper(department)"
"#;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rules = RuleSet::from_toml(RULES)?;
    let record = SourceRecord::new(ObjectKind::User, "ann.lee@example.com").with_attributes(
        [
            ("userPrincipalName", vec!["ann.lee@example.com"]),
            ("givenName", vec!["Ann"]),
            ("surname", vec!["Lee"]),
            ("department", vec!["Sales"]),
            ("mobilePhone", vec!["+1 917 555 0188"]),
        ]
        .into_iter()
        .collect(),
    );
    let wanted = rules.map(&record)?;
    // What a unit test of the rules asserts:
    assert_eq!(
        wanted.always.get_str("first_extension_number"),
        Some("+1 917 555 0188")
    );
    assert_eq!(wanted.always.get_str("office_location"), Some("HQ"));
    assert_eq!(wanted.always.get_str("department"), Some("SALES"));
    assert_eq!(wanted.always.get_str("email"), Some("ann.lee@example.com"));
    for f in rules
        .explain(&record)
        .iter()
        .filter(|f| f.result.as_deref().is_some_and(|v| !v.is_empty()))
        .take(8)
    {
        println!(
            "{:<28} {:<24} ← {}",
            f.field,
            f.result.as_deref().unwrap_or_default(),
            f.rule
        );
    }
    println!("the custom rules hold");
    Ok(())
}
