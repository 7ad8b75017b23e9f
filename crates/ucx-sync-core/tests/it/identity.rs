//! Identity and uniqueness on untidy tenants: overlapping extensions, reused keys, re-created
//! accounts, opt-in uniqueness rules (DESIGN.md §4).

use crate::common::*;
use ucx_sync_core::*;

fn with_id(mut d: Desired, id: &str) -> Desired {
    d.stable_id = Some(id.into());
    d
}

fn owned_with_id(id: u64, key: &str, stable: &str, fields: &[(&str, &str)]) -> User {
    let mut u = user(id, Some(&src()), key, fields);
    u.stable_id = Some(stable.into());
    u
}

fn plan_with(users: &[User], wanted: Vec<Desired>, options: &DiffOptions) -> Plan {
    diff(&src(), users, wanted.into_iter().map(Ok), true, options)
}

fn unique(rules: Vec<UniqueRule>) -> DiffOptions {
    {
        let mut v = DiffOptions::default();
        v.unique = rules;
        v
    }
}

#[test]
fn overlapping_extensions_are_all_imported_by_default() {
    // 1001 in Denver and in London, told apart by ESN: nothing is unique but the key.
    let wanted: Vec<Desired> = (0..40)
        .map(|i| {
            want(
                &format!("u{i}@x.com"),
                &[
                    ("first_extension_number_alias", "1001"),
                    ("first_extension_number", &format!("8{}1001", i % 4)),
                ],
                &[],
            )
        })
        .collect();
    let p = plan(&[], wanted);
    assert_eq!(
        (p.counts.add, p.counts.conflict, p.counts.held_back),
        (40, 0, 0)
    );
    assert!(
        p.adds
            .iter()
            .all(|a| a.fields.get_str("first_extension_number_alias") == Some("1001"))
    );
}

#[test]
fn a_unique_rule_holds_back_the_field_not_the_user() {
    let users = [user(
        1,
        None,
        "bob@x.com",
        &[("first_extension_number", "2001")],
    )];
    let p = plan_with(
        &users,
        vec![
            want(
                "ann@x.com",
                &[("first_extension_number", "2001"), ("first_name", "Ann")],
                &[],
            ),
            want("cy@x.com", &[("first_extension_number", "2002")], &[]),
            want("dee@x.com", &[("first_extension_number", "2002")], &[]),
        ],
        &unique(vec![UniqueRule::new("first_extension_number")]),
    );
    // Every user is added; ann loses 2001 to bob, dee loses 2002 to cy (the smaller key).
    assert_eq!(
        (p.counts.add, p.counts.conflict, p.counts.held_back),
        (3, 0, 2)
    );
    let ann = p
        .adds
        .iter()
        .find(|a| a.key.as_str() == "ann@x.com")
        .unwrap();
    assert_eq!(ann.fields.get_str("first_extension_number"), None);
    assert_eq!(ann.fields.get_str("first_name"), Some("Ann"));
    assert_eq!(
        p.held_back[0].to_string(),
        "first_extension_number '2001' not written: bob@x.com holds it and the field is configured unique"
    );
    assert_eq!(p.held_back[1].key.as_str(), "dee@x.com");
    assert_eq!(p.held_back[1].holder.as_str(), "cy@x.com");
    assert_eq!(p.counts.not_applied(), 2);
}

#[test]
fn a_scoped_rule_allows_the_same_number_in_another_partition() {
    let rule = UniqueRule::new("first_extension_number").within(["partition"]);
    let p = plan_with(
        &[],
        vec![
            want(
                "a",
                &[("first_extension_number", "1000"), ("partition", "HQ")],
                &[],
            ),
            want(
                "b",
                &[("first_extension_number", "1000"), ("partition", "Branch")],
                &[],
            ),
            want(
                "c",
                &[("first_extension_number", "1000"), ("partition", "HQ")],
                &[],
            ),
        ],
        &unique(vec![rule]),
    );
    assert_eq!((p.counts.add, p.counts.held_back), (3, 1));
    assert_eq!(p.held_back[0].key.as_str(), "c");
}

#[test]
fn a_value_freed_in_the_same_plan_can_be_taken() {
    let s = src();
    let users = [
        user(
            1,
            Some(&s),
            "leaver@x.com",
            &[("first_extension_number", "2001")],
        ),
        user(2, Some(&s), "a@x.com", &[("first_extension_number", "1")]),
        user(3, Some(&s), "b@x.com", &[("first_extension_number", "2")]),
    ];
    let p = plan_with(
        &users,
        vec![
            want("joiner@x.com", &[("first_extension_number", "2001")], &[]),
            // b takes a's extension while a gives it up.
            want("b@x.com", &[("first_extension_number", "1")], &[]),
            want("a@x.com", &[("first_extension_number", "3")], &[]),
        ],
        &unique(vec![UniqueRule::new("first_extension_number")]),
    );
    assert_eq!(
        (
            p.counts.add,
            p.counts.update,
            p.counts.delete,
            p.counts.held_back
        ),
        (1, 2, 1, 0),
        "{p:#?}"
    );
}

#[test]
fn a_held_back_change_keeps_the_old_value_which_may_push_another_back() {
    let s = src();
    // a wants 3, which c (a manual user) holds: a keeps 1, so b's move to 1 is held back in
    // turn.
    let users = [
        user(1, Some(&s), "a", &[("first_extension_number", "1")]),
        user(2, Some(&s), "b", &[("first_extension_number", "2")]),
        user(3, None, "c", &[("first_extension_number", "3")]),
    ];
    let p = plan_with(
        &users,
        vec![
            want("a", &[("first_extension_number", "3")], &[]),
            want("b", &[("first_extension_number", "1")], &[]),
        ],
        &unique(vec![UniqueRule::new("first_extension_number")]),
    );
    let held: Vec<(&str, &str)> = p
        .held_back
        .iter()
        .map(|h| (h.key.as_str(), h.value.as_str()))
        .collect();
    assert_eq!(held, [("a", "3"), ("b", "1")]);
    assert_eq!((p.counts.update, p.counts.unchanged), (0, 2));
}

#[test]
fn a_reused_key_replaces_the_user() {
    // ann@ leaves; a new person gets the address (new People id).
    let users = [owned_with_id(
        1,
        "ann@example.com",
        "1111",
        &[("first_extension_number", "100"), ("pin", "4321")],
    )];
    let p = plan(
        &users,
        vec![with_id(
            want(
                "ann@example.com",
                &[("first_extension_number", "200")],
                &[("pin", "0000")],
            ),
            "5555",
        )],
    );
    assert_eq!((p.counts.update, p.counts.replace, p.counts.add), (0, 1, 0));
    let r = &p.replaces[0];
    assert_eq!(
        (r.old_stable_id.as_str(), r.stable_id.as_str()),
        ("1111", "5555")
    );
    // The newcomer gets the create-only fields anew, never the leaver's.
    assert_eq!(r.fields.get_str("pin"), Some("0000"));
    assert_eq!(p.counts.losses(), 1);
}

#[test]
fn a_person_renamed_onto_a_reused_key_is_renamed_and_the_old_holder_deleted() {
    let users = [
        owned_with_id(1, "ann@x.com", "1111", &[]),
        owned_with_id(2, "bob@x.com", "2222", &[("first_name", "Bob")]),
    ];
    let p = plan(
        &users,
        vec![with_id(
            want("ann@x.com", &[("first_name", "Bob")], &[]),
            "2222",
        )],
    );
    assert_eq!(
        (p.counts.rename, p.counts.delete, p.counts.replace),
        (1, 1, 0)
    );
    assert_eq!(p.renames[0].from.as_str(), "bob@x.com");
    assert_eq!(p.deletes[0].key.as_str(), "ann@x.com");
}

#[test]
fn a_user_stored_without_a_stable_id_gets_the_current_one() {
    let users = [user(1, Some(&src()), "ann@x.com", &[])];
    let p = plan(&users, vec![with_id(want("ann@x.com", &[], &[]), "ci-1")]);
    assert_eq!(p.counts.update, 1);
    assert_eq!(p.updates[0].stable_id.as_deref(), Some("ci-1"));
}

#[test]
fn a_renamed_user_whose_mapping_fails_is_kept() {
    let users = [owned_with_id(1, "old@x.com", "ci-1", &[])];
    let p = diff(
        &src(),
        &users,
        [Err::<Desired, _>(MappingError {
            key: SyncKey::new("new@x.com"),
            stable_id: Some("ci-1".into()),
            message: "first name is missing".into(),
        })],
        true,
        &DiffOptions::default(),
    );
    assert_eq!((p.counts.delete, p.counts.error), (0, 1));
}

#[test]
fn recreate_with_a_duplicated_new_key_deletes_nothing() {
    let users = [owned_with_id(1, "old@x.com", "ci-1", &[])];
    let options = {
        let mut v = DiffOptions::default();
        v.rename = RenameMode::Recreate;
        v
    };
    let p = plan_with(
        &users,
        vec![
            with_id(want("new@x.com", &[], &[]), "ci-1"),
            want("new@x.com", &[], &[]),
        ],
        &options,
    );
    assert_eq!(
        (p.counts.delete, p.counts.add, p.counts.conflict),
        (0, 0, 1),
        "{p:#?}"
    );
    // Without the duplicate: delete and add.
    let p = plan_with(
        &users,
        vec![with_id(want("new@x.com", &[], &[]), "ci-1")],
        &options,
    );
    assert_eq!((p.counts.delete, p.counts.add), (1, 1));
}

#[test]
fn a_duplicated_reused_key_replaces_nothing() {
    let users = [owned_with_id(1, "ann@x.com", "1111", &[])];
    let p = plan(
        &users,
        vec![
            with_id(want("ann@x.com", &[], &[]), "5555"),
            with_id(want("ann@x.com", &[], &[]), "6666"),
        ],
    );
    assert_eq!(
        (p.counts.replace, p.counts.delete, p.counts.conflict),
        (0, 0, 1)
    );
}
