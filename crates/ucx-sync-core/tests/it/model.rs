//! Records, keys, attributes and fields.

use ucx_sync_core::*;

#[test]
fn object_kinds_have_filter_names_and_acronyms() {
    let names: Vec<_> = ObjectKind::ALL.iter().map(|k| k.filter_name()).collect();
    assert_eq!(
        names,
        [
            "user",
            "hunt-group",
            "call-queue",
            "auto-attendant",
            "virtual-line",
            "workspace",
            "fax-workspace"
        ]
    );
    let acronyms: Vec<_> = ObjectKind::ALL.iter().map(|k| k.acronym()).collect();
    assert_eq!(acronyms, ["", "HG", "CQ", "AA", "VL", "WS", "WSF"]);
    assert_eq!(
        "Hunt-Group".parse::<ObjectKind>().unwrap(),
        ObjectKind::HuntGroup
    );
    assert!(
        "room"
            .parse::<ObjectKind>()
            .unwrap_err()
            .to_string()
            .contains("fax-workspace")
    );
    assert_eq!(
        serde_json::to_string(&ObjectKind::FaxWorkspace).unwrap(),
        "\"fax-workspace\""
    );
}

#[test]
fn sync_keys_are_normalised() {
    assert_eq!(
        SyncKey::new("  Ann@Example.COM "),
        SyncKey::new("ann@example.com")
    );
    assert_eq!(SyncKey::new("ÄNN@x.de").as_str(), "änn@x.de");
}

#[test]
fn attributes_are_case_insensitive_and_multi_valued() {
    let a: Attributes = [
        ("email", vec!["ann@x.com"]),
        ("Department", vec!["Sales"]),
        ("DEPARTMENT", vec!["Support"]),
        ("phoneNumber", vec![]),
        ("mobile", vec!["1", "2"]),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        a.get("department").collect::<Vec<_>>(),
        ["Sales", "Support"]
    );
    assert_eq!(a.first("EMAIL"), Some("ann@x.com"));
    assert!(!a.contains("phoneNumber"));
    assert!(!a.contains("missing"));
    assert_eq!(a.get("mobile").count(), 2);
    assert_eq!(a.len(), 4);
    let b = a.with("email", ["bob@x.com"]);
    assert_eq!(b.first("email"), Some("bob@x.com"));
    assert_eq!(a.first("email"), Some("ann@x.com"));
    let json = serde_json::to_string(&a).unwrap();
    let back: Attributes = serde_json::from_str(&json).unwrap();
    assert_eq!(back, a);
    // The filter crate evaluates against it directly.
    let m = ucx_filter::Matcher::compile(
        &ucx_filter::Filter::parse("(&(department=support)(email=*@x.com))").unwrap(),
    )
    .unwrap();
    assert!(m.matches(&a));
}

#[test]
fn fields_keep_the_last_value_and_apply_changes() {
    let f: Fields = [("a", "1"), ("b", "2"), ("a", "3")].into_iter().collect();
    assert_eq!(f.get_str("a"), Some("3"));
    assert_eq!(f.len(), 2);
    let g = f.with_changes([
        (FieldName::new("a"), None),
        (FieldName::new("c"), Some("x")),
        (FieldName::new("b"), Some("")),
    ]);
    assert_eq!(
        g.to_map().into_iter().collect::<Vec<_>>(),
        [("c".to_owned(), "x".to_owned())]
    );
    let json = serde_json::to_string(&f).unwrap();
    assert_eq!(json, r#"{"a":"3","b":"2"}"#);
    assert_eq!(serde_json::from_str::<Fields>(&json).unwrap(), f);
}

#[test]
fn source_errors_describe_their_layer() {
    let io = std::io::Error::other("connection reset");
    let e = SourceError::new(ErrorKind::RateLimited, "list users")
        .with_message("Too many requests")
        .with_tracking_id("ROUTER_123")
        .with_retry_after(std::time::Duration::from_secs(7))
        .with_source(io);
    assert_eq!(
        e.to_string(),
        "list users: rate limited: Too many requests (tracking id ROUTER_123)"
    );
    assert!(e.is_retryable());
    assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(7)));
    assert_eq!(
        std::error::Error::source(&e).unwrap().to_string(),
        "connection reset"
    );
    for (kind, retry) in [
        (ErrorKind::Config, false),
        (ErrorKind::Auth, false),
        (ErrorKind::Forbidden, false),
        (ErrorKind::NotFound, false),
        (ErrorKind::RateLimited, true),
        (ErrorKind::Timeout, true),
        (ErrorKind::Unavailable, true),
        (ErrorKind::Protocol, false),
        (ErrorKind::Unsupported, false),
    ] {
        assert_eq!(kind.is_retryable(), retry, "{kind}");
    }
}

#[test]
fn fields_builder_orders_drops_and_truncates() {
    let (a, b, c) = (
        FieldName::new("fb_a"),
        FieldName::new("fb_b"),
        FieldName::new("fb_c"),
    );
    // Out of order, with a repeat: the last value wins.
    let mut fb = FieldsBuilder::new();
    fb.push(c, "third");
    fb.push(a, "first");
    fb.push(c, "THIRD");
    fb.write(b, |out| out.push_str("sécond-long"));
    assert!(fb.truncate_last(6));
    assert_eq!(fb.last(), Some("sécond"));
    assert!(!fb.truncate_last(10));
    fb.push(a, "");
    fb.discard_last();
    let f = fb.build();
    assert_eq!(
        f.iter().map(|(n, v)| (n.as_str(), v)).collect::<Vec<_>>(),
        [("fb_a", "first"), ("fb_b", "sécond"), ("fb_c", "THIRD")]
    );
    // In order: the buffer is kept as written.
    let mut fb = FieldsBuilder::with_capacity(2, 16);
    fb.push(a, "1");
    fb.push(b, "22");
    assert_eq!(
        fb.build(),
        [("fb_a", "1"), ("fb_b", "22")]
            .into_iter()
            .collect::<Fields>()
    );
}

#[test]
fn planned_lookups_agree_with_sorted_ones() {
    let keys: Vec<AttributeKey> = ["a", "email", "locality", "location.name", "zz"]
        .iter()
        .map(|n| AttributeKey::new(n))
        .collect();
    let make = |v: &str| -> Attributes {
        [
            ("Email", vec![" x@y.z ".to_owned()]),
            ("location.name", vec!["".to_owned(), v.to_owned()]),
            ("locality", vec!["  ".to_owned()]),
        ]
        .into_iter()
        .collect()
    };
    let (first, second) = (make("Rome"), make("Paris"));
    assert_eq!(first.layout(), second.layout());
    let plan = first.plan(&keys);
    let mut planned = vec![None; keys.len()];
    assert!(second.resolve_planned(&keys, &plan, &mut planned));
    let mut sorted = vec![None; keys.len()];
    second.resolve_sorted(&keys, &mut sorted);
    assert_eq!(planned, sorted);
    assert_eq!(planned, [None, Some("x@y.z"), None, Some("Paris"), None]);
    let other: Attributes = [("email", vec!["e"])].into_iter().collect();
    assert_ne!(other.layout(), first.layout());
}

#[test]
fn an_empty_bag_equals_the_default_however_it_was_built() {
    let built: Attributes = std::iter::empty::<(&str, Vec<&str>)>().collect();
    let parsed: Attributes = serde_json::from_str("{}").unwrap();
    assert_eq!(built, Attributes::default());
    assert_eq!(parsed, Attributes::default());
    assert_eq!(
        Attributes::from_pairs(std::iter::empty::<(&str, &str)>()),
        Attributes::default()
    );
}

#[test]
fn attributes_and_fields_read_back_from_json_in_any_order() {
    let a: Attributes = serde_json::from_str(
        r#"{"phone":["+1 555","",""],"Email":["ann@example.com"],"dept":["R\u0026D \"Labs\""],"EMAIL":["second@example.com"],"none":[]}"#,
    )
    .unwrap();
    let built: Attributes = [
        ("dept", vec!["R&D \"Labs\""]),
        ("Email", vec!["ann@example.com", "second@example.com"]),
        ("none", vec![]),
        ("phone", vec!["+1 555", "", ""]),
    ]
    .into_iter()
    .collect();
    assert_eq!(a, built);
    let again: Attributes = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(again, a);
    assert!(serde_json::from_str::<Attributes>(r#"{"email":"not a list"}"#).is_err());

    let f: Fields =
        serde_json::from_str(r#"{"last_name":"O\"Brien","first_name":"Ann","last_name":"Lee"}"#)
            .unwrap();
    assert_eq!(f.get_str("first_name"), Some("Ann"));
    assert_eq!(f.get_str("last_name"), Some("Lee"), "a later value wins");
    assert!(serde_json::from_str::<Fields>(r#"{"first_name":1}"#).is_err());
}
