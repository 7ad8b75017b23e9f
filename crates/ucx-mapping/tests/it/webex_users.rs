//! The Webex users table ("Users Synch Rules"), one test per row, from the document's example
//! values.

use ucx_sync_core::{Desired, ObjectKind};

use crate::{map, record};

fn john() -> Desired {
    map(
        "webex-users",
        &record(
            ObjectKind::User,
            "john.smith@company.com",
            &[
                ("email", "john.smith@company.com"),
                ("firstName", "John"),
                ("lastName", "Smith"),
                ("extension", "6623"),
                ("routingPrefix", "33"),
                ("esn", "336623"),
                ("phoneNumber", "+447259856623"),
                ("workPhone", "+44984664564"),
                ("mobilePhone", "+44702465646"),
                ("faxNumber", "+44984664564"),
                ("department", "Sales"),
                ("organization.name", "ACME Inc."),
                ("location.name", "France"),
                ("commonIdentityId", "b1c2d3e4-0000-4000-8000-000000000001"),
                ("nativeUserId", "ext-john-smith"),
                (
                    "avatarUrl",
                    "https://avatar-prod-us-east-2.webexcontent.com/Avtr~V1~1/File~abc~1600",
                ),
                ("streetAddress", "102 Edith Groove"),
                ("postalCode", "SW1"),
                ("locality", "London"),
                ("region", "Greater London"),
                ("country", "United Kingdom"),
                ("title", "Engineer"),
            ],
        ),
    )
}

fn always(field: &str) -> Option<String> {
    john().always.get_str(field).map(str::to_owned)
}

fn on_create(field: &str) -> Option<String> {
    john().on_create.get_str(field).map(str::to_owned)
}

#[test]
fn preferred_language_only_when_adding() {
    assert_eq!(on_create("preferred_language").as_deref(), Some("EN"));
    assert_eq!(always("preferred_language"), None);
}

#[test]
fn password_and_pin_are_not_set_unless_configured() {
    assert_eq!((always("password"), on_create("password")), (None, None));
    assert_eq!((always("user_pin"), on_create("user_pin")), (None, None));
}

#[test]
fn active_directory_username_and_domain_from_the_email() {
    assert_eq!(
        always("active_directory_username").as_deref(),
        Some("john.smith")
    );
    assert_eq!(always("domain").as_deref(), Some("company.com"));
}

#[test]
fn sso_id_and_conversational_ai_username_use_the_mail_address() {
    assert_eq!(always("sso_id").as_deref(), Some("john.smith@company.com"));
    assert_eq!(
        always("conversational_ai_username").as_deref(),
        Some("john.smith@company.com")
    );
}

#[test]
fn names() {
    assert_eq!(always("first_name").as_deref(), Some("John"));
    assert_eq!(always("last_name").as_deref(), Some("Smith"));
}

#[test]
fn first_extension_number_is_esn_or_phone_number() {
    // ESN = location.routingPrefix + webexCalling.extension = 33 + 6623.
    assert_eq!(always("first_extension_number").as_deref(), Some("336623"));
    let no_esn = map(
        "webex-users",
        &record(
            ObjectKind::User,
            "a@company.com",
            &[("phoneNumber", "+447259856623")],
        ),
    );
    assert_eq!(
        no_esn.always.get_str("first_extension_number"),
        Some("+447259856623")
    );
}

#[test]
fn alias_and_published_number_are_extension_or_phone_number() {
    assert_eq!(
        always("first_extension_number_alias").as_deref(),
        Some("6623")
    );
    assert_eq!(
        always("published_directory_number").as_deref(),
        Some("6623")
    );
}

#[test]
fn ids_and_device_names() {
    assert_eq!(
        always("cdr_user_id").as_deref(),
        Some("b1c2d3e4-0000-4000-8000-000000000001")
    );
    assert_eq!(always("device_name").as_deref(), Some("ext-john-smith"));
    assert_eq!(
        always("preferred_device_name").as_deref(),
        Some("ext-john-smith")
    );
    assert_eq!(always("pbx_username").as_deref(), Some("ext-john-smith"));
}

#[test]
fn email_and_the_addresses_that_use_it() {
    for f in [
        "email",
        "voicemail_address",
        "fax_to_email_address",
        "rich_presence_sip_uri",
        "microsoft_uri",
        "webex_uri",
    ] {
        assert_eq!(always(f).as_deref(), Some("john.smith@company.com"), "{f}");
    }
}

#[test]
fn department_and_the_fields_read_from_it() {
    for f in [
        "department",
        "recording_group_name",
        "cost_center",
        "fax_group_username",
    ] {
        assert_eq!(always(f).as_deref(), Some("Sales"), "{f}");
    }
    assert_eq!(always("office_location").as_deref(), Some("France"));
    assert_eq!(always("fax_company_name").as_deref(), Some("ACME Inc."));
}

#[test]
fn masked_digits_and_fax_priority_when_adding() {
    assert_eq!(on_create("masked_digits").as_deref(), Some("3"));
    assert_eq!(on_create("fax_default_priority").as_deref(), Some("0"));
}

#[test]
fn voicemail_number_is_star_55_plus_esn() {
    assert_eq!(always("voicemail_number").as_deref(), Some("*55336623"));
    let no_esn = map(
        "webex-users",
        &record(ObjectKind::User, "a@company.com", &[]),
    );
    assert_eq!(
        no_esn.always.get_str("voicemail_number"),
        Some(""),
        "no ESN: cleared, not '*55'"
    );
}

#[test]
fn phones_and_fax() {
    assert_eq!(always("home_phone").as_deref(), Some("+44984664564"));
    assert_eq!(
        always("mobile_business_number").as_deref(),
        Some("+44702465646")
    );
    assert_eq!(always("fax_number").as_deref(), Some("+44984664564"));
}

#[test]
fn user_address_template() {
    assert_eq!(
        always("user_address").as_deref(),
        Some("102 Edith Groove, SW1 London, Greater London - United Kingdom")
    );
}

#[test]
fn switches_are_false_when_adding() {
    for f in [
        "enable_billing_first_extension",
        "enable_billing_voicemail",
        "do_not_keep_sent_voicemails",
        "enable_billing_fax",
        "fax_enable_send",
        "fax_enable_receive",
        "fax2email_enable",
        "fax2email_attach_fax",
        "disable_caller_lookup",
        "send_email_notifications",
        "attach_recording_to_notifications",
        "is_a_room",
    ] {
        assert_eq!(on_create(f).as_deref(), Some("false"), "{f}");
        assert_eq!(always(f), None, "{f}");
    }
}

#[test]
fn picture_from_the_avatar_url() {
    assert!(
        always("picture")
            .unwrap()
            .starts_with("https://avatar-prod-us-east-2.webexcontent.com/")
    );
}

#[test]
fn title_is_not_imported_by_default() {
    assert_eq!(always("title"), None);
}

#[test]
fn every_rule_has_a_label_for_the_plan() {
    let d = john();
    assert_eq!(
        d.rules
            .get(ucx_sync_core::FieldName::new("first_extension_number")),
        "every time: esn | phoneNumber"
    );
    assert_eq!(
        d.rules
            .get(ucx_sync_core::FieldName::new("preferred_language")),
        "only when adding: 'EN'"
    );
    assert_eq!(d.key.as_str(), "john.smith@company.com");
    assert!(d.warnings.is_empty());
}

#[test]
fn long_values_are_truncated_with_a_warning() {
    let long = "x".repeat(300);
    let d = map(
        "webex-users",
        &record(ObjectKind::User, "a@company.com", &[("department", &long)]),
    );
    assert_eq!(
        d.always.get_str("department").map(|v| v.chars().count()),
        Some(255)
    );
    assert!(
        d.warnings
            .iter()
            .any(|w| w == "department truncated to 255 characters"),
        "{:?}",
        d.warnings
    );
}
