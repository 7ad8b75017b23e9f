//! Field rules, compiled rule sets, and the mapper they make.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use ucx_sync_core::{
    Desired, FieldName, FieldsBuilder, MappingError, RecordMapper, RuleLabels, SourceRecord,
};

use crate::catalog::{self, CatalogField, FieldType};
use crate::error::RuleError;
use crate::expr::Expr;

/// When the sync writes a field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// "Import every time from source" / "Use the mail address field": written on every sync;
    /// manual edits are reverted.
    EveryTime(Expr),
    /// "Only when adding, set this value": written when the user is created, never again.
    OnCreate(Expr),
    /// "Keep existing value": never written by the sync.
    Keep,
}

/// What an every-time field does when the source has no value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnMissing {
    /// Clear the field (the default: the users list mirrors the source, which is what "import
    /// every time" promises; Entra's provisioning to Webex does not sync nulls and the product
    /// documents call that a limitation).
    #[default]
    Clear,
    /// Leave the field as it is.
    Keep,
}

/// One field's rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// The target field.
    pub field: &'static CatalogField,
    /// When it is written, and from what.
    pub policy: Policy,
    /// What an every-time rule does without a value.
    pub on_missing: OnMissing,
    /// Whether a record without a value is a mapping error.
    pub required: bool,
}

impl Rule {
    /// A rule for `field` (a catalog key).
    pub fn new(field: &str, policy: Policy) -> Result<Rule, RuleError> {
        let field = catalog::field(field).ok_or_else(|| RuleError::UnknownField {
            field: field.to_owned(),
            line: None,
        })?;
        Ok(Rule {
            field,
            policy,
            on_missing: OnMissing::Clear,
            required: false,
        })
    }

    /// The rule as the plan shows it: `every time: esn | phoneNumber`.
    pub fn label(&self) -> String {
        match &self.policy {
            Policy::EveryTime(e) => format!("every time: {e}"),
            Policy::OnCreate(e) => format!("only when adding: {e}"),
            Policy::Keep => "keep existing value".to_owned(),
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} = {}", self.field.key, self.label())
    }
}

/// What `explain` reports for one field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldExplanation {
    /// The field key.
    pub field: &'static str,
    /// The rule.
    pub rule: String,
    /// Every source attribute consulted, with the value found.
    pub consulted: Vec<(String, Option<String>)>,
    /// The value the rule produced (`None`: nothing written; `Some("")`: cleared).
    pub result: Option<String>,
    /// A note (truncation, missing value).
    pub note: Option<String>,
}

/// A compiled set of rules: a [`RecordMapper`].
#[derive(Debug, Clone)]
pub struct RuleSet {
    name: String,
    rules: Vec<(FieldName, Rule)>,
    labels: RuleLabels,
    /// The create-only fields, when every one is a constant: built once, cloned per record.
    constant_on_create: Option<ucx_sync_core::Fields>,
    /// Every attribute the rules read, sorted, prepared for the per-record lookup.
    keys: Vec<ucx_sync_core::AttributeKey>,
    /// Where those attributes sit in records of the last layout seen (records of one source share
    /// a layout): saves a merge of the name lists per record.
    plan: Arc<Mutex<Option<LayoutPlan>>>,
}

/// A record layout fingerprint and where the rules' attributes sit in records of that layout.
type LayoutPlan = (u64, Vec<Option<u16>>);

impl RuleSet {
    /// A rule set from rules (later rules for the same field replace earlier ones).
    pub fn new(name: impl Into<String>, rules: impl IntoIterator<Item = Rule>) -> RuleSet {
        let mut by_field: BTreeMap<&'static str, Rule> = BTreeMap::new();
        for r in rules {
            by_field.insert(r.field.key, r);
        }
        let mut rules: Vec<(FieldName, Rule)> = by_field
            .into_values()
            .map(|r| (FieldName::new(r.field.key), r))
            .collect();
        // In field-id order, so each record's fields are written already sorted.
        rules.sort_by_key(|(n, _)| *n);
        let mut attributes: Vec<Box<str>> = rules
            .iter()
            .filter_map(|(_, r)| match &r.policy {
                Policy::EveryTime(e) | Policy::OnCreate(e) => Some(e.lower_attributes()),
                Policy::Keep => None,
            })
            .flatten()
            .map(Box::from)
            .collect();
        attributes.sort();
        attributes.dedup();
        for (_, r) in &mut rules {
            if let Policy::EveryTime(e) | Policy::OnCreate(e) = &mut r.policy {
                e.assign_slots(&attributes);
            }
        }
        let labels = RuleLabels::new(rules.iter().map(|(n, r)| (*n, r.label())));
        let constants: Option<Vec<(FieldName, &str)>> = rules
            .iter()
            .filter_map(|(n, r)| match &r.policy {
                Policy::OnCreate(Expr::Lit(v)) => Some(Some((*n, &**v))),
                Policy::OnCreate(_) => Some(None),
                _ => None,
            })
            .collect();
        let constant_on_create = constants.map(|c| {
            c.into_iter()
                .filter(|(_, v)| !v.is_empty())
                .collect::<ucx_sync_core::Fields>()
                .shared()
        });
        RuleSet {
            name: name.into(),
            rules,
            labels,
            constant_on_create,
            keys: attributes
                .iter()
                .map(|a| ucx_sync_core::AttributeKey::new(a))
                .collect(),
            plan: Arc::default(),
        }
    }

    /// The rule set's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rules, by field key.
    pub fn rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().map(|(_, r)| r)
    }

    /// The rule for `field`.
    pub fn rule(&self, field: &str) -> Option<&Rule> {
        self.rules().find(|r| r.field.key == field)
    }

    /// Every field as this rule set would write it for `record`, with the attributes consulted.
    pub fn explain(&self, record: &SourceRecord) -> Vec<FieldExplanation> {
        let mut out = Vec::new();
        for (_, rule) in &self.rules {
            let mut consulted = Vec::new();
            let mut value = String::new();
            let expr = match &rule.policy {
                Policy::EveryTime(e) | Policy::OnCreate(e) => Some(e),
                Policy::Keep => None,
            };
            if let Some(e) = expr {
                e.eval(record, None, &mut value, &mut |a: &str, v: Option<&str>| {
                    consulted.push((a.to_owned(), v.map(str::to_owned)));
                });
            }
            let mut note = None;
            let result = match (&rule.policy, value.is_empty()) {
                (Policy::Keep, _) => None,
                (Policy::EveryTime(_), true) if rule.on_missing == OnMissing::Keep => {
                    note = Some("no value; the field is kept".to_owned());
                    None
                }
                (Policy::OnCreate(_), true) => None,
                _ => {
                    if let Some((cut, _)) = value.char_indices().nth(rule.field.max_len) {
                        let kept = value[..cut].trim_end().len();
                        value.truncate(kept);
                        note = Some(format!("truncated to {} characters", rule.field.max_len));
                    }
                    Some(value)
                }
            };
            out.push(FieldExplanation {
                field: rule.field.key,
                rule: rule.label(),
                consulted,
                result,
                note,
            });
        }
        out
    }
}

impl RuleSet {
    /// Fills `slots` with the record's values of the rules' attributes, by the cached plan when
    /// the record has the layout it was made for.
    fn resolve<'a>(&self, record: &'a SourceRecord, slots: &mut [Option<&'a str>]) {
        let attrs = &record.attributes;
        let layout = attrs.layout();
        // Never wait for the cache: another thread holding it just means planning here.
        if let Ok(cache) = self.plan.try_lock()
            && let Some((l, plan)) = cache.as_ref()
            && *l == layout
            && attrs.resolve_planned(&self.keys, plan, slots)
        {
            return;
        }
        let plan = attrs.plan(&self.keys);
        if !attrs.resolve_planned(&self.keys, &plan, slots) {
            attrs.resolve_sorted(&self.keys, slots);
        }
        if let Ok(mut cache) = self.plan.try_lock() {
            *cache = Some((layout, plan));
        }
    }
}

impl RecordMapper for RuleSet {
    fn map(&self, record: &SourceRecord) -> Result<Desired, MappingError> {
        let mut always = FieldsBuilder::with_capacity(self.rules.len(), 1024);
        // Allocates only if some create-only rule is not a constant.
        let mut on_create = FieldsBuilder::new();
        let mut warnings = Vec::new();
        let mut ignore = |_: &str, _: Option<&str>| {};
        // The slot table lives on the stack for rule sets of up to 64 attributes (all built-in ones).
        let mut stack = [None; 64];
        let mut heap = Vec::new();
        let slots: &mut [Option<&str>] = if self.keys.len() <= stack.len() {
            &mut stack[..self.keys.len()]
        } else {
            heap.resize(self.keys.len(), None);
            &mut heap
        };
        self.resolve(record, slots);
        let slots: &[Option<&str>] = slots;
        for (name, rule) in &self.rules {
            let (builder, expr) = match &rule.policy {
                Policy::EveryTime(e) => (&mut always, e),
                Policy::OnCreate(_) if self.constant_on_create.is_some() => continue,
                Policy::OnCreate(e) => (&mut on_create, e),
                Policy::Keep => continue,
            };
            let mut produced = false;
            match expr {
                // The most common rule reads one attribute: no interpretation needed.
                Expr::Attr(_, _, slot) if *slot < slots.len() => {
                    let value = slots[*slot].unwrap_or_default();
                    builder.push(*name, value);
                    produced = !value.is_empty();
                }
                _ => builder.write(*name, |out| {
                    produced = expr.eval(record, Some(slots), out, &mut ignore)
                }),
            }
            if !produced {
                if rule.required {
                    return Err(MappingError {
                        key: record.key.clone(),
                        stable_id: record.stable_id.clone(),
                        message: format!("{} has no value ({})", rule.field.key, rule.label()),
                    });
                }
                let keep = matches!(rule.policy, Policy::OnCreate(_))
                    || rule.on_missing == OnMissing::Keep;
                if keep {
                    builder.discard_last();
                }
                continue;
            }
            let long = builder.last_len() > rule.field.max_len;
            if long
                && rule.field.kind != FieldType::Image
                && builder.truncate_last(rule.field.max_len)
            {
                warnings.push(format!(
                    "{} truncated to {} characters",
                    rule.field.key, rule.field.max_len
                ));
            }
        }
        Ok(Desired {
            kind: record.kind,
            key: record.key.clone(),
            stable_id: record.stable_id.clone(),
            always: always.build(),
            on_create: match &self.constant_on_create {
                Some(fields) => fields.clone(),
                None => on_create.build(),
            },
            rules: self.labels.clone(),
            warnings,
        })
    }
}
