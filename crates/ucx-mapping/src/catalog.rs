//! The UCX user fields the sync can write: the target of every rule.
//!
//! Keys are the snake_case of the display names in the product's tables; database columns are the
//! ones the CUCM table gives.

/// What kind of value a field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// Free text.
    Text,
    /// `true` or `false`.
    Bool,
    /// A whole number.
    Integer,
    /// An email address.
    Email,
    /// A telephone number or extension.
    Phone,
    /// A picture (a URL to fetch, or its content).
    Image,
    /// A password: checked against the local password policy.
    Password,
}

/// One field of the UCX users list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogField {
    /// The stable key used in rules and plans.
    pub key: &'static str,
    /// The label the product shows.
    pub display: &'static str,
    /// The users database column, where the CUCM table names it.
    pub column: Option<&'static str>,
    /// The kind of value.
    pub kind: FieldType,
    /// The longest value kept, in characters (bytes for pictures).
    pub max_len: usize,
}

const fn f(
    key: &'static str,
    display: &'static str,
    column: Option<&'static str>,
    kind: FieldType,
    max_len: usize,
) -> CatalogField {
    CatalogField {
        key,
        display,
        column,
        kind,
        max_len,
    }
}

use FieldType::*;

/// The longest text value the users list keeps.
pub const TEXT_MAX: usize = 255;
/// The longest username of a virtual object or fax workspace.
pub const USERNAME_MAX: usize = 20;
/// The largest picture kept (200 KB).
pub const PICTURE_MAX: usize = 200 * 1024;

/// Every field.
pub static CATALOG: &[CatalogField] = &[
    f("username", "Username", None, Text, USERNAME_MAX),
    f(
        "preferred_language",
        "Preferred language",
        None,
        Text,
        TEXT_MAX,
    ),
    f("password", "Password", None, Password, TEXT_MAX),
    f(
        "active_directory_username",
        "Active Directory username",
        Some("user_ad"),
        Text,
        TEXT_MAX,
    ),
    f("domain", "Domain", None, Text, TEXT_MAX),
    f(
        "sso_id",
        "Single Sign-On (SSO) ID",
        Some("ssoid"),
        Text,
        TEXT_MAX,
    ),
    f(
        "conversational_ai_username",
        "Conversational AI Username",
        Some("user_authname"),
        Text,
        TEXT_MAX,
    ),
    f(
        "first_name",
        "First Name",
        Some("user_nome"),
        Text,
        TEXT_MAX,
    ),
    f(
        "last_name",
        "Last Name",
        Some("user_cognome"),
        Text,
        TEXT_MAX,
    ),
    f("user_pin", "User PIN", None, Text, TEXT_MAX),
    f(
        "first_extension_number",
        "First extension number",
        Some("user_telnum"),
        Phone,
        TEXT_MAX,
    ),
    f(
        "first_extension_number_alias",
        "First extension number Alias",
        Some("user_TelNumAlias"),
        Phone,
        TEXT_MAX,
    ),
    f(
        "published_directory_number",
        "Published Directory Number",
        None,
        Phone,
        TEXT_MAX,
    ),
    f(
        "enable_billing_first_extension",
        "Enable billing for first extension number",
        None,
        Bool,
        5,
    ),
    f("cdr_user_id", "Cdr User Id", None, Text, TEXT_MAX),
    f("device_name", "Device name", None, Text, TEXT_MAX),
    f(
        "preferred_device_name",
        "Preferred Device name",
        None,
        Text,
        TEXT_MAX,
    ),
    f(
        "pbx_username",
        "PBX Username",
        Some("user_ccmname"),
        Text,
        TEXT_MAX,
    ),
    f("email", "Email", Some("user_mail"), Email, TEXT_MAX),
    f(
        "department",
        "Department",
        Some("user_department"),
        Text,
        TEXT_MAX,
    ),
    f(
        "recording_group_name",
        "Recording Group name",
        None,
        Text,
        TEXT_MAX,
    ),
    f("cost_center", "Cost Center", None, Text, TEXT_MAX),
    f(
        "office_location",
        "Office Location",
        Some("user_office_location"),
        Text,
        TEXT_MAX,
    ),
    f("site_name", "Site Name", None, Text, TEXT_MAX),
    f("partition", "Partition", None, Text, TEXT_MAX),
    f(
        "masked_digits",
        "Number of masked digits in Call Analytics",
        None,
        Integer,
        2,
    ),
    f(
        "enable_billing_voicemail",
        "Enable billing for voicemail number",
        None,
        Bool,
        5,
    ),
    f(
        "voicemail_number",
        "VoiceMail Number",
        None,
        Phone,
        TEXT_MAX,
    ),
    f(
        "voicemail_address",
        "VoiceMail Address",
        Some("user_voicemailaddr"),
        Email,
        TEXT_MAX,
    ),
    f(
        "do_not_keep_sent_voicemails",
        "Do not keep sent voicemails",
        None,
        Bool,
        5,
    ),
    f("home_phone", "Home Phone", None, Phone, TEXT_MAX),
    f(
        "mobile_business_number",
        "Mobile Business Number",
        None,
        Phone,
        TEXT_MAX,
    ),
    f("user_address", "User address", None, Text, TEXT_MAX),
    f("fax_number", "Fax Number", None, Phone, TEXT_MAX),
    f(
        "fax_group_username",
        "Fax Group Username",
        None,
        Text,
        TEXT_MAX,
    ),
    f("fax_company_name", "Fax Company Name", None, Text, TEXT_MAX),
    f(
        "fax_default_priority",
        "Fax Default Priority (0/1/2)",
        None,
        Integer,
        1,
    ),
    f(
        "enable_billing_fax",
        "Enable billing for fax number",
        None,
        Bool,
        5,
    ),
    f("fax_enable_send", "Fax: enable send", None, Bool, 5),
    f("fax_enable_receive", "Fax: enable receive", None, Bool, 5),
    f("fax2email_enable", "Enable Fax2Email", None, Bool, 5),
    f(
        "fax_to_email_address",
        "Fax to email address",
        Some("user_pref_fax_mailinaddr"),
        Email,
        TEXT_MAX,
    ),
    f(
        "fax2email_attach_fax",
        "Fax2Email attach fax",
        None,
        Bool,
        5,
    ),
    f(
        "disable_caller_lookup",
        "Disable caller lookup on phone",
        None,
        Bool,
        5,
    ),
    f(
        "rich_presence_sip_uri",
        "Rich Presence SIP URI",
        None,
        Text,
        TEXT_MAX,
    ),
    f("microsoft_uri", "Microsoft URI", None, Text, TEXT_MAX),
    f("webex_uri", "Webex URI", None, Text, TEXT_MAX),
    f(
        "send_email_notifications",
        "Send email notifications",
        None,
        Bool,
        5,
    ),
    f(
        "attach_recording_to_notifications",
        "Attach recording file to email notifications",
        None,
        Bool,
        5,
    ),
    f("is_a_room", "Is a room", None, Bool, 5),
    f("picture", "Picture", None, Image, PICTURE_MAX),
    f("title", "Title (custom field)", None, Text, TEXT_MAX),
];

/// The field with key `key`.
pub fn field(key: &str) -> Option<&'static CatalogField> {
    CATALOG.iter().find(|f| f.key == key)
}
