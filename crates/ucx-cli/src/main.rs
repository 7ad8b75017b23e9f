//! `ucx-sync`: the command line of the ucx-sync workspace.
//!
//! Exit codes: 0 success; 1 an operation failed; 2 invalid input (a filter, a record, a
//! configuration or a command line that cannot be used).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod filter_cmd;

/// Keep a telephony users database in step with Webex, CUCM and Entra ID.
#[derive(Debug, Parser)]
#[command(name = "ucx-sync", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse, print and test data-source filters (RFC 4515).
    #[command(subcommand)]
    Filter(filter_cmd::FilterCommand),
}

/// An outcome that is not success: the message is already printed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Input the user must fix (exit 2).
    Input(String),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Filter(cmd) => filter_cmd::run(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(message)) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            ExitCode::from(2)
        }
    }
}
