//! `ucx-sync filter parse|test`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{Value, json};
use ucx_filter::{Filter, FilterSchema, Matcher, ParseError, ParseOptions};

use crate::Failure;

#[derive(Debug, Subcommand)]
pub(crate) enum FilterCommand {
    /// Parse a filter and print it as an S-expression (exit 2 if it is invalid).
    Parse {
        #[command(flatten)]
        common: Common,
        /// Print {"valid", "sexpr", "canonical", "error"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate a filter against one record and print true or false.
    Test {
        #[command(flatten)]
        common: Common,
        /// The record as JSON: {"department": ["Sales"], "email": "ann@example.com", ...}.
        #[arg(
            long,
            conflicts_with = "record_file",
            required_unless_present = "record_file"
        )]
        record: Option<String>,
        /// A file holding the record as JSON.
        #[arg(long)]
        record_file: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct Common {
    /// The filter, e.g. '(&(department=Sales)(location=NYC))'.
    filter: String,
    /// Accept surrounding spaces, a bare `department=Sales` and RFC 4526 `(&)` / `(|)`.
    #[arg(long)]
    lenient: bool,
    /// Nesting depth limit.
    #[arg(long, default_value_t = ucx_filter::DEFAULT_MAX_DEPTH)]
    max_depth: usize,
    /// Check the filter against a source's filterable fields (`parse` checks only the syntax
    /// without it; `test` then accepts any attribute name).
    #[arg(long, value_enum)]
    schema: Option<Schema>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Schema {
    /// Webex Control Hub users: email, department, location, phoneNumber, userType.
    Webex,
    /// Entra ID: email, department, officeLocation, location, phoneNumber.
    Entra,
}

impl Common {
    fn options(&self) -> ParseOptions {
        ParseOptions::strict()
            .with_lenient(self.lenient)
            .with_max_depth(self.max_depth)
    }

    fn compile(&self, filter: &Filter) -> Result<Matcher, ucx_filter::ValidationError> {
        match self.schema {
            None => Matcher::compile(filter),
            Some(Schema::Webex) => FilterSchema::webex_users().compile(filter),
            Some(Schema::Entra) => FilterSchema::entra().compile(filter),
        }
    }
}

pub(crate) fn run(cmd: FilterCommand) -> Result<(), Failure> {
    match cmd {
        FilterCommand::Parse { common, json } => parse(&common, json),
        FilterCommand::Test {
            common,
            record,
            record_file,
        } => test(&common, record, record_file),
    }
}

fn parse(common: &Common, as_json: bool) -> Result<(), Failure> {
    let parsed = common.options().parse(&common.filter);
    let checked = parsed
        .as_ref()
        .map_err(|e| e.to_string())
        .and_then(|f| match common.schema {
            // Without a source, `parse` checks the syntax only.
            None => Ok(()),
            Some(_) => common
                .compile(f)
                .map(|_| ())
                .map_err(|e| format!("Invalid LDAP filters: {e}")),
        });
    if as_json {
        let out = match (&parsed, &checked) {
            (Ok(f), Ok(_)) => json!({
                "valid": true, "sexpr": f.to_sexpr(), "canonical": f.to_string(), "error": null,
            }),
            (Ok(f), Err(message)) => json!({
                "valid": false, "sexpr": f.to_sexpr(), "canonical": f.to_string(),
                "error": { "offset": null, "message": message },
            }),
            (Err(e), _) => json!({
                "valid": false, "sexpr": null, "canonical": null, "error": parse_error_json(e),
            }),
        };
        println!("{out}");
        return if checked.is_ok() {
            Ok(())
        } else {
            Err(Failure::Input(String::new()))
        };
    }
    match (parsed, checked) {
        (Ok(f), Ok(_)) => {
            println!("{}", f.to_sexpr());
            Ok(())
        }
        (Err(e), _) => Err(Failure::Input(e.render(&common.filter))),
        (Ok(_), Err(message)) => Err(Failure::Input(message)),
    }
}

fn parse_error_json(e: &ParseError) -> Value {
    json!({
        "offset": e.offset(),
        "message": e.kind().to_string(),
        "expected": e.expected(),
        "hint": e.hint(),
    })
}

fn test(
    common: &Common,
    record: Option<String>,
    record_file: Option<PathBuf>,
) -> Result<(), Failure> {
    let filter = common
        .options()
        .parse(&common.filter)
        .map_err(|e| Failure::Input(e.render(&common.filter)))?;
    let matcher = common
        .compile(&filter)
        .map_err(|e| Failure::Input(format!("Invalid LDAP filters: {e}")))?;
    let text = match (record, record_file) {
        (Some(text), _) => text,
        (None, Some(path)) => std::fs::read_to_string(&path).map_err(|e| {
            Failure::Input(format!("cannot read record file {}: {e}", path.display()))
        })?,
        (None, None) => return Err(Failure::Input("give --record or --record-file".to_owned())),
    };
    let record =
        record_from_json(&text).map_err(|e| Failure::Input(format!("invalid record: {e}")))?;
    println!("{}", matcher.matches(&record));
    Ok(())
}

/// A record given as a JSON object of strings, numbers, booleans or arrays of them.
fn record_from_json(text: &str) -> Result<BTreeMap<String, Vec<String>>, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Value::Object(map) = value else {
        return Err("expected a JSON object such as {\"department\": [\"Sales\"]}".to_owned());
    };
    let scalar = |name: &str, v: &Value| -> Result<Option<String>, String> {
        match v {
            Value::String(s) => Ok(Some(s.clone())),
            Value::Number(n) => Ok(Some(n.to_string())),
            Value::Bool(b) => Ok(Some(b.to_string())),
            Value::Null => Ok(None),
            _ => Err(format!(
                "attribute '{name}' must be a string, a number, a boolean or an array of them"
            )),
        }
    };
    let mut record = BTreeMap::new();
    for (name, v) in map {
        let values = match &v {
            Value::Array(items) => items
                .iter()
                .map(|i| scalar(&name, i))
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect(),
            other => scalar(&name, other)?.into_iter().collect(),
        };
        record.insert(name, values);
    }
    Ok(record)
}
