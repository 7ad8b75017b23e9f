//! Virtual objects ("Virtual Objects Synch Rules") and fax workspaces.

use ucx_mapping::RuleSet;
use ucx_sync_core::{ObjectKind, RecordMapper};

use crate::{map, record};

#[test]
fn username_is_acronym_and_phone_number_esn_extension_or_name() {
    let cases = [
        (
            ObjectKind::HuntGroup,
            &[
                ("phoneNumber", "4589921"),
                ("extension", "21"),
                ("name", "Support"),
            ][..],
            "HG_4589921",
        ),
        (ObjectKind::HuntGroup, &[("name", "test")][..], "HG_test"),
        // Two locations' hunt groups at 60000: the ESN keeps them apart.
        (
            ObjectKind::HuntGroup,
            &[
                ("esn", "810260000"),
                ("extension", "60000"),
                ("name", "Aus"),
            ][..],
            "HG_810260000",
        ),
        (
            ObjectKind::CallQueue,
            &[("phoneNumber", "394914524886")][..],
            "CQ_394914524886",
        ),
        // Digits only: the seed's CQ_394914524886 comes from +394914524886.
        (
            ObjectKind::CallQueue,
            &[("phoneNumber", "+394914524886"), ("extension", "24886")][..],
            "CQ_394914524886",
        ),
        (
            ObjectKind::Workspace,
            &[("extension", "78373977"), ("name", "Room")][..],
            "WS_78373977",
        ),
        (
            ObjectKind::AutoAttendant,
            &[("name", "Main menu")][..],
            "AA_Main menu",
        ),
        (
            ObjectKind::VirtualLine,
            &[("extension", "4001")][..],
            "VL_4001",
        ),
    ];
    for (kind, attrs, expected) in cases {
        let d = map("webex-virtual", &record(kind, "id", attrs));
        assert_eq!(d.always.get_str("username"), Some(expected), "{kind}");
    }
}

#[test]
fn username_is_at_most_20_characters() {
    let d = map(
        "webex-virtual",
        &record(
            ObjectKind::CallQueue,
            "id",
            &[("name", "Customer Support Queue Europe")],
        ),
    );
    // Cut at 20 characters, the space it ends in dropped.
    assert_eq!(d.always.get_str("username"), Some("CQ_Customer Support"));
    assert_eq!(d.warnings, ["username truncated to 20 characters"]);
}

#[test]
fn a_virtual_object_without_number_or_name_is_a_mapping_error() {
    let err = RuleSet::builtin("webex-virtual")
        .unwrap()
        .map(&record(ObjectKind::HuntGroup, "hg-1", &[]))
        .unwrap_err();
    assert_eq!(err.key.as_str(), "hg-1");
    assert!(err.message.contains("username has no value"), "{err}");
}

#[test]
fn virtual_rows() {
    let d = map(
        "webex-virtual",
        &record(
            ObjectKind::HuntGroup,
            "id",
            &[
                ("name", "Sales line"),
                ("firstName", "Sales"),
                ("email", "sales@company.com"),
                ("extension", "6623"),
                ("esn", "336623"),
                ("organization.name", "ACME Inc."),
                ("location.name", "France"),
                ("commonIdentityId", "ci-1"),
                ("nativeUserId", "n-1"),
            ],
        ),
    );
    let a = |f: &str| d.always.get_str(f);
    assert_eq!(a("last_name"), Some("Sales line"), "Last Name: name");
    // "empty" in the seed's table, whatever the object carries.
    for field in ["first_name", "domain", "sso_id", "voicemail_address"] {
        assert_eq!(a(field), Some(""), "{field}: empty");
    }
    assert_eq!(
        a("username"),
        Some("HG_336623"),
        "the ESN before the extension"
    );
    assert_eq!(a("first_extension_number"), Some("336623"));
    assert_eq!(a("first_extension_number_alias"), Some("6623"));
    assert_eq!(a("voicemail_number"), Some("*55336623"));
    assert_eq!(a("department"), Some("ACME Inc."));
    assert_eq!(a("office_location"), Some("France"));
    assert_eq!(a("cdr_user_id"), Some("ci-1"));
    assert_eq!(a("pbx_username"), Some("n-1"));
    assert_eq!(
        a("active_directory_username"),
        Some("sales"),
        "local(email)"
    );
    assert_eq!(
        a("device_name"),
        None,
        "device name is kept: Webex does not expose it"
    );
    assert_eq!(d.on_create.get_str("is_a_room"), Some("false"));
}

#[test]
fn fax_workspace_username_and_fax_rows() {
    let d = map(
        "webex-fax",
        &record(
            ObjectKind::FaxWorkspace,
            "id",
            &[
                ("phoneNumber", "4589921"),
                ("name", "Fax room"),
                ("organization.name", "ACME Inc."),
            ],
        ),
    );
    assert_eq!(d.always.get_str("username"), Some("WSF_4589921"));
    assert_eq!(d.always.get_str("fax_number"), Some("4589921"));
    assert_eq!(d.always.get_str("fax_company_name"), Some("ACME Inc."));
    assert_eq!(d.always.get_str("last_name"), Some("Fax room"));
    assert_eq!(d.on_create.get_str("fax_enable_receive"), Some("false"));
}

#[test]
fn fax_workspace_rows_from_the_seed() {
    // An extension-only fax workspace: Fax Number is "phoneNumber or ESN".
    let d = map(
        "webex-fax",
        &record(
            ObjectKind::FaxWorkspace,
            "id",
            &[
                ("extension", "6623"),
                ("esn", "336623"),
                ("name", "Fax room"),
                ("email", "fax-room@company.com"),
                ("mobilePhone", "+44702465646"),
                ("streetAddress", "102 Edith Groove"),
                ("postalCode", "SW1"),
                ("locality", "London"),
                ("region", "Greater London"),
                ("country", "United Kingdom"),
                ("organization.name", "ACME Inc."),
            ],
        ),
    );
    let a = |f: &str| d.always.get_str(f);
    assert_eq!(a("username"), Some("WSF_336623"));
    assert_eq!(a("fax_number"), Some("336623"));
    assert_eq!(a("fax_group_username"), Some("336623"));
    assert_eq!(a("mobile_business_number"), Some("+44702465646"));
    assert_eq!(
        a("user_address"),
        Some("102 Edith Groove, SW1 London, Greater London - United Kingdom")
    );
    assert_eq!((a("domain"), a("sso_id")), (Some(""), Some("")), "empty");
    assert_eq!(a("fax_to_email_address"), Some("fax-room@company.com"));
    for switch in [
        "send_email_notifications",
        "attach_recording_to_notifications",
    ] {
        assert_eq!(d.on_create.get_str(switch), Some("false"), "{switch}");
    }
}
