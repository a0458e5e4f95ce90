//! `troubletree import`: flowcharts from other formats, written as tree files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use troubletree_import::flodial::{self, ImportOptions};

use crate::Fail;
use crate::text::{one_line, print};

/// The formats `troubletree import` reads.
#[derive(Subcommand)]
pub(crate) enum Format {
    /// A FloDial troubleshooting chart (JSON), written as a tree (RON).
    ///
    /// Questions become yes/no `Ask` nodes, terminal nodes `Resolve` nodes, the problem
    /// description the title. A question with no step for one of its answers gets an
    /// `Escalate` there (the chart does not know what to do: hand over); each such gap is
    /// reported on stderr. The tree goes to stdout, or to FILE with -o. Exits 0 on
    /// success, 1 when the chart is malformed, 2 on usage or I/O errors.
    Flodial {
        /// The chart file (`knowledge-sources/*.json` in FloDial).
        chart: PathBuf,
        /// Write the tree to FILE instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        /// Leave gaps as they are: `troubletree check` then reports each one (W002).
        #[arg(long)]
        raw: bool,
    },
}

pub(crate) fn import(format: Format) -> Result<ExitCode, Fail> {
    match format {
        Format::Flodial { chart, output, raw } => flodial(&chart, output.as_deref(), raw),
    }
}

fn flodial(chart: &Path, output: Option<&Path>, raw: bool) -> Result<ExitCode, Fail> {
    let file = chart.display();
    let bytes =
        std::fs::read(chart).map_err(|e| Fail::usage(format!("cannot read {file}: {e}")))?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| Fail::input(format!("{file}: the chart is not valid UTF-8 ({e})")))?;
    let options = if raw {
        ImportOptions::raw()
    } else {
        ImportOptions::new()
    };
    let imported =
        flodial::import(text, &options).map_err(|e| Fail::input(format!("{file}: {e}")))?;
    match output {
        Some(path) => std::fs::write(path, &imported.ron)
            .map_err(|e| Fail::usage(format!("cannot write {}: {e}", path.display())))?,
        None => print(&imported.ron),
    }

    // The report goes to stderr, so that stdout is the tree and nothing else.
    let file = one_line(&file.to_string());
    for gap in &imported.gaps {
        let outcome = match &gap.escalate {
            Some(node) => format!("escalates at {node}"),
            None => "left as it is (W002)".to_owned(),
        };
        eprintln!(
            "{file}: gap: question {} (\"{}\") has no step for \"{}\": {outcome}",
            one_line(&gap.node),
            one_line(&gap.question),
            gap.answer
        );
    }
    let gaps = match (imported.gaps.len(), raw) {
        (0, _) => "no gaps".to_owned(),
        (n, false) => format!("{n} gap(s) repaired"),
        (n, true) => format!("{n} gap(s) left unrepaired"),
    };
    eprintln!(
        "{file}: imported tree \"{}\": {} question(s), {} resolution(s), {gaps}",
        one_line(&imported.tree_id),
        imported.questions,
        imported.resolutions
    );
    Ok(ExitCode::SUCCESS)
}
