//! `ucx-sync`: the command line of the ucx-sync workspace.
//!
//! Exit codes: 0 success; 1 an operation failed (a source, the store); 2 invalid input (a
//! filter, a record, a configuration or a command line that cannot be used); 3 a guard stopped
//! the apply (nothing was applied); 4 applied, but some records or values were not (conflicts,
//! mapping errors, values held back by a uniqueness rule).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's allocator: reading a million CUCM users took 28.5 s with
/// glibc, each page slower than the one before as the heap grew, and 12.4 s with mimalloc at
/// an even pace (docs/performance.md, "End to end").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod config;
mod demo;
mod demo_server;
mod filter_cmd;
mod http_server;
mod service;
mod sync_cmd;
mod workers;

/// Keep a telephony users database in step with Webex, CUCM and Entra ID.
///
/// Exit codes: 0 success; 1 an operation failed; 2 invalid input (filter, record,
/// configuration, command line); 3 a guard stopped the apply and nothing was applied; 4
/// applied, but some records or values were not (conflicts, mapping errors, held-back values).
#[derive(Debug, Parser)]
#[command(name = "ucx-sync", version, about, long_about)]
struct Cli {
    #[command(flatten)]
    config: sync_cmd::ConfigArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sync the bundled fixtures of all three connectors from loopback mock servers into a
    /// fresh SQLite file, twice (the second sync changes nothing).
    Demo {
        /// The database file (default: a new file in the temporary directory).
        #[arg(long)]
        db: Option<std::path::PathBuf>,
    },
    /// Parse, print and test data-source filters (RFC 4515).
    #[command(subcommand)]
    Filter(filter_cmd::FilterCommand),
    #[command(flatten)]
    Sync(sync_cmd::SyncCommand),
}

/// An outcome that is not success.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Input the user must fix (exit 2).
    Input(String),
    /// An operation failed (exit 1).
    Runtime(String),
    /// A guard stopped the apply (exit 3).
    Guard(String),
    /// Applied, but some records or values were not (exit 4).
    Partial(String),
}

impl Failure {
    pub(crate) fn message(&self) -> &str {
        match self {
            Failure::Input(m) | Failure::Runtime(m) | Failure::Guard(m) | Failure::Partial(m) => m,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Warnings (retries, throttling, skipped records) by default; `UCX_LOG=info` adds the time
    // each step takes, `UCX_LOG=debug` every page.
    // `UCX_LOG_FORMAT=json`: one JSON object per event (with the source's name in its fields),
    // for log collectors.
    let filter = tracing_subscriber::EnvFilter::try_from_env("UCX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("UCX_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        logs.json().flatten_event(true).init();
    } else {
        logs.init();
    }
    let result = match cli.command {
        Command::Demo { db } => demo::run(db),
        Command::Filter(cmd) => filter_cmd::run(cmd),
        Command::Sync(cmd) => sync_cmd::run(cmd, &cli.config.config),
    };
    let (code, message) = match &result {
        Ok(()) => return ExitCode::SUCCESS,
        Err(f @ Failure::Input(_)) => (2, f.message()),
        Err(f @ Failure::Runtime(_)) => (1, f.message()),
        Err(f @ Failure::Guard(_)) => (3, f.message()),
        Err(f @ Failure::Partial(_)) => (4, f.message()),
    };
    if !message.is_empty() {
        eprintln!("{message}");
    }
    ExitCode::from(code)
}
