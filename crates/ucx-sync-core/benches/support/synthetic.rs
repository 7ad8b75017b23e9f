//! A synthetic tenant for the diff benchmark and the memory example: `n` users with 40 fields of
//! realistic length (names, numbers, addresses), owned by one source; the wanted side equals the
//! users except that every hundredth has one field changed.

use ucx_sync_core::{
    Desired, FieldName, Fields, ObjectKind, RuleLabels, SourceId, SyncKey, User, UserId,
};

/// The 40 field names.
pub(crate) fn field_names() -> Vec<FieldName> {
    let named = [
        "first_name",
        "last_name",
        "email",
        "department",
        "first_extension_number",
        "first_extension_number_alias",
        "pbx_username",
        "username",
        "voicemail_number",
        "mobile_business_number",
        "home_phone",
        "office_location",
        "cost_center",
        "title",
        "user_address",
        "site_name",
        "partition",
        "device_name",
        "preferred_device_name",
        "cdr_user_id",
        "preferred_language",
        "sso_id",
        "active_directory_username",
        "domain",
        "recording_group_name",
        "published_directory_number",
        "masked_digits",
        "voicemail_address",
        "fax_number",
        "fax_email",
        "sip_uri",
        "directory_uri",
        "manager",
        "employee_id",
        "city",
        "country",
        "postal_code",
        "region",
        "street_address",
        "display_name",
    ];
    named.iter().map(|n| FieldName::new(n)).collect()
}

fn value(field: usize, i: usize) -> String {
    match field {
        0 => format!("First{i}"),
        1 => format!("Last{i}"),
        2 => format!("user{i}@example.com"),
        3 => ["Sales", "Support", "Engineering", "Finance"][i % 4].to_owned(),
        4 => format!("{}", 100_000 + i),
        8 => format!("8{}", 100_000 + i),
        _ => format!("v{field}-{i:07}"),
    }
}

/// The existing users.
pub(crate) fn users(source: &SourceId, n: usize, names: &[FieldName]) -> Vec<User> {
    (0..n)
        .map(|i| User {
            id: UserId(i as u64),
            kind: ObjectKind::User,
            owner: Some(source.clone()),
            key: SyncKey::new(format!("user{i}@example.com")),
            stable_id: Some(format!("ci-{i:08}")),
            fields: names
                .iter()
                .enumerate()
                .map(|(f, name)| (*name, value(f, i)))
                .collect(),
        })
        .collect()
}

/// The wanted user `i`; every hundredth has its title changed.
pub(crate) fn desired(i: usize, names: &[FieldName], rules: &RuleLabels) -> Desired {
    let always: Fields = names
        .iter()
        .enumerate()
        .map(|(f, name)| {
            let v = if f == 13 && i.is_multiple_of(100) {
                format!("changed-{i}")
            } else {
                value(f, i)
            };
            (*name, v)
        })
        .collect();
    Desired {
        kind: ObjectKind::User,
        key: SyncKey::new(format!("user{i}@example.com")),
        stable_id: Some(format!("ci-{i:08}")),
        always,
        on_create: Fields::default(),
        rules: rules.clone(),
        warnings: Vec::new(),
    }
}
