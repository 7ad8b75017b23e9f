//! The built-in rule sets: each reproduces the product's table for its source (the first mapping
//! criterion of each row, with the document's example values for "Only when adding" constants).

/// One row: field key, policy (`every_time`, `every_time_or_keep` — kept when the source has
/// no value —, `on_create` or `keep`), expression.
pub(crate) type Row = (&'static str, &'static str, &'static str);

/// "Control Hub External Identifier": the call-recording external identifier recording
/// integrations correlate calls with, else (not a calling entity, or recording ids switched
/// off) the Webex id.
const EXTERNAL_ID: &str = "recordingExternalId | nativeUserId";

const ADDRESS: &str = "{streetAddress}, {postalCode} {locality}, {region} - {country}";
/// The seed's `<acronym>_<phonenumber> or <ESN> or <name>`: the number's digits only
/// (`CQ_394914524886`, not `CQ_+394914524886`); the ESN before the bare extension, so objects
/// at one extension in two locations (hunt groups at 60000 in Denver and Austin) keep usernames
/// of their own; the extension where a location has no routing prefix.
const VIRTUAL_USERNAME: &str =
    "acronym() + '_' + (digits(phoneNumber) | digits(esn) | digits(extension) | name)";

/// Fields set "only when adding" to False in every Webex table.
const WEBEX_SWITCHES: &[Row] = &[
    ("enable_billing_first_extension", "on_create", "'false'"),
    ("enable_billing_voicemail", "on_create", "'false'"),
    ("do_not_keep_sent_voicemails", "on_create", "'false'"),
    ("enable_billing_fax", "on_create", "'false'"),
    ("fax_enable_send", "on_create", "'false'"),
    ("fax_enable_receive", "on_create", "'false'"),
    ("fax2email_enable", "on_create", "'false'"),
    ("fax2email_attach_fax", "on_create", "'false'"),
    ("disable_caller_lookup", "on_create", "'false'"),
    ("send_email_notifications", "on_create", "'false'"),
    ("attach_recording_to_notifications", "on_create", "'false'"),
    ("is_a_room", "on_create", "'false'"),
];

/// Webex users ("Users Synch Rules").
pub(crate) const WEBEX_USERS: &[Row] = &[
    ("preferred_language", "on_create", "'EN'"),
    ("password", "keep", ""),
    ("active_directory_username", "every_time", "local(email)"),
    ("domain", "every_time", "domain(email)"),
    ("sso_id", "every_time", "email"),
    ("conversational_ai_username", "every_time", "email"),
    ("first_name", "every_time", "firstName"),
    ("last_name", "every_time", "lastName"),
    ("user_pin", "keep", ""),
    ("first_extension_number", "every_time", "esn | phoneNumber"),
    (
        "first_extension_number_alias",
        "every_time",
        "extension | phoneNumber",
    ),
    (
        "published_directory_number",
        "every_time",
        "extension | phoneNumber",
    ),
    ("cdr_user_id", "every_time", "commonIdentityId"),
    ("device_name", "every_time", EXTERNAL_ID),
    ("preferred_device_name", "every_time", EXTERNAL_ID),
    ("pbx_username", "every_time", EXTERNAL_ID),
    ("email", "every_time", "email"),
    ("department", "every_time", "department"),
    ("recording_group_name", "every_time", "department"),
    ("cost_center", "every_time", "department"),
    ("office_location", "every_time", "location.name"),
    ("masked_digits", "on_create", "'3'"),
    ("voicemail_number", "every_time", "'*55' + esn"),
    ("voicemail_address", "every_time", "email"),
    ("home_phone", "every_time", "workPhone"),
    ("mobile_business_number", "every_time", "mobilePhone"),
    ("user_address", "every_time", ADDRESS),
    ("fax_number", "every_time", "faxNumber"),
    ("fax_group_username", "every_time", "department"),
    ("fax_company_name", "every_time", "organization.name"),
    ("fax_default_priority", "on_create", "'0'"),
    ("fax_to_email_address", "every_time", "email"),
    ("rich_presence_sip_uri", "every_time", "email"),
    ("microsoft_uri", "every_time", "email"),
    ("webex_uri", "every_time", "email"),
    ("picture", "every_time", "avatarUrl"),
    ("title", "keep", ""),
];

/// Webex hunt groups, call queues, auto attendants, virtual lines and workspaces ("Virtual
/// Objects Synch Rules").
pub(crate) const WEBEX_VIRTUAL: &[Row] = &[
    ("username", "every_time", VIRTUAL_USERNAME),
    ("preferred_language", "on_create", "'EN'"),
    ("password", "keep", ""),
    (
        "active_directory_username",
        "every_time",
        "local(email) | commonIdentityId",
    ),
    // "empty" in the seed's table: a virtual object has no mailbox or first name.
    ("domain", "every_time", "''"),
    ("sso_id", "every_time", "''"),
    ("conversational_ai_username", "every_time", "email"),
    ("first_name", "every_time", "''"),
    ("last_name", "every_time", "name"),
    ("user_pin", "keep", ""),
    ("first_extension_number", "every_time", "esn | phoneNumber"),
    (
        "first_extension_number_alias",
        "every_time",
        "extension | phoneNumber",
    ),
    ("cdr_user_id", "every_time", "commonIdentityId"),
    // Footnote ****: a workspace's device name is its call-recording External Identifier;
    // other objects have none, and a value set by hand is kept.
    ("device_name", "every_time_or_keep", "recordingExternalId"),
    ("preferred_device_name", "every_time", EXTERNAL_ID),
    ("pbx_username", "every_time", EXTERNAL_ID),
    ("department", "every_time", "organization.name"),
    ("recording_group_name", "every_time", "organization.name"),
    ("cost_center", "every_time", "organization.name"),
    ("office_location", "every_time", "location.name"),
    ("masked_digits", "on_create", "'3'"),
    ("voicemail_number", "every_time", "'*55' + esn"),
    ("voicemail_address", "every_time", "''"),
    ("home_phone", "every_time", "workPhone"),
    ("mobile_business_number", "every_time", "mobilePhone"),
    ("user_address", "every_time", ADDRESS),
    ("fax_number", "every_time", "faxNumber"),
    (
        "fax_group_username",
        "every_time",
        "faxNumber | organization.name",
    ),
    ("fax_company_name", "every_time", "organization.name"),
    ("fax_default_priority", "on_create", "'0'"),
    ("fax_to_email_address", "every_time", "email"),
    ("rich_presence_sip_uri", "every_time", "email"),
    ("microsoft_uri", "every_time", "email"),
    ("webex_uri", "every_time", "email"),
    ("picture", "every_time", "avatarUrl"),
];

/// Webex fax workspaces ("Fax Workspaces Synch Rules"); the username acronym is WSF.
pub(crate) const WEBEX_FAX: &[Row] = &[
    ("username", "every_time", VIRTUAL_USERNAME),
    ("preferred_language", "on_create", "'EN'"),
    ("password", "keep", ""),
    (
        "active_directory_username",
        "every_time",
        "local(email) | commonIdentityId",
    ),
    // "empty" in the seed's table, as for virtual objects.
    ("domain", "every_time", "''"),
    ("sso_id", "every_time", "''"),
    ("last_name", "every_time", "name"),
    ("cdr_user_id", "every_time", "commonIdentityId"),
    ("device_name", "every_time", EXTERNAL_ID),
    ("preferred_device_name", "every_time", EXTERNAL_ID),
    ("pbx_username", "every_time", EXTERNAL_ID),
    ("department", "every_time", "organization.name"),
    ("recording_group_name", "every_time", "organization.name"),
    ("cost_center", "every_time", "organization.name"),
    ("office_location", "every_time", "location.name"),
    ("home_phone", "every_time", "workPhone"),
    ("mobile_business_number", "every_time", "mobilePhone"),
    ("user_address", "every_time", ADDRESS),
    // "phoneNumber or ESN": an extension-only fax workspace still gets a fax number.
    ("fax_number", "every_time", "phoneNumber | esn"),
    // The "Fax Number" choice is the fax number of the row above.
    (
        "fax_group_username",
        "every_time",
        "phoneNumber | esn | organization.name",
    ),
    ("fax_company_name", "every_time", "organization.name"),
    ("fax_default_priority", "on_create", "'0'"),
    ("fax_to_email_address", "every_time", "email"),
];

/// CUCM end users ("CUCM Fields mapping").
pub(crate) const CUCM: &[Row] = &[
    ("first_name", "every_time", "firstName"),
    ("last_name", "every_time", "lastName"),
    // AXL has no office field and the `enduser` table no column for it: reading the missing
    // attribute every time would clear a value set by hand on every run.
    ("office_location", "keep", ""),
    (
        "first_extension_number",
        "every_time",
        "telephoneNumber | primaryExtension",
    ),
    (
        "first_extension_number_alias",
        "every_time",
        "msSipUri | mail",
    ),
    // "Mail ID", or `userid@domain` composed for users without one (scenario 3): the connector
    // composes `email` from its `email_domain`; `$email_domain` does the same in the rules.
    ("email", "every_time", CUCM_MAIL),
    ("voicemail_address", "every_time", CUCM_MAIL),
    ("fax_to_email_address", "every_time", CUCM_MAIL),
    ("sso_id", "every_time", CUCM_MAIL),
    ("active_directory_username", "every_time", "userid"),
    ("pbx_username", "every_time", "userid"),
    ("conversational_ai_username", "every_time", "userid"),
    ("device_name", "every_time", "deviceName"),
    ("department", "every_time", "department"),
    ("cost_center", "every_time", "department"),
    ("site_name", "every_time", "department"),
    ("recording_group_name", "every_time", "department"),
    ("fax_group_username", "every_time", "department"),
    ("partition", "keep", ""),
    ("password", "keep", ""),
];

/// The CUCM "Mail ID": the mail id, else the address the connector composed, else one composed
/// from the rules' `$email_domain`.
const CUCM_MAIL: &str = "mail | email | userid + '@' + $email_domain";

/// Entra ID users: the Webex users table read through Graph's attribute names; the email is
/// `mail`, falling back to the userPrincipalName (the default matching attribute).
pub(crate) const ENTRA: &[Row] = &[
    ("preferred_language", "on_create", "'EN'"),
    (
        "active_directory_username",
        "every_time",
        "onPremisesSamAccountName | local(userPrincipalName)",
    ),
    ("domain", "every_time", "domain(userPrincipalName)"),
    ("sso_id", "every_time", "userPrincipalName"),
    ("first_name", "every_time", "givenName"),
    ("last_name", "every_time", "surname"),
    ("first_extension_number", "every_time", "phoneNumber"),
    ("cdr_user_id", "every_time", "id"),
    ("email", "every_time", "mail | userPrincipalName"),
    ("department", "every_time", "department"),
    ("office_location", "every_time", "officeLocation"),
    ("mobile_business_number", "every_time", "mobilePhone"),
    ("fax_number", "every_time", "faxNumber"),
    (
        "user_address",
        "every_time",
        "{streetAddress}, {postalCode} {city}, {state} - {country}",
    ),
    (
        "voicemail_address",
        "every_time",
        "mail | userPrincipalName",
    ),
    ("microsoft_uri", "every_time", "userPrincipalName"),
    // The user's photo, `/users/{id}/photo/$value`, stored beside the user.
    ("picture", "every_time", "id"),
    ("title", "keep", ""),
];

/// The switches of the fax workspaces table.
const FAX_SWITCHES: &[Row] = &[
    ("enable_billing_fax", "on_create", "'false'"),
    ("fax_enable_send", "on_create", "'false'"),
    ("fax_enable_receive", "on_create", "'false'"),
    ("fax2email_enable", "on_create", "'false'"),
    ("fax2email_attach_fax", "on_create", "'false'"),
    ("send_email_notifications", "on_create", "'false'"),
    ("attach_recording_to_notifications", "on_create", "'false'"),
];

/// Built-in sets by name: rows and the vocabulary of their source.
pub(crate) fn lookup(name: &str) -> Option<(Vec<Row>, &'static [&'static str])> {
    use crate::vocab;
    let join = |a: &[Row], b: &[Row]| a.iter().chain(b).copied().collect::<Vec<Row>>();
    Some(match name {
        "webex-users" => (join(WEBEX_USERS, WEBEX_SWITCHES), vocab::WEBEX_USERS),
        "webex-virtual" => (join(WEBEX_VIRTUAL, WEBEX_SWITCHES), vocab::WEBEX_VIRTUAL),
        "webex-fax" => (join(WEBEX_FAX, FAX_SWITCHES), vocab::WEBEX_VIRTUAL),
        "cucm" => (CUCM.to_vec(), vocab::CUCM),
        "entra" => (ENTRA.to_vec(), vocab::ENTRA),
        _ => return None,
    })
}
