//! `troubletree check`: findings for people, for machines, and for GitHub.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;
use troubletree::{Finding, Severity};

use crate::text::{clean, json, one_line, print};
use crate::{CheckFormat, Fail};

pub(crate) fn check(
    paths: &[PathBuf],
    format: CheckFormat,
    max_file_size: u64,
) -> Result<ExitCode, Fail> {
    let limits = troubletree::Limits::default().max_file_bytes(max_file_size);
    let report =
        troubletree::check_paths_with(paths, &limits).map_err(|e| Fail::usage(e.to_string()))?;
    if report.files.is_empty() {
        // A CI gate pointed at a wrong or emptied directory must not pass.
        return Err(Fail::usage(format!("no *.ron file under {}", shown(paths))));
    }
    let out = match format {
        CheckFormat::Json => json(&report.findings.iter().map(finding_json).collect::<Vec<_>>())?,
        CheckFormat::Github => report.findings.iter().map(github).collect(),
        CheckFormat::Human if std::io::stdout().is_terminal() => excerpts(&report.findings),
        CheckFormat::Human => report
            .findings
            .iter()
            .map(|f| format!("{}\n", one_line(&f.to_string())))
            .collect(),
    };
    print(&out);
    let errors = report.findings.iter().filter(|f| f.is_error()).count();
    if matches!(format, CheckFormat::Human) {
        eprintln!(
            "checked {} file(s): {errors} error(s), {} warning(s)",
            report.files.len(),
            report.findings.len() - errors
        );
    }
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One finding as the JSON contract has it.
pub(crate) fn finding_json(f: &Finding) -> serde_json::Value {
    serde_json::json!({
        "code": f.code.as_str(),
        "severity": f.severity.to_string(),
        "message": f.message,
        "path": f.file,
        "line": f.line,
        "column": f.column,
        "node": f.node,
    })
}

/// A GitHub Actions workflow command: `::error file=...,line=...,col=...,title=...::msg`.
pub(crate) fn github(f: &Finding) -> String {
    let level = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    format!(
        "::{level} file={},line={},col={},title={}::{}\n",
        escape_property(&f.file),
        f.line,
        f.column,
        escape_property(&format!("{} {}", f.code, f.code.slug())),
        escape_data(&f.message)
    )
}

/// Workflow-command data escaping, plus control characters.
fn escape_data(text: &str) -> String {
    clean(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// rustc-like excerpts, for a person at a terminal.
fn excerpts(findings: &[Finding]) -> String {
    let mut files = SimpleFiles::new();
    let mut ids = std::collections::HashMap::new();
    let mut out = String::new();
    let config = term::Config::default();
    for f in findings {
        let id = *ids.entry(f.file.clone()).or_insert_with(|| {
            let text = std::fs::read(&f.file)
                .map(|b| clean(&String::from_utf8_lossy(&b)))
                .unwrap_or_default();
            files.add(f.file.clone(), text)
        });
        let range = files
            .get(id)
            .map(|file| span(file.source(), f.line, f.column))
            .unwrap_or(0..0);
        let diagnostic = match f.severity {
            Severity::Error => Diagnostic::error(),
            Severity::Warning => Diagnostic::warning(),
        }
        .with_code(f.code.as_str())
        .with_message(one_line(&f.message))
        .with_labels(vec![Label::primary(id, range).with_message(f.code.slug())]);
        match term::emit_into_string(&config, &files, &diagnostic) {
            Ok(text) => out.push_str(&text),
            // A position past the end of the file (it changed since): the plain line.
            Err(_) => out.push_str(&format!("{}\n", one_line(&f.to_string()))),
        }
    }
    out
}

/// The byte range of the token at a 1-based line and character column.
fn span(text: &str, line: u32, column: u32) -> std::ops::Range<usize> {
    let Some(line_start) = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1) as usize)
        .map(str::len)
        .try_fold(0usize, usize::checked_add)
    else {
        return 0..0;
    };
    let rest = &text[line_start.min(text.len())..];
    let offset = rest
        .char_indices()
        .nth(column.saturating_sub(1) as usize)
        .map_or(rest.len(), |(i, _)| i);
    let start = line_start + offset;
    let token = &text[start.min(text.len())..];
    let len = if let Some(body) = token.strip_prefix('"') {
        body.find('"').map_or(1, |end| end + 2)
    } else {
        match token.find(|c: char| !(c.is_alphanumeric() || c == '_')) {
            Some(0) | None if token.is_empty() => 0,
            Some(0) => token.chars().next().map_or(0, char::len_utf8),
            Some(end) => end,
            None => token.len(),
        }
    };
    start..(start + len).min(text.len())
}

/// The paths as the user gave them, for messages.
pub(crate) fn shown(paths: &[PathBuf]) -> String {
    let list: Vec<String> = paths
        .iter()
        .map(|p| clean(&p.display().to_string()))
        .collect();
    list.join(", ")
}
