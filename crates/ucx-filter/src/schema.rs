//! The fields a source lets a filter name, and the checks a filter must pass before it is used
//! ("Invalid LDAP filters" in the product).

use crate::ast::Filter;
use crate::eval::{Matcher, compile};
use crate::fold::Fold;

/// How a field's values compare.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldKind {
    /// Text: without case, insignificant spaces folded.
    Text,
    /// A telephone number: spaces, dashes and brackets are ignored (`+1 (555) 456-7890` =
    /// `+15554567890`).
    Phone,
    /// One of a fixed set of values (compared without case); anything else is an error.
    Enum(Vec<String>),
}

/// One filterable field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    name: String,
    aliases: Vec<String>,
    attribute: String,
    kind: FieldKind,
}

impl Field {
    /// A text field read from the record attribute of the same name.
    pub fn text(name: impl Into<String>) -> Self {
        let name = name.into();
        Self {
            attribute: name.clone(),
            name,
            aliases: Vec::new(),
            kind: FieldKind::Text,
        }
    }

    /// A telephone-number field.
    pub fn phone(name: impl Into<String>) -> Self {
        Self {
            kind: FieldKind::Phone,
            ..Self::text(name)
        }
    }

    /// An enumerated field.
    pub fn enumerated<I, S>(name: impl Into<String>, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            kind: FieldKind::Enum(values.into_iter().map(Into::into).collect()),
            ..Self::text(name)
        }
    }

    /// Another name a filter may use for this field.
    pub fn alias(mut self, alias: impl Into<String>) -> Self {
        self.aliases.push(alias.into());
        self
    }

    /// Reads the field from a record attribute with a different name.
    pub fn from_attribute(mut self, attribute: impl Into<String>) -> Self {
        self.attribute = attribute.into();
        self
    }

    /// The name filters use.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The record attribute the field is read from.
    pub fn attribute(&self) -> &str {
        &self.attribute
    }

    /// How values compare.
    pub fn kind(&self) -> &FieldKind {
        &self.kind
    }

    fn answers_to(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
            || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(name))
    }

    pub(crate) fn fold(&self) -> Fold {
        match self.kind {
            FieldKind::Phone => Fold::Phone,
            _ => Fold::CaseIgnore,
        }
    }
}

/// The fields a source lets filters name.
///
/// ```
/// use ucx_filter::{Filter, FilterSchema};
///
/// let schema = FilterSchema::webex_users();
/// let ok = Filter::parse("(&(Location=NYC)(UserType=hunt-group))")?;
/// assert!(schema.validate(&ok).is_ok());
///
/// let bad = Filter::parse("(title=Manager)")?;
/// let err = schema.validate(&bad).unwrap_err();
/// assert!(err.to_string().contains("email, department, location, phoneNumber, userType"));
/// # Ok::<(), ucx_filter::ParseError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilterSchema {
    fields: Vec<Field>,
}

/// The `UserType` values of the Webex source, as the product lists them.
pub const WEBEX_USER_TYPES: [&str; 7] = [
    "user",
    "auto-attendant",
    "call-queue",
    "hunt-group",
    "virtual-line",
    "workspace",
    "fax-workspace",
];

impl FilterSchema {
    /// An empty schema; add fields with [`FilterSchema::field`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a field.
    pub fn field(mut self, field: Field) -> Self {
        self.fields.push(field);
        self
    }

    /// The fields, in the order they were added.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The Webex Control Hub source's filterable fields: `email`, `department`, `Location`,
    /// `phoneNumber` and `UserType` (with its seven values).
    pub fn webex_users() -> Self {
        Self::new()
            .field(Field::text("email"))
            .field(Field::text("department"))
            .field(Field::text("location"))
            .field(Field::phone("phoneNumber"))
            .field(Field::enumerated("userType", WEBEX_USER_TYPES))
    }

    /// The Entra ID source's filterable fields: `email`, `department`, `officeLocation`,
    /// `location` (the city) and `phoneNumber`.
    pub fn entra() -> Self {
        Self::new()
            .field(Field::text("email"))
            .field(Field::text("department"))
            .field(Field::text("officeLocation"))
            .field(Field::text("location"))
            .field(Field::phone("phoneNumber"))
    }

    /// The field a filter name refers to (names and aliases compare without case).
    pub fn lookup(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.answers_to(name))
    }

    fn allowed(&self) -> String {
        self.fields
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Checks every field, enumerated value and matching rule the filter uses.
    pub fn validate(&self, filter: &Filter) -> Result<(), ValidationError> {
        self.compile(filter).map(|_| ())
    }

    /// Validates the filter and compiles it into a [`Matcher`] that uses this schema's attribute
    /// names and comparison rules.
    pub fn compile(&self, filter: &Filter) -> Result<Matcher, ValidationError> {
        compile(filter, Some(self))
    }

    pub(crate) fn resolve(&self, name: &str) -> Result<&Field, ValidationError> {
        self.lookup(name)
            .ok_or_else(|| ValidationError::UnknownField {
                field: name.to_owned(),
                allowed: self.allowed(),
            })
    }
}

/// A filter that parses but cannot be used with a source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ValidationError {
    /// The filter names a field the source does not offer.
    #[error("unknown field '{field}'; the filterable fields are: {allowed}")]
    UnknownField {
        /// The name as written.
        field: String,
        /// The fields allowed, comma-separated.
        allowed: String,
    },
    /// An enumerated field compared with a value outside its set.
    #[error("'{value}' is not a valid {field}; the values are: {allowed}")]
    UnknownValue {
        /// The field.
        field: String,
        /// The value as written.
        value: String,
        /// The values allowed, comma-separated.
        allowed: String,
    },
    /// An extensible match with a matching rule this engine does not implement.
    #[error(
        "matching rule '{rule}' is not supported; use caseIgnoreMatch (2.5.13.2) or caseExactMatch (2.5.13.5)"
    )]
    UnsupportedRule {
        /// The rule as written.
        rule: String,
    },
}

impl FilterSchema {
    /// Checks a value given for an enumerated field.
    pub(crate) fn check_value(
        &self,
        field: &Field,
        value: &[u8],
        pattern: Option<&dyn Fn(&str) -> bool>,
    ) -> Result<(), ValidationError> {
        let FieldKind::Enum(values) = &field.kind else {
            return Ok(());
        };
        let text = String::from_utf8_lossy(value);
        let wanted = Fold::CaseIgnore.apply(&text);
        let ok = match pattern {
            Some(matches) => values.iter().any(|v| matches(v)),
            None => values.iter().any(|v| Fold::CaseIgnore.apply(v) == wanted),
        };
        if ok {
            Ok(())
        } else {
            Err(ValidationError::UnknownValue {
                field: field.name.clone(),
                value: text.into_owned(),
                allowed: values.join(", "),
            })
        }
    }
}
