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
    assert_eq!(d.always.get_str("username"), Some("CQ_Customer Support "));
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
    assert_eq!(a("first_name"), Some(""), "First Name: empty");
    assert_eq!(a("first_extension_number"), Some("336623"));
    assert_eq!(a("first_extension_number_alias"), Some("6623"));
    assert_eq!(a("voicemail_number"), Some("*55336623"));
    assert_eq!(a("department"), Some("ACME Inc."));
    assert_eq!(a("office_location"), Some("France"));
    assert_eq!(a("cdr_user_id"), Some("ci-1"));
    assert_eq!(a("pbx_username"), Some("n-1"));
    assert_eq!(
        a("active_directory_username"),
        Some("ci-1"),
        "no email: the Webex id"
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
