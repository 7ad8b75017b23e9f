#![doc = include_str!("../README.md")]

mod ast;
mod attributes;
mod display;
mod error;
mod eval;
mod fold;
mod item;
mod parser;
mod pushdown;
mod schema;

pub use ast::{AttributeDescription, Extensible, Filter, Substrings};
pub use attributes::Attributes;
pub use error::{ParseError, ParseErrorKind};
pub use eval::Matcher;
pub use parser::{DEFAULT_MAX_DEPTH, MAX_DEPTH_LIMIT, ParseOptions};
pub use pushdown::plain_value;
pub use schema::{Field, FieldKind, FilterSchema, ValidationError, WEBEX_USER_TYPES};

/// A filter that could not be used: it does not parse, or it does not fit the source's fields.
///
/// The product shows both as "Invalid LDAP filters"; this keeps them apart so that a person is
/// told which.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FilterError {
    /// The text is not a filter.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The filter names a field, value or matching rule the source does not offer.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

/// Parses `text` with `options` and compiles it against `schema`: what a source does with the
/// filter in its configuration.
///
/// ```
/// use ucx_filter::{FilterSchema, ParseOptions, compile};
/// let m = compile("(|(department=Sales)(department=Marketing))", ParseOptions::strict(), &FilterSchema::entra())?;
/// # let _ = m;
/// # Ok::<(), ucx_filter::FilterError>(())
/// ```
pub fn compile(
    text: &str,
    options: ParseOptions,
    schema: &FilterSchema,
) -> Result<Matcher, FilterError> {
    let filter = options.parse(text)?;
    Ok(schema.compile(&filter)?)
}
