//! Every row of the diff table (DESIGN.md §4).

use crate::common::*;
use ucx_sync_core::*;

#[test]
fn unknown_key_and_stable_id_is_an_add_with_both_field_sets() {
    let p = plan(
        &[],
        vec![want(
            "Ann@X.com",
            &[
                ("first_name", "Ann"),
                ("department", "Sales"),
                ("title", ""),
            ],
            &[("department", "Temp"), ("pbx_username", "ann")],
        )],
    );
    assert_eq!(p.counts.add, 1);
    let add = &p.adds[0];
    assert_eq!(add.key.as_str(), "ann@x.com");
    assert_eq!(add.kind, ObjectKind::User);
    // Every-time wins over create-only; empty values are not written.
    let fields: Vec<(String, String)> = add.fields.to_map().into_iter().collect();
    assert_eq!(
        fields,
        [
            ("department".to_owned(), "Sales".to_owned()),
            ("first_name".to_owned(), "Ann".to_owned()),
            ("pbx_username".to_owned(), "ann".to_owned()),
        ]
    );
}

#[test]
fn update_writes_only_every_time_fields_that_differ() {
    let s = src();
    let users = [user(
        1,
        Some(&s),
        "ann@x.com",
        &[
            ("first_name", "Anne"),
            ("department", "Ops"),
            ("last_name", "Lee"),
        ],
    )];
    let p = plan(
        &users,
        vec![want(
            "ann@x.com",
            &[("first_name", "Ann"), ("last_name", "Lee")],
            &[("department", "Sales")],
        )],
    );
    assert_eq!(
        (p.counts.update, p.counts.unchanged, p.counts.add),
        (1, 0, 0)
    );
    let u = &p.updates[0];
    assert_eq!(u.id, UserId(1));
    assert!(!u.adopt);
    assert_eq!(
        u.changes,
        [FieldChange {
            field: FieldName::new("first_name"),
            old: Some("Anne".into()),
            new: Some("Ann".into()),
            rule: "every time: firstName".into(),
        }]
    );
}

#[test]
fn manual_edits_of_every_time_fields_are_reverted_and_clears_are_planned() {
    let s = src();
    let users = [user(
        1,
        Some(&s),
        "ann@x.com",
        &[("first_name", "Edited"), ("title", "Boss")],
    )];
    let p = plan(
        &users,
        vec![want(
            "ann@x.com",
            &[("first_name", "Ann"), ("title", "")],
            &[],
        )],
    );
    let changes = &p.updates[0].changes;
    assert_eq!(changes.len(), 2);
    assert_eq!(
        (changes[0].field.as_str(), changes[0].new.as_deref()),
        ("first_name", Some("Ann"))
    );
    assert_eq!(
        (
            changes[1].field.as_str(),
            changes[1].old.as_deref(),
            changes[1].new.as_deref()
        ),
        ("title", Some("Boss"), None)
    );
}

#[test]
fn unchanged_users_are_counted_not_listed() {
    let s = src();
    let users = [user(
        1,
        Some(&s),
        "ann@x.com",
        &[("first_name", "Ann"), ("email", "Ann@X.com")],
    )];
    // Email compares without case; an empty wanted value equals an absent field.
    let p = plan(
        &users,
        vec![want(
            "ann@x.com",
            &[("first_name", "Ann"), ("email", "ann@x.com"), ("title", "")],
            &[],
        )],
    );
    assert_eq!((p.counts.unchanged, p.counts.update), (1, 0));
    assert!(p.is_noop());
}

#[test]
fn an_unowned_user_with_the_same_key_is_adopted() {
    let users = [user(1, None, "ann@x.com", &[("first_name", "Ann")])];
    let mut w = want("ANN@x.com", &[("first_name", "Ann")], &[]);
    w.stable_id = Some("ci-1".into());
    let p = plan(&users, vec![w]);
    assert_eq!(p.counts.update, 1);
    assert!(p.updates[0].adopt);
    assert_eq!(p.updates[0].stable_id.as_deref(), Some("ci-1"));
    assert!(p.updates[0].changes.is_empty());
}

#[test]
fn a_changed_key_with_a_known_stable_id_is_a_rename_in_place() {
    let s = src();
    let mut old = user(
        7,
        Some(&s),
        "ann.lee@x.com",
        &[("first_name", "Ann"), ("last_name", "Lee")],
    );
    old.stable_id = Some("ci-7".into());
    let mut w = want(
        "ann.smith@x.com",
        &[("first_name", "Ann"), ("last_name", "Smith")],
        &[("department", "x")],
    );
    w.stable_id = Some("ci-7".into());
    let p = plan(&[old.clone()], vec![w.clone()]);
    assert_eq!((p.counts.rename, p.counts.delete, p.counts.add), (1, 0, 0));
    let r = &p.renames[0];
    assert_eq!(
        (r.from.as_str(), r.key.as_str(), r.id),
        ("ann.lee@x.com", "ann.smith@x.com", UserId(7))
    );
    assert_eq!(r.changes.len(), 1);
    assert_eq!(r.changes[0].field.as_str(), "last_name");

    let recreate = {
        let mut v = DiffOptions::default();
        v.rename = RenameMode::Recreate;
        v
    };
    let p = diff(&src(), &[old], [Ok(w)], true, &recreate);
    assert_eq!((p.counts.rename, p.counts.delete, p.counts.add), (0, 1, 1));
    assert_eq!(p.deletes[0].key.as_str(), "ann.lee@x.com");
    assert_eq!(p.adds[0].fields.get_str("department"), Some("x"));
}

#[test]
fn a_stable_id_of_another_source_is_not_a_rename() {
    let mut foreign = user(7, Some(&other()), "old@x.com", &[]);
    foreign.stable_id = Some("ci-7".into());
    let mut w = want("new@x.com", &[], &[]);
    w.stable_id = Some("ci-7".into());
    let p = plan(&[foreign], vec![w]);
    assert_eq!((p.counts.rename, p.counts.add, p.counts.delete), (0, 1, 0));
}

#[test]
fn owned_users_missing_from_a_complete_snapshot_are_deleted() {
    let s = src();
    let users = [
        user(1, Some(&s), "stay@x.com", &[]),
        user(2, Some(&s), "gone@x.com", &[]),
        user(3, None, "manual@x.com", &[]),
        user(4, Some(&other()), "theirs@x.com", &[]),
    ];
    let p = plan(&users, vec![want("stay@x.com", &[], &[])]);
    assert_eq!(
        p.deletes,
        [Delete {
            key: SyncKey::new("gone@x.com"),
            id: UserId(2)
        }]
    );
    assert_eq!(p.owned_before, 2);
}

#[test]
fn an_incomplete_snapshot_never_deletes() {
    let s = src();
    let users = [
        user(1, Some(&s), "stay@x.com", &[]),
        user(2, Some(&s), "gone@x.com", &[]),
    ];
    let p = diff(
        &s,
        &users,
        [Ok(want("stay@x.com", &[], &[]))],
        false,
        &DiffOptions::default(),
    );
    assert_eq!(p.counts.delete, 0);
    assert_eq!(
        p.warnings,
        ["the snapshot is incomplete: 1 users missing from it were not deleted"]
    );
}

#[test]
fn a_case_only_key_change_updates_never_deletes() {
    let s = src();
    let users = [user(1, Some(&s), "ann@x.com", &[("email", "ann@x.com")])];
    let p = plan(
        &users,
        vec![want("Ann@X.COM", &[("email", "Ann@X.COM")], &[])],
    );
    assert_eq!(
        (p.counts.delete, p.counts.add, p.counts.unchanged),
        (0, 0, 1)
    );
}

#[test]
fn a_key_owned_by_another_source_is_a_conflict() {
    let users = [user(
        1,
        Some(&other()),
        "ann@x.com",
        &[("first_name", "Ann")],
    )];
    let p = plan(
        &users,
        vec![want("ann@x.com", &[("first_name", "Annie")], &[])],
    );
    assert_eq!((p.counts.conflict, p.counts.update), (1, 0));
    assert_eq!(
        p.conflicts[0].reason,
        ConflictReason::OwnedByOtherSource { owner: other() }
    );
    assert_eq!(
        p.conflicts[0].reason.to_string(),
        "a user with this key belongs to source entra:contoso"
    );
}

#[test]
fn duplicate_keys_in_the_source_import_neither_and_delete_nothing() {
    let s = src();
    let users = [user(1, Some(&s), "dup@x.com", &[("first_name", "A")])];
    let p = plan(
        &users,
        vec![
            want("dup@x.com", &[("first_name", "B")], &[]),
            want("new@x.com", &[], &[]),
            want("DUP@x.com", &[("first_name", "C")], &[]),
            want("new2@x.com", &[], &[]),
            want("new2@x.com", &[], &[]),
            want("new2@x.com", &[], &[]),
        ],
    );
    assert_eq!((p.counts.update, p.counts.delete, p.counts.add), (0, 0, 1));
    let reasons: Vec<(&str, &ConflictReason)> = p
        .conflicts
        .iter()
        .map(|c| (c.key.as_str(), &c.reason))
        .collect();
    assert_eq!(
        reasons,
        [
            ("dup@x.com", &ConflictReason::DuplicateKey { count: 2 }),
            ("new2@x.com", &ConflictReason::DuplicateKey { count: 3 }),
        ]
    );
}

#[test]
fn mapping_errors_are_reported_and_protect_their_user() {
    let s = src();
    let users = [user(1, Some(&s), "ann@x.com", &[])];
    let p = diff(
        &s,
        &users,
        [Err::<Desired, _>(MappingError {
            key: SyncKey::new("ann@x.com"),
            stable_id: None,
            message: "first name is missing".into(),
        })],
        true,
        &DiffOptions::default(),
    );
    assert_eq!((p.counts.error, p.counts.delete), (1, 0));
    assert_eq!(p.errors[0].to_string(), "ann@x.com: first name is missing");
}

#[test]
fn plans_are_deterministic_and_serialise_to_the_documented_shape() {
    let s = src();
    let users: Vec<User> = (0..50)
        .map(|i| user(i, Some(&s), &format!("u{i}@x.com"), &[("first_name", "x")]))
        .collect();
    let wanted: Vec<Desired> = (25..75)
        .map(|i| want(&format!("u{i}@x.com"), &[("first_name", "y")], &[]))
        .collect();
    let forward = plan(&users, wanted.clone());
    let mut reversed_users = users.clone();
    reversed_users.reverse();
    let mut reversed_wanted = wanted;
    reversed_wanted.reverse();
    let backward = plan(&reversed_users, reversed_wanted);
    assert_eq!(forward, backward);
    let keys: Vec<&str> = forward.adds.iter().map(|a| a.key.as_str()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);

    let v: serde_json::Value = serde_json::to_value(&forward).unwrap();
    assert_eq!(v["source"], "webex-users:acme");
    assert_eq!(v["counts"]["add"], 25);
    assert_eq!(v["counts"]["update"], 25);
    assert_eq!(v["counts"]["delete"], 25);
    assert_eq!(v["counts"]["unchanged"], 0);
    assert_eq!(v["adds"][0]["key"], "u50@x.com");
    assert_eq!(v["adds"][0]["kind"], "user");
    assert_eq!(v["adds"][0]["fields"]["first_name"], "y");
    assert_eq!(v["updates"][0]["changes"][0]["field"], "first_name");
    assert_eq!(v["updates"][0]["changes"][0]["old"], "x");
    assert_eq!(v["updates"][0]["changes"][0]["new"], "y");
    assert_eq!(
        v["updates"][0]["changes"][0]["rule"],
        "every time: firstName"
    );
    assert_eq!(v["deletes"][0]["key"], "u0@x.com");
    let back: Plan = serde_json::from_value(v).unwrap();
    assert_eq!(back, forward);
}

// Regressions found by the property tests (tests/it/props.rs).

#[test]
fn an_empty_every_time_value_wins_over_a_create_only_one() {
    let p = plan(
        &[],
        vec![want("a@x.com", &[("email", "")], &[("email", "a@x.com")])],
    );
    assert_eq!(p.adds[0].fields.get_str("email"), None);
}

#[test]
fn a_stable_id_whose_user_is_still_listed_is_not_a_rename() {
    let s = src();
    let mut holder = user(1, Some(&s), "ann@x.com", &[]);
    holder.stable_id = Some("ci-1".into());
    let mut copy = want("ann.copy@x.com", &[], &[]);
    copy.stable_id = Some("ci-1".into());
    let p = plan(&[holder], vec![copy, want("ann@x.com", &[], &[])]);
    assert_eq!(
        (p.counts.rename, p.counts.delete, p.counts.unchanged),
        (0, 0, 1)
    );
    assert_eq!(
        p.conflicts[0].reason.to_string(),
        "the source id ci-1 belongs to ann@x.com, which the source still lists"
    );
}

#[test]
fn an_ambiguous_stable_id_changes_and_deletes_nobody() {
    let s = src();
    let mut a = user(1, Some(&s), "a@x.com", &[]);
    a.stable_id = Some("ci-9".into());
    let mut b = user(2, Some(&s), "b@x.com", &[]);
    b.stable_id = Some("ci-9".into());
    let mut w = want("c@x.com", &[], &[]);
    w.stable_id = Some("ci-9".into());
    let p = plan(&[a, b], vec![w]);
    assert_eq!(
        (
            p.counts.rename,
            p.counts.delete,
            p.counts.add,
            p.counts.conflict
        ),
        (0, 0, 0, 1)
    );
}

#[test]
fn adoption_takes_the_sources_stable_id_and_another_users_id_is_a_conflict() {
    let s = src();
    let mut owned = user(1, Some(&s), "old@x.com", &[]);
    owned.stable_id = Some("ci-1".into());
    let manual = user(2, None, "manual@x.com", &[]);
    let mut w = want("manual@x.com", &[], &[]);
    w.stable_id = Some("ci-1".into());
    let p = plan(
        &[owned, manual.clone()],
        vec![w.clone(), want("old@x.com", &[], &[])],
    );
    // Which user is the person ci-1 cannot be told: neither is changed or deleted.
    assert_eq!(
        (p.counts.update, p.counts.delete, p.counts.unchanged),
        (0, 0, 1)
    );
    assert_eq!(
        p.conflicts[0].reason.to_string(),
        "the source id ci-1 belongs to old@x.com, which the source still lists"
    );
    w.stable_id = Some("ci-2".into());
    let p = plan(&[manual], vec![w]);
    assert_eq!(p.updates[0].stable_id.as_deref(), Some("ci-2"));
}
