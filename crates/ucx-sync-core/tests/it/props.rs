//! Properties of the diff on random users and records.

use proptest::prelude::*;
use ucx_sync_core::*;

use crate::common::*;

fn owner() -> impl Strategy<Value = Option<SourceId>> {
    prop_oneof![Just(Some(src())), Just(Some(other())), Just(None)]
}

fn key() -> impl Strategy<Value = String> {
    // A small pool with case variants, so keys collide, repeat and change case.
    (0u8..12, any::<bool>()).prop_map(|(i, upper)| {
        let k = format!("user{i}@x.com");
        if upper { k.to_uppercase() } else { k }
    })
}

fn fields() -> impl Strategy<Value = Vec<(&'static str, String)>> {
    proptest::collection::vec(
        (
            prop_oneof![
                Just("first_name"),
                Just("email"),
                Just("first_extension_number"),
                Just("title")
            ],
            prop_oneof![Just(String::new()), "[a-c]{1,2}", "[1-3]{1}"],
        ),
        0..4,
    )
}

fn existing() -> impl Strategy<Value = Vec<User>> {
    proptest::collection::vec(
        (owner(), key(), proptest::option::of(0u8..6), fields()),
        0..10,
    )
    .prop_map(|rows| {
        // Keys are unique, and so are stable ids within a source, as the diff keeps them (the
        // ambiguous case has its own test in diff.rs).
        let mut seen = std::collections::HashSet::new();
        let mut ids = std::collections::HashSet::new();
        rows.into_iter()
            .enumerate()
            .filter(|(_, (_, k, _, _))| seen.insert(SyncKey::new(k)))
            .filter(|(_, (owner, _, stable, _))| {
                stable.is_none() || ids.insert((owner.clone(), *stable))
            })
            .map(|(i, (owner, k, stable, fields))| User {
                id: UserId(i as u64 + 1),
                kind: ObjectKind::User,
                owner,
                key: SyncKey::new(k),
                stable_id: stable.map(|s| format!("s{s}")),
                fields: fields
                    .iter()
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(f, v)| (*f, v.as_str()))
                    .collect(),
            })
            .collect()
    })
}

fn wanted() -> impl Strategy<Value = Vec<Desired>> {
    proptest::collection::vec(
        (key(), proptest::option::of(0u8..6), fields(), fields()),
        0..10,
    )
    .prop_map(|rows| {
        rows.into_iter()
            .map(|(k, stable, always, on_create)| Desired {
                kind: ObjectKind::User,
                key: SyncKey::new(k),
                stable_id: stable.map(|s| format!("s{s}")),
                always: always.iter().map(|(f, v)| (*f, v.as_str())).collect(),
                on_create: on_create.iter().map(|(f, v)| (*f, v.as_str())).collect(),
                rules: RuleLabels::default(),
                warnings: vec![],
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn apply_then_replan_changes_nothing(users in existing(), wanted in wanted()) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let s = src();
        let opts = DiffOptions::default();
        let store = MemoryStore::with_users(users.clone());
        let plan = diff(&s, &users, wanted.iter().map(Ok), true, &opts);
        rt.block_on(store.apply(&plan)).unwrap();
        let after = rt.block_on(store.users()).unwrap();
        let again = diff(&s, &after, wanted.iter().map(Ok), true, &opts);
        prop_assert!(again.is_noop(), "first: {:#?}\nagain: {:#?}", plan, again);

        // Users of other sources and manual users not named by the source are untouched.
        for u in &users {
            let named = wanted.iter().any(|d| d.key == u.key);
            if u.owner.as_ref() != Some(&s) && !named {
                prop_assert!(after.iter().any(|a| a == u), "{:?} was changed", u);
            }
        }
    }

    #[test]
    fn never_deletes_a_user_the_source_still_has(
        users in existing(),
        wanted in wanted(),
        complete in any::<bool>(),
        recreate in any::<bool>(),
    ) {
        let opts = {
 let mut v = DiffOptions::default();
 v.rename = if recreate { RenameMode::Recreate } else { RenameMode::InPlace };
 v
};
        let plan = diff(&src(), &users, wanted.iter().map(Ok), complete, &opts);
        // A user is deleted (or replaced) only when a complete snapshot lacks it by key and by
        // stable id: no record has its stable id, and no record under its key is the same
        // person (same or unknown stable id).
        // The exception: with `rename = "recreate"`, a user re-created under its new key.
        for (id, key) in plan.removals() {
            let u = users.iter().find(|u| u.id == id).unwrap();
            prop_assert_eq!(u.owner.as_ref(), Some(&src()));
            let recreated = recreate
                && u.stable_id.is_some()
                && plan.adds.iter().any(|a| a.stable_id == u.stable_id);
            if recreated {
                continue;
            }
            prop_assert!(complete, "deleted {} from an incomplete snapshot", key);
            let by_id = u.stable_id.is_some()
                && wanted.iter().any(|w| w.stable_id == u.stable_id);
            let same_key_same_person = wanted.iter().any(|w| {
                w.key == u.key
                    && (w.stable_id.is_none() || u.stable_id.is_none() || w.stable_id == u.stable_id)
            });
            prop_assert!(
                !by_id && !same_key_same_person,
                "deleted {} which the source has", key
            );
        }
        // The counts add up.
        let c = plan.counts;
        prop_assert_eq!(
            (c.add, c.update, c.rename, c.replace, c.delete, c.conflict),
            (plan.adds.len(), plan.updates.len(), plan.renames.len(), plan.replaces.len(), plan.deletes.len(), plan.conflicts.len())
        );
    }

    #[test]
    fn no_user_ends_up_with_another_persons_stable_id(
        users in existing(),
        wanted in wanted(),
        recreate in any::<bool>(),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let s = src();
        let opts = {
 let mut v = DiffOptions::default();
 v.rename = if recreate { RenameMode::Recreate } else { RenameMode::InPlace };
 v
};
        let store = MemoryStore::with_users(users.clone());
        let plan = diff(&s, &users, wanted.iter().map(Ok), true, &opts);
        rt.block_on(store.apply(&plan)).unwrap();
        let after = rt.block_on(store.users()).unwrap();
        for u in after.iter().filter(|u| u.owner.as_ref() == Some(&s)) {
            let records: Vec<&Desired> = wanted.iter().filter(|w| w.key == u.key).collect();
            let conflicted = plan.conflicts.iter().any(|c| c.key == u.key);
            if let ([r], Some(stored), Some(listed), false) =
                (records.as_slice(), &u.stable_id, &records.first().and_then(|r| r.stable_id.clone()), conflicted)
            {
                prop_assert_eq!(stored, listed, "{} holds {:?}", u.key, r.stable_id);
            }
        }
    }
}
