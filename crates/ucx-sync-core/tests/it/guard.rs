//! Safety guards.

use crate::common::*;
use ucx_sync_core::*;

fn plan_with(owned: usize, deletes: usize, adds: usize, updates: usize) -> Plan {
    let s = src();
    let users: Vec<User> = (0..owned)
        .map(|i| {
            user(
                i as u64,
                Some(&s),
                &format!("u{i}@x.com"),
                &[("first_name", "a")],
            )
        })
        .collect();
    let mut wanted: Vec<Desired> = (deletes..owned)
        .map(|i| {
            let name = if i < deletes + updates { "b" } else { "a" };
            want(&format!("u{i}@x.com"), &[("first_name", name)], &[])
        })
        .collect();
    wanted.extend((0..adds).map(|i| want(&format!("new{i}@x.com"), &[], &[])));
    let p = plan(&users, wanted);
    assert_eq!(
        (p.counts.delete, p.counts.add, p.counts.update),
        (deletes, adds, updates)
    );
    p
}

#[test]
fn defaults_allow_small_deletes() {
    assert!(Guard::default().check(&plan_with(1000, 200, 0, 0)).is_ok());
    assert!(
        Guard::default().check(&plan_with(3, 2, 0, 0)).is_ok(),
        "up to the allowance of 5, any share may go"
    );
}

#[test]
fn absolute_limit() {
    let g = {
        let mut v = Guard::default();
        v.max_deletes = Some(10);
        v
    };
    let err = g.check(&plan_with(1000, 11, 0, 0)).unwrap_err();
    assert_eq!(
        err,
        GuardError::TooManyDeletes {
            deletes: 11,
            limit: 10
        }
    );
    assert!(
        err.to_string()
            .contains("raise max_deletes or pass --allow-deletes")
    );
    assert!(g.check(&plan_with(1000, 10, 0, 0)).is_ok());
}

#[test]
fn percent_limit_and_the_stricter_wins() {
    let g = {
        let mut v = Guard::default();
        v.max_deletes = Some(500);
        v.max_delete_percent = Some(20.0);
        v
    };
    // 30 of 100 is 30%: within 500, over 20%.
    let err = g.check(&plan_with(100, 30, 0, 0)).unwrap_err();
    assert!(
        matches!(
            err,
            GuardError::TooManyDeletesPercent {
                deletes: 30,
                owned: 100,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("30 of the source's 100 users (30.0%)"),
        "{err}"
    );
    // 600 of 10,000 is 6%: within 20%, over 500.
    assert!(matches!(
        g.check(&plan_with(10_000, 600, 0, 0)),
        Err(GuardError::TooManyDeletes { .. })
    ));
    assert!(
        Guard::default()
            .allowing_deletes()
            .allowing_empty()
            .check(&plan_with(100, 100, 0, 0))
            .is_ok()
    );
}

#[test]
fn operation_switches() {
    let p = plan_with(10, 1, 2, 3);
    for (g, op, count) in [
        (
            {
                let mut v = Guard::default();
                v.allow_create = false;
                v
            },
            "create",
            2,
        ),
        (
            {
                let mut v = Guard::default();
                v.allow_update = false;
                v
            },
            "update",
            3,
        ),
        (
            {
                let mut v = Guard::default();
                v.allow_delete = false;
                v
            },
            "delete",
            1,
        ),
    ] {
        let err = g.check(&p).unwrap_err();
        assert_eq!(
            err,
            GuardError::OperationForbidden {
                operation: op,
                count
            }
        );
        assert!(err.to_string().contains(&format!("allow_{op} = false")));
    }
    let quiet = plan_with(10, 0, 0, 0);
    assert!(
        {
            let mut v = Guard::default();
            v.allow_create = false;
            v.allow_update = false;
            v.allow_delete = false;
            v
        }
        .check(&quiet)
        .is_ok()
    );
}
