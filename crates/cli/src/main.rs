//! The `troubletree` command line: a thin layer over the library.
//!
//! Exit codes: 0 success, 1 a problem with the input (a tree with errors, a failing
//! scenario, an answer that is not offered), 2 usage or I/O problems.

mod answers;
mod check;
mod explain;
mod import;
mod json;
mod replay;
mod run;
mod source;
mod stats;
mod text;
mod tools;
mod traffic;
mod words;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

/// Validate and walk troubleshooting decision trees written in RON.
#[derive(Parser)]
#[command(name = "troubletree", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Validate tree files or directories (searched for *.ron) as one catalogue.
    ///
    /// Exits 0 when there is no error (warnings allowed), 1 when there is any, 2 when a
    /// path cannot be read.
    Check {
        /// Files or directories to check.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Output: `human` (a source excerpt on a terminal, one line per finding
        /// otherwise), `json` (one array), `github` (workflow annotations).
        #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
        format: CheckFormat,
        /// Refuse files larger than this many bytes (E016).
        #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024)]
        max_file_size: u64,
    },
    /// Walk a tree: interactively on a terminal, or scripted with --answer and --fact.
    ///
    /// Interactive unless --answer or --json is given: type an answer's number (or a
    /// value), `b` to go back, `q` to quit. Scripted, the walk stops at the first question
    /// without an answer (`needs_answer`). Exits 0 whatever the outcome, 1 when an answer
    /// is not offered or has the wrong type, 2 on usage or I/O errors.
    Run {
        /// The tree file. The trees of its folder (or of --trees) are loaded with it as
        /// one catalogue, so `Goto` links are followed by tree id, and `directory.ron`
        /// among them is the service directory for tickets.
        tree: PathBuf,
        /// Where the trees of the journey are (files or directories; repeatable; default:
        /// the tree's folder). They must check clean.
        #[arg(long = "trees", value_name = "PATH")]
        trees: Vec<PathBuf>,
        /// An answer for a node, as NODE=VALUE (repeatable; a node asked twice takes its
        /// answers in order).
        #[arg(long = "answer", value_name = "NODE=VALUE")]
        answers: Vec<String>,
        /// A fact known up front, as NAME=VALUE (repeatable).
        #[arg(long = "fact", value_name = "NAME=VALUE")]
        facts: Vec<String>,
        /// Language of the texts.
        #[arg(long, value_name = "zh|en")]
        lang: Option<String>,
        /// Print one JSON object: outcome, node, path, and the ticket or the question.
        #[arg(long)]
        json: bool,
        /// Write the session to FILE after the last step (JSON).
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
        /// Continue the session saved in FILE.
        #[arg(long, value_name = "FILE")]
        resume: Option<PathBuf>,
        /// The local time for the ticket's channel choice, "YYYY-MM-DD HH:MM" (default:
        /// now, China Standard Time).
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// The service directory (default: the one among the trees, else a built-in
        /// example).
        #[arg(long, value_name = "FILE")]
        directory: Option<PathBuf>,
    },
    /// Count the walks through a tree, the shortest walk to each end, and the longest.
    Paths {
        /// The tree file.
        tree: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Draw a tree as Graphviz DOT or Mermaid.
    Export {
        /// The tree file.
        tree: PathBuf,
        /// `dot` or `mermaid`.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Colour what the scenario files in DIR exercise, and mark the rest.
        #[arg(long, value_name = "DIR", conflicts_with = "traffic")]
        coverage: Option<PathBuf>,
        /// Draw the traffic of the stored events in SOURCE (FILE.jsonl, `-`, sqlite:FILE,
        /// postgres://URL) over this version of the tree: sessions per node and edge,
        /// abandonment per node.
        #[arg(long, value_name = "SOURCE")]
        traffic: Option<String>,
        /// Language of the labels.
        #[arg(long, value_name = "zh|en")]
        lang: Option<String>,
    },
    /// Run scenario files and report node and edge coverage per tree.
    ///
    /// Exits 0 when every case passes (and coverage reaches --min-coverage), 1
    /// otherwise, 2 when a path cannot be read or a file is malformed.
    Test {
        /// Scenario files or directories (searched for *.ron).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Where the trees are (files or directories; repeatable).
        #[arg(long = "trees", default_value = "trees")]
        trees: Vec<PathBuf>,
        /// Fail when a tree's node or edge coverage is below N percent.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=100))]
        min_coverage: Option<u8>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Convert a flowchart drawn in another format into a tree file.
    Import {
        #[command(subcommand)]
        format: import::Format,
    },
    /// Is the flow working? Containment, escalations, hand-offs, abandonment, drop-off
    /// per question and time to an outcome, per tree version (docs/ANALYTICS.md).
    ///
    /// Reads events in time order from a JSON Lines file (`-`: standard input), the
    /// service's SQLite file (`sqlite:FILE`) or its PostgreSQL database
    /// (`postgres://...`, with the `postgres` feature). Exits 0, or 2 when the source
    /// cannot be read.
    Stats {
        /// Events: FILE.jsonl, `-`, sqlite:FILE or postgres://URL.
        source: String,
        /// Only this tree's versions.
        #[arg(long, value_name = "ID")]
        tree: Option<String>,
        /// Only sessions started at or after this time (RFC 3339, or a date: UTC
        /// midnight).
        #[arg(long, value_name = "TIME")]
        since: Option<String>,
        /// Only sessions started before this time; later events are ignored, so the
        /// figures are as they stood then.
        #[arg(long, value_name = "TIME")]
        until: Option<String>,
        /// Minutes without an event after which an unfinished session is abandoned.
        #[arg(long, value_name = "N", default_value_t = 30)]
        idle_minutes: u32,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Why did the journey take this path? Each step of a saved session (JSON, as
    /// `run --save` writes it or as the service stores it) or of a ticket (JSON), with
    /// each automatic decision's rule and the fact values it saw.
    Explain {
        /// The saved session or the ticket.
        file: PathBuf,
        /// Where the trees the session was saved on are (a save only; default: trees).
        #[arg(long = "trees", value_name = "PATH")]
        trees: Vec<PathBuf>,
        /// Language of the texts (a save only).
        #[arg(long, value_name = "zh|en")]
        lang: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// What would a change of trees do to the stored sessions? Each is restored,
    /// replayed (its answers still lead where it stopped) or stranded (it would be
    /// refused, and where its answers now lead); for finished ones, whether the outcome
    /// changes.
    ///
    /// Exits 1 when more than --max-stranded percent of the open sessions would be
    /// stranded, so that it can gate a deploy; 2 on usage or I/O errors.
    Replay {
        /// The stored sessions: a folder of saves (*.json), one save, sqlite:FILE or
        /// postgres://URL (the service's store).
        sessions: String,
        /// The changed trees (files or directories; repeatable).
        #[arg(long = "trees", value_name = "PATH", required = true)]
        trees: Vec<PathBuf>,
        /// The trees the saves were made on, to know how each stood (the service's
        /// store records it; for a folder of saves, without them a finished session
        /// is recognised by its node in the new trees).
        #[arg(long = "from", value_name = "PATH")]
        from: Vec<PathBuf>,
        /// Fail (exit 1) when more than this percentage of open sessions is stranded.
        #[arg(long, value_name = "PERCENT")]
        max_stranded: Option<f64>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Human,
    Json,
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Dot,
    Mermaid,
}

/// A failure that ends the command with a message and an exit code.
pub(crate) struct Fail {
    code: u8,
    message: String,
}

impl Fail {
    /// A problem with the input: exit 1.
    pub(crate) fn input(message: impl Into<String>) -> Fail {
        Fail {
            code: 1,
            message: message.into(),
        }
    }

    /// A file or tree that could not be loaded: exit 1 when the tree has errors, 2 when
    /// the file could not be read (missing, not a regular file, over the size limit).
    pub(crate) fn load(e: troubletree::LoadError) -> Fail {
        match e {
            troubletree::LoadError::Invalid { .. } => Fail::input(e.to_string()),
            other => Fail::usage(other.to_string()),
        }
    }

    /// A usage or I/O problem: exit 2.
    pub(crate) fn usage(message: impl Into<String>) -> Fail {
        Fail {
            code: 2,
            message: message.into(),
        }
    }
}

fn main() -> ExitCode {
    // clap's own messages quote the arguments as typed: they go through our printers too.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let message = e.render().to_string();
            if e.use_stderr() {
                text::eprint(message.trim_end());
            } else {
                text::print(&message);
            }
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let result = match cli.command {
        Command::Check {
            paths,
            format,
            max_file_size,
        } => check::check(&paths, format, max_file_size),
        Command::Run {
            tree,
            trees,
            answers,
            facts,
            lang,
            json,
            save,
            resume,
            at,
            directory,
        } => run::run(run::Options {
            tree,
            trees,
            answers,
            facts,
            lang,
            json,
            save,
            resume,
            at,
            directory,
        }),
        Command::Paths { tree, json } => tools::paths(&tree, json),
        Command::Export {
            tree,
            format,
            traffic: Some(events),
            lang,
            ..
        } => traffic::export(&tree, format, &events, lang.as_deref()),
        Command::Export {
            tree,
            format,
            coverage,
            lang,
            ..
        } => tools::export(&tree, format, coverage.as_deref(), lang.as_deref()),
        Command::Test {
            paths,
            trees,
            min_coverage,
            json,
        } => tools::test(&paths, &trees, min_coverage, json),
        Command::Import { format } => import::import(format),
        Command::Stats {
            source,
            tree,
            since,
            until,
            idle_minutes,
            json,
        } => stats::stats(stats::Options {
            source,
            tree,
            since,
            until,
            idle_minutes,
            json,
        }),
        Command::Explain {
            file,
            trees,
            lang,
            json,
        } => explain::explain(&file, &trees, lang.as_deref(), json),
        Command::Replay {
            sessions,
            trees,
            from,
            max_stranded,
            json,
        } => replay::replay(replay::Options {
            sessions,
            trees,
            from,
            max_stranded,
            json,
        }),
    };
    match result {
        Ok(code) => code,
        Err(fail) => {
            text::eprint(&format!("troubletree: {}", fail.message));
            ExitCode::from(fail.code)
        }
    }
}
