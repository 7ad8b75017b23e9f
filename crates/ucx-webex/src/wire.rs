//! The JSON shapes of the Webex APIs, as tolerant as the APIs are inconsistent: every field is
//! optional, `null` reads as absent, booleans may arrive as strings, enums are open, and unknown
//! fields are ignored.

use serde::{Deserialize, Deserializer};

/// `null` or a missing field → `T::default()`.
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A boolean sent as `true`, `"true"`, `"TRUE"`, `1`... Anything unreadable is `None`, never an
/// error: a flag must not fail a whole page.
fn loose_bool<'de, D>(d: D) -> Result<Option<bool>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(d.deserialize_any(Loose)?.and_then(|v| match v {
        Scalar::Bool(b) => Some(b),
        Scalar::Int(n) => Some(n != 0),
        Scalar::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "1" | "yes" => Some(true),
            "false" | "f" | "0" | "no" => Some(false),
            _ => None,
        },
    }))
}

/// A string, or a number sent where a string was documented (numeric location ids, extensions).
fn loose_string<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(d.deserialize_any(Loose)?.and_then(|v| match v {
        Scalar::Text(s) => Some(s),
        Scalar::Int(n) => Some(n.to_string()),
        Scalar::Bool(_) => None,
    }))
}

enum Scalar {
    Bool(bool),
    Int(i128),
    Text(String),
}

/// Reads any JSON value as a scalar, without building a `serde_json::Value`: objects, arrays
/// and floats read as `None` (skipped), so an unexpected shape never fails the page.
struct Loose;

impl<'de> serde::de::Visitor<'de> for Loose {
    type Value = Option<Scalar>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Int(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Int(v.into())))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Text(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Scalar::Text(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(None)
    }
}

/// `GET /people` page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PeoplePage {
    #[serde(default, deserialize_with = "nullable")]
    pub items: Vec<Person>,
}

/// One person (ADMIN `Person`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Person {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub emails: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub phone_numbers: Vec<PhoneNumber>,
    #[serde(deserialize_with = "loose_string")]
    pub extension: Option<String>,
    pub location_id: Option<String>,
    pub display_name: Option<String>,
    pub nick_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub avatar: Option<String>,
    pub org_id: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
    pub manager: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub addresses: Vec<Address>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub login_enabled: Option<bool>,
    #[serde(deserialize_with = "loose_bool")]
    pub invite_pending: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct PhoneNumber {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub value: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub primary: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Address {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub country: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub street_address: Option<String>,
    pub postal_code: Option<String>,
}

/// `GET /locations` item.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Location {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    pub name: Option<String>,
    pub address: Option<LocationAddress>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct LocationAddress {
    pub address1: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// `GET /telephony/config/locations` item.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct TelephonyLocation {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    pub name: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub routing_prefix: Option<String>,
}

/// `GET /organizations/{id}`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Organization {
    pub display_name: Option<String>,
}

/// A hunt group, call queue or auto attendant list item: the fields the three share.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Feature {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    pub name: Option<String>,
    pub location_name: Option<String>,
    pub location_id: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub phone_number: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub extension: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub routing_prefix: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub esn: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub enabled: Option<bool>,
    #[serde(deserialize_with = "loose_bool")]
    pub has_cx_essentials: Option<bool>,
    pub department: Option<Named>,
    #[serde(deserialize_with = "loose_string")]
    pub toll_free_number: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Named {
    pub id: Option<String>,
    pub name: Option<String>,
}

/// `GET /telephony/config/virtualLines` item.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct VirtualLine {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub display_name: Option<String>,
    pub number: Option<LineNumber>,
    pub location: Option<Named>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct LineNumber {
    #[serde(deserialize_with = "loose_string")]
    pub external: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub extension: Option<String>,
    #[serde(rename = "routingPrefix", deserialize_with = "loose_string")]
    pub routing_prefix: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub esn: Option<String>,
    #[serde(deserialize_with = "loose_bool")]
    pub primary: Option<bool>,
}

/// `GET /people/{id}/features/callRecording` (and the workspace equivalent): the one field
/// read.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct CallRecording {
    #[serde(deserialize_with = "loose_string")]
    pub external_identifier: Option<String>,
}

/// `GET /workspaces` item.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Workspace {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    pub display_name: Option<String>,
    pub location_id: Option<String>,
    pub notes: Option<String>,
    pub calling: Option<Calling>,
    pub calendar: Option<Calendar>,
    pub sip_address: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct Calendar {
    pub email_address: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Calling {
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// `GET /workspaces/{id}/features/numbers`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct WorkspaceNumbers {
    #[serde(deserialize_with = "nullable")]
    pub phone_numbers: Vec<LineNumber>,
    pub location: Option<Named>,
    pub organization: Option<Named>,
}

/// `GET /telephony/config/numbers` item.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct NumberRow {
    #[serde(deserialize_with = "loose_string")]
    pub phone_number: Option<String>,
    pub phone_number_type: Option<String>,
    pub owner: Option<NumberOwner>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NumberOwner {
    pub id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// SCIM 2 `ListResponse` of users, with only the attributes asked for.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ScimPage {
    pub total_results: Option<usize>,
    #[serde(rename = "Resources", deserialize_with = "nullable")]
    pub resources: Vec<ScimUser>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ScimUser {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    pub external_id: Option<String>,
}

/// The token endpoint's answer.
#[derive(Deserialize)]
pub(crate) struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
}

/// The Webex error body (ADMIN `ErrorResponse`), and the OAuth error body of the token
/// endpoint.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ErrorBody {
    pub message: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub errors: Vec<ErrorDetail>,
    pub tracking_id: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub error_code: Option<String>,
    /// OAuth: `invalid_client`, `invalid_grant`, ...
    #[serde(deserialize_with = "loose_string")]
    pub error: Option<String>,
    pub error_description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub(crate) struct ErrorDetail {
    pub description: Option<String>,
    #[serde(deserialize_with = "loose_string")]
    pub error_code: Option<String>,
}
