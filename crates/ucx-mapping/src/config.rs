//! Loading rules: the built-in sets, and TOML files that start from one and override fields.
//!
//! ```toml
//! base = "webex-users"              # the built-in set to start from
//!
//! [params]
//! email_domain = "example.com"      # read as $email_domain in expressions
//!
//! [fields]
//! first_extension_number = { every_time = ["phoneNumber", "esn"] }   # a fallback chain
//! user_address = { every_time = "{streetAddress} - {country}" }       # a template
//! password = { on_create_value = "S3cure!pass" }                      # a constant, when adding
//! title = { every_time = "title", on_missing = "keep" }
//! department = { keep = true }
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::builtin::{self, Row};
use crate::catalog::{self, FieldType};
use crate::error::RuleError;
use crate::expr::Expr;
use crate::rules::{OnMissing, Policy, Rule, RuleSet};

/// A rules file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesConfig {
    /// The built-in rule set to start from.
    pub base: String,
    /// Values for `$name` in expressions.
    #[serde(default)]
    pub params: BTreeMap<String, String>,
    /// Fields that differ from the base.
    #[serde(default)]
    pub fields: BTreeMap<String, toml::Spanned<FieldSpec>>,
}

/// One field's rule in a file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// "Import every time from source": an expression, or a list tried in order.
    pub every_time: Option<ExprSpec>,
    /// "Only when adding, set this value": an expression.
    pub on_create: Option<ExprSpec>,
    /// "Only when adding, set this value": a constant.
    pub on_create_value: Option<String>,
    /// "Keep existing value".
    pub keep: Option<bool>,
    /// Without a source value: `clear` (default) or `keep`.
    pub on_missing: Option<OnMissing>,
    /// A record without a value is a mapping error.
    pub required: Option<bool>,
}

/// An expression, or a fallback list of them.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ExprSpec {
    /// One expression.
    One(String),
    /// The first with a value.
    Chain(Vec<String>),
}

/// What rule compilation checks against.
struct Context<'a> {
    source: &'a str,
    vocabulary: &'a [&'a str],
    params: &'a BTreeMap<String, String>,
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |t| t.matches('\n').count() + 1)
}

fn password_ok(p: &str) -> bool {
    p.chars().count() >= 8
        && p.chars().any(|c| c.is_uppercase())
        && p.chars().any(|c| c.is_lowercase())
        && p.chars().any(|c| c.is_ascii_digit())
        && p.chars().any(|c| !c.is_alphanumeric())
}

impl Context<'_> {
    fn expr(&self, field: &str, text: &str, line: Option<usize>) -> Result<Expr, RuleError> {
        let e = Expr::parse(text).map_err(|error| RuleError::BadExpression {
            field: field.to_owned(),
            error,
            line,
        })?;
        for a in e.attributes() {
            if !self.vocabulary.iter().any(|v| v.eq_ignore_ascii_case(a)) {
                return Err(RuleError::UnknownAttribute {
                    field: field.to_owned(),
                    attribute: a.to_owned(),
                    source_kind: self.source.to_owned(),
                    known: self.vocabulary.join(", "),
                    line,
                });
            }
        }
        Ok(e.resolve(&|p| self.params.get(p).cloned()))
    }

    fn chain(&self, field: &str, spec: &ExprSpec, line: Option<usize>) -> Result<Expr, RuleError> {
        match spec {
            ExprSpec::One(t) => self.expr(field, t, line),
            ExprSpec::Chain(ts) => {
                let mut es = ts
                    .iter()
                    .map(|t| self.expr(field, t, line))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(if es.len() == 1 {
                    es.remove(0)
                } else {
                    Expr::Coalesce(es)
                })
            }
        }
    }

    fn rule(&self, field: &str, policy: Policy, line: Option<usize>) -> Result<Rule, RuleError> {
        let mut rule = Rule::new(field, policy).map_err(|_| RuleError::UnknownField {
            field: field.to_owned(),
            line,
        })?;
        if let Policy::OnCreate(Expr::Lit(v)) | Policy::EveryTime(Expr::Lit(v)) = &rule.policy {
            let len = v.chars().count();
            if len > rule.field.max_len {
                return Err(RuleError::TooLong {
                    field: field.to_owned(),
                    len,
                    max: rule.field.max_len,
                    line,
                });
            }
            if rule.field.kind == FieldType::Password && !password_ok(v) {
                return Err(RuleError::WeakPassword {
                    field: field.to_owned(),
                    line,
                });
            }
        }
        // A virtual object without a username cannot be stored.
        rule.required = field == "username";
        Ok(rule)
    }

    fn row(&self, (field, policy, text): &Row) -> Result<Rule, RuleError> {
        let (policy, on_missing) = match *policy {
            "every_time" => (
                Policy::EveryTime(self.expr(field, text, None)?),
                OnMissing::Clear,
            ),
            // Every time when the source has a value; kept when it has none.
            "every_time_or_keep" => (
                Policy::EveryTime(self.expr(field, text, None)?),
                OnMissing::Keep,
            ),
            "on_create" => (
                Policy::OnCreate(self.expr(field, text, None)?),
                OnMissing::Clear,
            ),
            _ => (Policy::Keep, OnMissing::Clear),
        };
        let mut rule = self.rule(field, policy, None)?;
        rule.on_missing = on_missing;
        Ok(rule)
    }

    fn spec(&self, field: &str, spec: &FieldSpec, line: Option<usize>) -> Result<Rule, RuleError> {
        let given = [
            spec.every_time.is_some(),
            spec.on_create.is_some(),
            spec.on_create_value.is_some(),
            spec.keep == Some(true),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(RuleError::Policy {
                field: field.to_owned(),
                line,
            });
        }
        let policy = if let Some(e) = &spec.every_time {
            Policy::EveryTime(self.chain(field, e, line)?)
        } else if let Some(e) = &spec.on_create {
            Policy::OnCreate(self.chain(field, e, line)?)
        } else if let Some(v) = &spec.on_create_value {
            Policy::OnCreate(Expr::Lit(v.as_str().into()))
        } else {
            Policy::Keep
        };
        let mut rule = self.rule(field, policy, line)?;
        rule.on_missing = spec.on_missing.unwrap_or_default();
        if let Some(r) = spec.required {
            rule.required = r;
        }
        Ok(rule)
    }
}

impl RuleSet {
    /// A built-in rule set: `webex-users`, `webex-virtual`, `webex-fax`, `cucm` or `entra`.
    pub fn builtin(name: &str) -> Result<RuleSet, RuleError> {
        Self::builtin_with(name, &BTreeMap::new())
    }

    /// A built-in rule set with parameters (`email_domain` for `cucm`).
    pub fn builtin_with(
        name: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<RuleSet, RuleError> {
        let (rows, vocabulary) =
            builtin::lookup(name).ok_or_else(|| RuleError::UnknownRuleSet {
                name: name.to_owned(),
            })?;
        let ctx = Context {
            source: name,
            vocabulary,
            params,
        };
        let rules = rows
            .iter()
            .map(|r| ctx.row(r))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RuleSet::new(name, rules))
    }

    /// A built-in set with some fields overridden.
    pub fn from_config(config: &RulesConfig) -> Result<RuleSet, RuleError> {
        Self::from_config_in(config, "")
    }

    fn from_config_in(config: &RulesConfig, text: &str) -> Result<RuleSet, RuleError> {
        let (rows, vocabulary) =
            builtin::lookup(&config.base).ok_or_else(|| RuleError::UnknownRuleSet {
                name: config.base.clone(),
            })?;
        let ctx = Context {
            source: &config.base,
            vocabulary,
            params: &config.params,
        };
        let mut rules = rows
            .iter()
            .map(|r| ctx.row(r))
            .collect::<Result<Vec<_>, _>>()?;
        for (field, spec) in &config.fields {
            let line = (!text.is_empty()).then(|| line_of(text, spec.span().start));
            if catalog::field(field).is_none() {
                return Err(RuleError::UnknownField {
                    field: field.clone(),
                    line,
                });
            }
            rules.push(ctx.spec(field, spec.get_ref(), line)?);
        }
        Ok(RuleSet::new(config.base.clone(), rules))
    }

    /// A rules file (TOML): errors name the field and the line.
    pub fn from_toml(text: &str) -> Result<RuleSet, RuleError> {
        let config: RulesConfig = toml::from_str(text).map_err(|e| RuleError::Toml {
            message: e.message().to_owned(),
            line: e.span().map(|s| line_of(text, s.start)),
        })?;
        Self::from_config_in(&config, text)
    }
}
