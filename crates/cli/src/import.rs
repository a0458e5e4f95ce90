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
    /// reported on stderr. The tree goes to stdout, or to FILE with -o, only if it passes
    /// `troubletree check`. Exits 0 on success, 1 when the chart is malformed or its tree
    /// has errors (then nothing is written), 2 on usage or I/O errors.
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
    let bytes = troubletree::Limits::default()
        .read(chart)
        .map_err(Fail::load)?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| Fail::input(format!("{file}: the chart is not valid UTF-8 ({e})")))?;
    let options = if raw {
        ImportOptions::raw()
    } else {
        ImportOptions::new()
    };
    let imported =
        flodial::import(text, &options).map_err(|e| Fail::input(format!("{file}: {e}")))?;
    // What is written must check: a chart can hold what the format refuses (a text over
    // the length limit, a control character in an id). Nothing is written then.
    let name = output.map_or_else(|| "<stdout>".to_owned(), |p| p.display().to_string());
    let report = troubletree::Loader::new().tree(&name, &imported.ron);
    if report.findings.iter().any(troubletree::Finding::is_error) {
        let findings: Vec<String> = report
            .findings
            .iter()
            .filter(|f| f.is_error())
            .map(|f| one_line(&f.to_string()))
            .collect();
        return Err(Fail::input(format!(
            "{}: the imported tree does not pass `troubletree check`, so nothing was written:\n{}",
            one_line(&file.to_string()),
            findings.join("\n")
        )));
    }
    match output {
        Some(path) => std::fs::write(path, &imported.ron)
            .map_err(|e| Fail::usage(format!("cannot write {}: {e}", path.display())))?,
        None => print(&imported.ron),
    }

    // The report goes to stderr, so that stdout is the tree and nothing else.
    let file = one_line(&file.to_string());
    for gap in &imported.gaps {
        let outcome = match &gap.escalate {
            Some(node) => format!("escalates at {}", one_line(node)),
            None => "left as it is (W002)".to_owned(),
        };
        crate::text::eprint(&format!(
            "{file}: gap: question {} (\"{}\") has no step for \"{}\": {outcome}",
            one_line(&gap.node),
            one_line(&gap.question),
            one_line(&gap.answer)
        ));
    }
    let gaps = match (imported.gaps.len(), raw) {
        (0, _) => "no gaps".to_owned(),
        (n, false) => format!("{n} gap(s) repaired"),
        (n, true) => format!("{n} gap(s) left unrepaired"),
    };
    crate::text::eprint(&format!(
        "{file}: imported tree \"{}\": {} question(s), {} resolution(s), {gaps}",
        one_line(&imported.tree_id),
        imported.questions,
        imported.resolutions
    ));
    Ok(ExitCode::SUCCESS)
}
