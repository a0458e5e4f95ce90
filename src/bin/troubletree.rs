//! The `troubletree` command line: a thin layer over the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Validate and walk troubleshooting decision trees written in RON.
#[derive(Parser)]
#[command(name = "troubletree", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate tree files or directories (searched for *.ron) as one catalogue.
    ///
    /// Prints one `path:line:col: severity[CODE]: message` line per finding. Exits 0 when
    /// there is no error (warnings allowed), 1 when there is any, 2 when a path cannot be
    /// read.
    Check {
        /// Files or directories to check.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { paths } => check(&paths),
    }
}

fn check(paths: &[PathBuf]) -> ExitCode {
    let report = match troubletree::check_paths(paths) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("troubletree: {err}");
            return ExitCode::from(2);
        }
    };
    let mut out = std::io::stdout().lock();
    for finding in &report.findings {
        // A closed pipe (e.g. `| head`) is not worth a panic.
        if writeln!(out, "{finding}").is_err() {
            break;
        }
    }
    let errors = report.findings.iter().filter(|f| f.is_error()).count();
    let warnings = report.findings.len() - errors;
    eprintln!(
        "checked {} file(s): {errors} error(s), {warnings} warning(s)",
        report.files.len()
    );
    if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
