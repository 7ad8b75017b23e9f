//! The safe part of a data-source filter as a Graph `$filter`.
//!
//! A pushed-down test may only ever *widen* what the local filter accepts: the local filter
//! always runs after it, but a user the server leaves out is lost for good. LDAP matching
//! (RFC 4518 caseIgnoreMatch) ignores case and folds spaces — `(department=R&D)` matches a stored
//! `"R&D "` — while Graph's `eq` and `startsWith` ignore ASCII case only. So only properties
//! that Entra never stores with spaces are pushed down (`mail` and `userPrincipalName`, which
//! it validates as addresses), only with values that are ASCII without inner spaces (trimmed,
//! as LDAP trims them), and only as conjuncts of an AND. Department, city and everything else
//! stay with the local evaluation.

use ucx_filter::Filter;

/// A Graph string test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    /// `p eq 'v'`.
    Eq,
    /// `startsWith(p,'v')`.
    StartsWith,
}

/// One pushed-down conjunct: the test holds when it holds on any of `properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Clause {
    pub(crate) properties: &'static [&'static str],
    pub(crate) op: Op,
    pub(crate) value: String,
}

/// The Graph properties a filter field maps to, for the fields Entra never stores with spaces.
/// The record's `email` is `mail`, or the user principal name without one.
fn properties(attr: &str) -> Option<&'static [&'static str]> {
    match attr.to_ascii_lowercase().as_str() {
        "email" => Some(&["mail", "userPrincipalName"]),
        "mail" => Some(&["mail"]),
        "userprincipalname" => Some(&["userPrincipalName"]),
        _ => None,
    }
}

/// An OData string literal: `'` doubled, the whole quoted.
pub fn odata_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn clause(f: &Filter) -> Option<Clause> {
    let (attr, op, value) = match f {
        Filter::Equality(a, v) => (a, Op::Eq, v),
        // Any value matching `a*b*c` starts with `a`.
        Filter::Substrings(s) => (&s.attr, Op::StartsWith, s.initial.as_ref()?),
        _ => return None,
    };
    if attr.options().next().is_some() {
        return None;
    }
    Some(Clause {
        properties: properties(attr.name())?,
        op,
        value: ucx_filter::plain_value(value)?.to_owned(),
    })
}

/// The clauses Graph can apply for `filter`: the safe conjuncts of its top-level AND.
pub(crate) fn clauses(filter: &Filter) -> Vec<Clause> {
    match filter {
        Filter::And(children) => children.iter().filter_map(clause).collect(),
        f => clause(f).into_iter().collect(),
    }
}

fn render(c: &Clause) -> String {
    let lit = odata_literal(&c.value);
    let tests: Vec<String> = c
        .properties
        .iter()
        .map(|p| match c.op {
            Op::Eq => format!("{p} eq {lit}"),
            Op::StartsWith => format!("startsWith({p},{lit})"),
        })
        .collect();
    if tests.len() == 1 {
        tests.join("")
    } else {
        format!("({})", tests.join(" or "))
    }
}

/// The `$filter` Graph can apply for `filter`, or `None` when no part of it is safe. The
/// result never excludes a user the filter accepts (see the module notes).
///
/// ```
/// let f = ucx_filter::Filter::parse("(&(department=R&D)(email= O'Brien*)(officeLocation=*HQ))").unwrap();
/// assert_eq!(
///     ucx_entra::odata_filter(&f).as_deref(),
///     Some("(startsWith(mail,'O''Brien') or startsWith(userPrincipalName,'O''Brien'))")
/// );
/// ```
pub fn odata_filter(filter: &Filter) -> Option<String> {
    let parts: Vec<String> = clauses(filter).iter().map(render).collect();
    (!parts.is_empty()).then(|| parts.join(" and "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use ucx_filter::Matcher;

    /// A Graph user as the local filter sees it (`records.rs`) and as Graph stores it.
    #[derive(Debug, Clone)]
    struct User {
        mail: Option<String>,
        upn: String,
        department: Option<String>,
        city: Option<String>,
    }

    impl User {
        fn attributes(&self) -> HashMap<String, Vec<String>> {
            let mut a = HashMap::new();
            let mut set = |k: &str, v: Option<&String>| {
                if let Some(v) = v {
                    a.insert(k.to_owned(), vec![v.clone()]);
                }
            };
            set("userprincipalname", Some(&self.upn));
            set("mail", self.mail.as_ref());
            set("email", self.mail.as_ref().or(Some(&self.upn)));
            set("department", self.department.as_ref());
            set("city", self.city.as_ref());
            set("location", self.city.as_ref());
            a
        }

        /// Graph's evaluation of the clauses: ASCII case ignored, nothing else folded.
        fn graph_keeps(&self, clauses: &[Clause]) -> bool {
            clauses.iter().all(|c| {
                c.properties.iter().any(|p| {
                    let stored = match *p {
                        "mail" => self.mail.as_deref(),
                        "userPrincipalName" => Some(self.upn.as_str()),
                        _ => None,
                    };
                    stored.is_some_and(|s| {
                        let (s, v) = (s.to_ascii_lowercase(), c.value.to_ascii_lowercase());
                        match c.op {
                            Op::Eq => s == v,
                            Op::StartsWith => s.starts_with(&v),
                        }
                    })
                })
            })
        }
    }

    /// Addresses as Entra stores them: ASCII, no spaces, either case.
    fn address() -> impl Strategy<Value = String> {
        "[aA@']{1,3}"
    }

    /// Free text with spaces and non-ASCII, as departments and cities come.
    fn text() -> impl Strategy<Value = String> {
        "[ aAé]{0,3}"
    }

    fn user() -> impl Strategy<Value = User> {
        (
            proptest::option::of(address()),
            address(),
            proptest::option::of(text()),
            proptest::option::of(text()),
        )
            .prop_map(|(mail, upn, department, city)| User {
                mail,
                upn,
                department,
                city,
            })
    }

    /// Filter values close to the stored ones (a small alphabet, so that many match): case,
    /// outer and inner spaces, non-ASCII.
    fn value() -> impl Strategy<Value = String> {
        "[ aA@'é]{1,3}"
    }

    fn escape(v: &str) -> String {
        v.chars()
            .map(|c| match c {
                '*' | '(' | ')' | '\\' => format!("\\{:02x}", c as u32),
                c => c.to_string(),
            })
            .collect()
    }

    fn item() -> impl Strategy<Value = String> {
        let attr = prop::sample::select(vec![
            "email",
            "mail",
            "userPrincipalName",
            "department",
            "location",
            "city",
            "EMAIL",
        ]);
        (attr, value(), value(), 0..4u8).prop_map(|(a, v, w, kind)| {
            let (v, w) = (escape(&v), escape(&w));
            match kind {
                0 => format!("({a}={v})"),
                1 => format!("({a}={v}*)"),
                2 => format!("({a}={v}*{w})"),
                _ => format!("({a}=*{v})"),
            }
        })
    }

    fn filter() -> impl Strategy<Value = String> {
        item().prop_recursive(3, 12, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..4)
                    .prop_map(|v| format!("(&{})", v.concat())),
                prop::collection::vec(inner.clone(), 1..4)
                    .prop_map(|v| format!("(|{})", v.concat())),
                inner.prop_map(|f| format!("(!{f})")),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// Graph never leaves out a user the local filter accepts.
        #[test]
        fn the_server_filter_never_excludes_a_local_match(text in filter(), users in prop::collection::vec(user(), 1..8)) {
            let Ok(f) = Filter::parse(&text) else { return Ok(()); };
            let matcher = Matcher::compile(&f).unwrap();
            let pushed = clauses(&f);
            for u in &users {
                if matcher.matches(&u.attributes()) {
                    prop_assert!(u.graph_keeps(&pushed), "{text} matches {u:?} locally, but Graph drops it with {pushed:?}");
                }
            }
        }
    }

    #[test]
    fn spaced_and_non_ascii_values_and_free_text_fields_stay_local() {
        for f in [
            "(department=R&D)",
            "(location=Lisbon)",
            "(email=a b@x.com)",
            "(email=ané@x.com)",
            "(mail;lang-en=a@x.com)",
            "(|(email=a@x.com)(email=b@x.com))",
            "(!(email=a@x.com))",
        ] {
            assert_eq!(odata_filter(&Filter::parse(f).unwrap()), None, "{f}");
        }
        let f = Filter::parse("(&(email= Ann@X.com )(userPrincipalName=ann*x*))").unwrap();
        assert_eq!(
            odata_filter(&f).as_deref(),
            Some(
                "(mail eq 'Ann@X.com' or userPrincipalName eq 'Ann@X.com') and startsWith(userPrincipalName,'ann')"
            )
        );
    }
}
