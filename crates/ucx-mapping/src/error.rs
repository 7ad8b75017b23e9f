//! Errors found when rules are loaded: each names the field key and, for rules read from a file,
//! the line.

use crate::expr::ExprError;

fn at(line: &Option<usize>) -> String {
    line.map(|l| format!(" (line {l})")).unwrap_or_default()
}

/// A rule that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The target field is not in the catalog.
    #[error("unknown field '{field}'{}", at(line))]
    UnknownField {
        /// The key as written.
        field: String,
        /// Where.
        line: Option<usize>,
    },
    /// An expression reads an attribute the source does not emit.
    #[error(
        "field '{field}'{}: source {source_kind} has no attribute '{attribute}'; it has: {known}",
        at(line)
    )]
    UnknownAttribute {
        /// The field.
        field: String,
        /// The attribute.
        attribute: String,
        /// The rule set's source.
        source_kind: String,
        /// The attributes it has.
        known: String,
        /// Where.
        line: Option<usize>,
    },
    /// An expression or template that does not parse.
    #[error("field '{field}'{}: {error}", at(line))]
    BadExpression {
        /// The field.
        field: String,
        /// The parse error.
        error: ExprError,
        /// Where.
        line: Option<usize>,
    },
    /// A constant longer than the field allows.
    #[error(
        "field '{field}'{}: the value is {len} characters long; the field keeps at most {max}",
        at(line)
    )]
    TooLong {
        /// The field.
        field: String,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
        /// Where.
        line: Option<usize>,
    },
    /// A create-time password that breaks the local password policy.
    #[error(
        "field '{field}'{}: the password must have at least 8 characters, a capital letter, a lowercase letter, a number and a special character",
        at(line)
    )]
    WeakPassword {
        /// The field.
        field: String,
        /// Where.
        line: Option<usize>,
    },
    /// A rule gives no policy, or more than one.
    #[error(
        "field '{field}'{}: give exactly one of every_time, on_create, on_create_value, keep",
        at(line)
    )]
    Policy {
        /// The field.
        field: String,
        /// Where.
        line: Option<usize>,
    },
    /// An unknown built-in rule set.
    #[error(
        "unknown rule set '{name}'; the built-in ones are: webex-users, webex-virtual, webex-fax, cucm, entra"
    )]
    UnknownRuleSet {
        /// The name.
        name: String,
    },
    /// The rules file is not valid TOML or has unknown keys.
    #[error("invalid rules file{}: {message}", at(line))]
    Toml {
        /// What the TOML parser said.
        message: String,
        /// Where.
        line: Option<usize>,
    },
}
