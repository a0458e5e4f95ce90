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
    /// Run scenario files (given facts and answers, expected outcome) and report node and
    /// edge coverage per tree.
    ///
    /// Exits 0 when every case passes (and coverage is at least --min-coverage), 1
    /// otherwise, 2 when a path cannot be read or a file is malformed.
    Test {
        /// Scenario files or directories (searched for *.ron).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Where the trees are (files or directories; repeatable).
        #[arg(long = "trees", default_value = "trees")]
        trees: Vec<PathBuf>,
        /// Fail when any tree's edge coverage is below this percentage.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
        min_coverage: Option<u8>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { paths } => check(&paths),
        Command::Test {
            paths,
            trees,
            min_coverage,
        } => test(&paths, &trees, min_coverage),
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

fn test(paths: &[PathBuf], trees: &[PathBuf], min_coverage: Option<u8>) -> ExitCode {
    let catalogue = match troubletree::check_paths(trees) {
        Ok(report) => match report.catalogue {
            Some(catalogue) => catalogue,
            None => {
                for finding in report.findings.iter().filter(|f| f.is_error()) {
                    eprintln!("{finding}");
                }
                eprintln!("troubletree: the trees have errors; run `troubletree check` first");
                return ExitCode::from(1);
            }
        },
        Err(err) => {
            eprintln!("troubletree: {err}");
            return ExitCode::from(2);
        }
    };
    let report = match troubletree::run_scenarios(&catalogue, paths) {
        Ok(report) => report,
        Err(troubletree::LoadError::Invalid { findings }) => {
            for finding in &findings {
                eprintln!("{finding}");
            }
            return ExitCode::from(2);
        }
        Err(err) => {
            eprintln!("troubletree: {err}");
            return ExitCode::from(2);
        }
    };
    let mut out = String::new();
    for case in &report.cases {
        match &case.failure {
            None => out.push_str(&format!("ok   {} :: {}\n", case.tree, case.name)),
            Some(why) => out.push_str(&format!(
                "FAIL {} :: {}\n     {why}\n",
                case.tree, case.name
            )),
        }
    }
    out.push('\n');
    let mut below = Vec::new();
    for c in &report.coverage {
        out.push_str(&format!(
            "coverage {}: nodes {}/{} ({:.0}%), edges {}/{} ({:.0}%)\n",
            c.tree,
            c.nodes_covered,
            c.nodes_total,
            c.node_percent(),
            c.edges_covered,
            c.edges_total,
            c.edge_percent()
        ));
        for edge in &c.uncovered_edges {
            out.push_str(&format!("  not taken: {edge}\n"));
        }
        if let Some(min) = min_coverage
            && c.edge_percent() < f64::from(min)
        {
            below.push(c.tree.clone());
        }
    }
    let failed = report.failed();
    out.push_str(&format!(
        "\n{} passed, {failed} failed\n",
        report.cases.len() - failed
    ));
    print!("{out}");
    if !below.is_empty() {
        eprintln!(
            "troubletree: edge coverage below {}% for {}",
            min_coverage.unwrap_or(0),
            below.join(", ")
        );
    }
    if failed > 0 || !below.is_empty() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
