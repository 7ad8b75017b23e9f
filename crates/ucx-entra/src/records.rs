//! Graph users into source records, under the attribute names `docs/connectors/entra.md`
//! documents and the `entra` rule set reads.

use std::borrow::Cow;

use ucx_sync_core::{Attributes, ObjectKind, SourceRecord};

use crate::config::EntraConfig;
use crate::wire::User;

/// Why a directory object is not imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Skip {
    /// Not a user (a group, device or service principal in a member listing).
    NotAUser,
    /// No userPrincipalName to key on.
    NoKey,
    /// A guest, and guests are excluded.
    Guest,
    /// Disabled, and disabled accounts are excluded.
    Disabled,
}

/// Adds a non-blank value, trimmed.
fn set<'a>(
    pairs: &mut Vec<(&'static str, Cow<'a, str>)>,
    name: &'static str,
    value: Option<&'a str>,
) {
    if let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) {
        pairs.push((name, Cow::Borrowed(v)));
    }
}

/// A user as a record keyed by userPrincipalName (lower-cased), stable id its object id.
pub(crate) fn user(u: &User, config: &EntraConfig) -> Result<SourceRecord, Skip> {
    if u.odata_type
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("#microsoft.graph.user"))
    {
        return Err(Skip::NotAUser);
    }
    let upn = u
        .user_principal_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(Skip::NoKey)?;
    if !config.include_guests
        && u.user_type
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case("Guest"))
    {
        return Err(Skip::Guest);
    }
    if !config.include_disabled && u.account_enabled == Some(false) {
        return Err(Skip::Disabled);
    }
    let mut pairs: Vec<(&'static str, Cow<'_, str>)> = Vec::with_capacity(24);
    let mail = u.mail.as_deref().map(str::trim).filter(|m| !m.is_empty());
    set(&mut pairs, "id", Some(&u.id));
    set(&mut pairs, "userPrincipalName", Some(upn));
    set(&mut pairs, "mail", mail);
    // `mail` is null for users without a mailbox; the UPN is then their address (as Entra's
    // own provisioning to Webex does).
    set(&mut pairs, "email", mail.or(Some(upn)));
    set(&mut pairs, "givenName", u.given_name.as_deref());
    set(&mut pairs, "surname", u.surname.as_deref());
    set(&mut pairs, "displayName", u.display_name.as_deref());
    set(&mut pairs, "department", u.department.as_deref());
    set(&mut pairs, "officeLocation", u.office_location.as_deref());
    set(&mut pairs, "city", u.city.as_deref());
    set(&mut pairs, "location", u.city.as_deref());
    set(&mut pairs, "streetAddress", u.street_address.as_deref());
    set(&mut pairs, "postalCode", u.postal_code.as_deref());
    set(&mut pairs, "state", u.state.as_deref());
    set(&mut pairs, "country", u.country.as_deref());
    set(
        &mut pairs,
        "phoneNumber",
        u.business_phones.first().map(String::as_str),
    );
    for p in &u.business_phones {
        set(&mut pairs, "businessPhones", Some(p));
    }
    set(&mut pairs, "mobilePhone", u.mobile_phone.as_deref());
    set(&mut pairs, "faxNumber", u.fax_number.as_deref());
    set(&mut pairs, "jobTitle", u.job_title.as_deref());
    set(&mut pairs, "employeeId", u.employee_id.as_deref());
    set(
        &mut pairs,
        "onPremisesSamAccountName",
        u.on_premises_sam_account_name.as_deref(),
    );
    set(&mut pairs, "accountType", u.user_type.as_deref());
    set(&mut pairs, "userType", Some(ObjectKind::User.filter_name()));
    if let Some(enabled) = u.account_enabled {
        pairs.push(("accountEnabled", Cow::Owned(enabled.to_string())));
    }
    Ok(SourceRecord::new(ObjectKind::User, upn)
        .with_stable_id(u.id.to_ascii_lowercase())
        .with_attributes(Attributes::from_pairs(pairs)))
}
