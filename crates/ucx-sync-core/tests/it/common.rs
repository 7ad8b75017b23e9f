//! Builders shared by the tests.

use ucx_sync_core::*;

/// The source most tests plan for, users and plans: the store contract's builders.
pub(crate) use ucx_testkit::store::{plan, source as src, user};

pub(crate) fn other() -> SourceId {
    SourceId::new("entra:contoso")
}

pub(crate) fn want(key: &str, always: &[(&str, &str)], on_create: &[(&str, &str)]) -> Desired {
    Desired {
        kind: ObjectKind::User,
        key: SyncKey::new(key),
        stable_id: None,
        always: always.iter().copied().collect(),
        on_create: on_create.iter().copied().collect(),
        rules: RuleLabels::new([
            ("first_name", "every time: firstName"),
            ("email", "every time: email"),
        ]),
        warnings: vec![],
    }
}

/// A mapper reading `first_name`, `last_name`, `email`, `first_extension_number` every time and
/// `department` only when adding, straight from attributes of those names. A record with the
/// attribute `broken` fails to map.
#[derive(Debug)]
pub(crate) struct TestMapper;

impl RecordMapper for TestMapper {
    fn map(&self, r: &SourceRecord) -> Result<Desired, MappingError> {
        if r.attributes.contains("broken") {
            return Err(MappingError {
                key: r.key.clone(),
                stable_id: r.stable_id.clone(),
                message: "cannot map".into(),
            });
        }
        let get = |n: &str| r.attributes.first(n).unwrap_or_default().to_owned();
        Ok(Desired {
            kind: r.kind,
            key: r.key.clone(),
            stable_id: r.stable_id.clone(),
            always: [
                ("first_name", get("first_name")),
                ("last_name", get("last_name")),
                ("email", get("email")),
                ("first_extension_number", get("first_extension_number")),
            ]
            .into_iter()
            .collect(),
            on_create: [("department", get("department"))].into_iter().collect(),
            rules: RuleLabels::default(),
            warnings: vec![],
        })
    }
}

pub(crate) fn record(key: &str, attrs: &[(&str, &str)]) -> SourceRecord {
    SourceRecord::new(ObjectKind::User, key)
        .with_attributes(attrs.iter().map(|(k, v)| (*k, vec![*v])).collect())
}
