//! Graph's JSON shapes: every property optional, `null` read as absent, unknown properties
//! (users are an open type) ignored.

use serde::{Deserialize, Deserializer};

fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The properties the connector selects, in `$select` form.
pub(crate) const SELECT: &str = "id,userPrincipalName,mail,givenName,surname,displayName,department,officeLocation,city,streetAddress,postalCode,state,country,businessPhones,mobilePhone,faxNumber,jobTitle,employeeId,accountEnabled,onPremisesSamAccountName,userType";

/// A user (or, in a member listing, any directory object).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct User {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(rename = "@odata.type")]
    pub odata_type: Option<String>,
    #[serde(rename = "@removed")]
    pub removed: Option<Removed>,
    pub user_principal_name: Option<String>,
    pub mail: Option<String>,
    pub given_name: Option<String>,
    pub surname: Option<String>,
    pub display_name: Option<String>,
    pub department: Option<String>,
    pub office_location: Option<String>,
    pub city: Option<String>,
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
    pub state: Option<String>,
    pub country: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub business_phones: Vec<String>,
    pub mobile_phone: Option<String>,
    pub fax_number: Option<String>,
    pub job_title: Option<String>,
    pub employee_id: Option<String>,
    pub account_enabled: Option<bool>,
    pub on_premises_sam_account_name: Option<String>,
    pub user_type: Option<String>,
}

/// `@removed` in a delta answer.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Removed {
    pub reason: Option<String>,
}

/// An app role assignment of a service principal.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Assignment {
    pub principal_id: Option<String>,
    pub principal_type: Option<String>,
}
