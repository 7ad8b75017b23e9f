//! The safe part of a data-source filter as a Graph `$filter`: equality and prefix tests on
//! properties Graph filters without advanced queries, joined by AND. Everything else stays
//! with the local evaluation, which always runs.

use ucx_filter::Filter;

/// The Graph properties a filter field maps to.
fn properties(attr: &str) -> Option<&'static [&'static str]> {
    match attr.to_ascii_lowercase().as_str() {
        "email" => Some(&["mail", "userPrincipalName"]),
        "mail" => Some(&["mail"]),
        "userprincipalname" => Some(&["userPrincipalName"]),
        "department" => Some(&["department"]),
        "location" | "city" => Some(&["city"]),
        _ => None,
    }
}

/// An OData string literal: `'` doubled, the whole quoted.
pub fn odata_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn clause(f: &Filter) -> Option<String> {
    let (attr, op, value) = match f {
        Filter::Equality(a, v) => (a.name(), "eq", std::str::from_utf8(v).ok()?),
        Filter::Substrings(s) if s.any.is_empty() && s.final_.is_none() => (
            s.attr.name(),
            "startsWith",
            std::str::from_utf8(s.initial.as_deref()?).ok()?,
        ),
        _ => return None,
    };
    let props = properties(attr)?;
    let lit = odata_literal(value);
    let tests: Vec<String> = props
        .iter()
        .map(|p| match op {
            "eq" => format!("{p} eq {lit}"),
            _ => format!("startsWith({p},{lit})"),
        })
        .collect();
    Some(if tests.len() == 1 {
        tests.into_iter().next().unwrap_or_default()
    } else {
        format!("({})", tests.join(" or "))
    })
}

/// The `$filter` Graph can apply for `filter`, or `None` when no part of it is safe. The
/// result never excludes a user the filter accepts: only conjuncts are pushed down.
///
/// ```
/// let f = ucx_filter::Filter::parse("(&(department=R&D's)(location=Lis*)(officeLocation=*HQ))").unwrap();
/// assert_eq!(
///     ucx_entra::odata_filter(&f).as_deref(),
///     Some("department eq 'R&D''s' and startsWith(city,'Lis')")
/// );
/// ```
pub fn odata_filter(filter: &Filter) -> Option<String> {
    let parts: Vec<String> = match filter {
        Filter::And(children) => children.iter().filter_map(clause).collect(),
        f => clause(f).into_iter().collect(),
    };
    (!parts.is_empty()).then(|| parts.join(" and "))
}
