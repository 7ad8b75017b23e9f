#![doc = include_str!("../README.md")]

mod builtin;
pub mod catalog;
mod config;
mod error;
mod expr;
mod rules;
pub mod vocab;

pub use catalog::{CATALOG, CatalogField, FieldType};
pub use config::{ExprSpec, FieldSpec, RulesConfig};
pub use error::RuleError;
pub use expr::{Expr, ExprError, Func, MAX_EXPR_DEPTH};
pub use rules::{FieldExplanation, OnMissing, Policy, Rule, RuleSet};
