//! `troubletree check`: findings for people, for machines, and for GitHub.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::{self, Files};
use codespan_reporting::term;
use troubletree::{Finding, Severity};

use crate::text::{clean, json, one_line, print};
use crate::{CheckFormat, Fail};

/// Findings shown with an excerpt on a terminal; the rest are counted.
const MAX_EXCERPTS: usize = 50;
/// Characters of a source line shown in an excerpt, around the finding's column.
const EXCERPT_CHARS: usize = 100;
/// Of those, how many come before the column when the line is cut.
const EXCERPT_BEFORE: usize = 30;

pub(crate) fn check(
    paths: &[PathBuf],
    format: CheckFormat,
    max_file_size: u64,
) -> Result<ExitCode, Fail> {
    let limits = troubletree::Limits {
        max_file_bytes: max_file_size,
        ..troubletree::Limits::default()
    };
    let report = troubletree::check_paths_with(paths, &limits).map_err(Fail::load)?;
    if report.files.is_empty() {
        // A CI gate pointed at a wrong or emptied directory must not pass.
        return Err(Fail::usage(format!("no *.ron file under {}", shown(paths))));
    }
    let terminal = std::io::stdout().is_terminal();
    print(&render(&report.findings, format, terminal, &limits)?);
    let errors = report.findings.iter().filter(|f| f.is_error()).count();
    if matches!(format, CheckFormat::Human) {
        crate::text::eprint(&format!(
            "checked {} file(s): {errors} error(s), {} warning(s)",
            report.files.len(),
            report.findings.len() - errors
        ));
    }
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The findings in `format`; `terminal` chooses excerpts for a person over one line per
/// finding for a log.
pub(crate) fn render(
    findings: &[Finding],
    format: CheckFormat,
    terminal: bool,
    limits: &troubletree::Limits,
) -> Result<String, Fail> {
    Ok(match format {
        CheckFormat::Json => json(&findings.iter().map(finding_json).collect::<Vec<_>>())?,
        CheckFormat::Github => findings.iter().map(github).collect(),
        CheckFormat::Human if terminal => excerpts(findings, limits),
        CheckFormat::Human => findings
            .iter()
            .map(|f| format!("{}\n", one_line(&f.to_string())))
            .collect(),
    })
}

/// One finding as the JSON contract has it (keys in alphabetical order, as they have
/// always been written).
#[derive(serde::Serialize)]
pub(crate) struct FindingJson<'a> {
    code: &'static str,
    column: u32,
    line: u32,
    message: &'a str,
    node: Option<&'a str>,
    path: &'a str,
    severity: &'static str,
}

pub(crate) fn finding_json(f: &Finding) -> FindingJson<'_> {
    FindingJson {
        code: f.code.as_str(),
        column: f.column,
        line: f.line,
        message: &f.message,
        node: f.node.as_deref(),
        path: &f.file,
        severity: match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
    }
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

/// rustc-like excerpts, for a person at a terminal: at most [`MAX_EXCERPTS`] findings,
/// each with at most [`EXCERPT_CHARS`] characters of its source line, then a count of the
/// findings not shown. Files are read again through the same bounded reader as the
/// check (a file that changed into something else meanwhile gets no excerpt), one at a
/// time.
fn excerpts(findings: &[Finding], limits: &troubletree::Limits) -> String {
    let mut out = String::new();
    let config = term::Config::default();
    let mut file: Option<(&str, Option<SourceFile>)> = None;
    for f in findings.iter().take(MAX_EXCERPTS) {
        if file.as_ref().is_none_or(|(name, _)| *name != f.file) {
            let text = limits
                .read(&f.file)
                .ok()
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
            file = Some((&f.file, text.map(SourceFile::new)));
        }
        let line = file
            .as_mut()
            .and_then(|(_, source)| source.as_mut())
            .and_then(|source| source.line(f.line));
        let Some(line) = line else {
            // No such line (the file changed since, or cannot be read): the plain line.
            out.push_str(&format!("{}\n", one_line(&f.to_string())));
            continue;
        };
        let excerpt = Excerpt::new(f, &line);
        let diagnostic = match f.severity {
            Severity::Error => Diagnostic::error(),
            Severity::Warning => Diagnostic::warning(),
        }
        .with_code(f.code.as_str())
        .with_message(one_line(&f.message))
        .with_labels(vec![
            Label::primary((), excerpt.range.clone()).with_message(f.code.slug()),
        ]);
        match term::emit_into_string(&config, &excerpt, &diagnostic) {
            Ok(text) => out.push_str(&text),
            Err(_) => out.push_str(&format!("{}\n", one_line(&f.to_string()))),
        }
    }
    if let Some(rest) = findings.len().checked_sub(MAX_EXCERPTS).filter(|&n| n > 0) {
        let errors = findings[MAX_EXCERPTS..]
            .iter()
            .filter(|f| f.is_error())
            .count();
        out.push_str(&format!(
            "… and {rest} more finding(s) not shown ({errors} error(s), {} warning(s)); `--format json` lists them all\n",
            rest - errors
        ));
    }
    out
}

/// A file being excerpted, read once, with a cursor so that findings in file order cost
/// one pass over it.
struct SourceFile {
    text: String,
    /// Byte offset of the start of line `cursor_line`.
    cursor: usize,
    cursor_line: u32,
}

impl SourceFile {
    fn new(text: String) -> SourceFile {
        // Positions are counted after the byte order mark, as the library counts them.
        let text = match text.strip_prefix('\u{feff}') {
            Some(rest) => rest.to_owned(),
            None => text,
        };
        SourceFile {
            text,
            cursor: 0,
            cursor_line: 1,
        }
    }

    /// Line `number` (1-based), without its line end, or `None` past the end.
    fn line(&mut self, number: u32) -> Option<String> {
        if number < self.cursor_line {
            self.cursor = 0;
            self.cursor_line = 1;
        }
        while self.cursor_line < number {
            let rest = self.text.get(self.cursor..)?;
            let end = rest.find('\n')?;
            self.cursor += end + 1;
            self.cursor_line += 1;
        }
        let rest = self.text.get(self.cursor..)?;
        let line = rest.split('\n').next().unwrap_or_default();
        Some(line.to_owned())
    }
}

/// One finding's source line, cut around its column and cleaned, shown by codespan with
/// the real line and column numbers.
struct Excerpt {
    name: String,
    line: u32,
    column: u32,
    text: String,
    range: std::ops::Range<usize>,
}

impl Excerpt {
    fn new(f: &Finding, line: &str) -> Excerpt {
        // The library counts columns in characters, carriage returns not included.
        let chars: Vec<char> = line.chars().filter(|&c| c != '\r').collect();
        let at = (f.column.saturating_sub(1) as usize).min(chars.len());
        let from = if chars.len() <= EXCERPT_CHARS {
            0
        } else {
            at.saturating_sub(EXCERPT_BEFORE)
                .min(chars.len().saturating_sub(EXCERPT_CHARS))
        };
        let to = (from + EXCERPT_CHARS).min(chars.len());
        let mut text = String::new();
        if from > 0 {
            text.push('…');
        }
        let shown: String = chars[from..to].iter().collect();
        let token_start = text.len()
            + chars[from..at]
                .iter()
                .map(|c| clean_char(*c).len_utf8())
                .sum::<usize>();
        text.push_str(&one_line(&shown));
        let token_len = token_len(&text[token_start.min(text.len())..]);
        if to < chars.len() {
            text.push('…');
        }
        Excerpt {
            name: one_line(&f.file),
            line: f.line,
            column: f.column,
            range: token_start..(token_start + token_len).min(text.len()),
            text,
        }
    }
}

/// The character [`one_line`] prints for `c`.
fn clean_char(c: char) -> char {
    if c == '\n' || troubletree::is_unprintable(c) {
        '\u{fffd}'
    } else {
        c
    }
}

/// The byte length of the token at the start of `text`: a string literal, a word, or
/// one character.
fn token_len(token: &str) -> usize {
    if let Some(body) = token.strip_prefix('"') {
        return body.find('"').map_or(1, |end| end + 2);
    }
    match token.find(|c: char| !(c.is_alphanumeric() || c == '_')) {
        Some(0) => token.chars().next().map_or(0, char::len_utf8),
        Some(end) => end,
        None => token.len(),
    }
}

impl<'a> Files<'a> for Excerpt {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(&self.name)
    }

    fn source(&'a self, (): ()) -> Result<&'a str, files::Error> {
        Ok(&self.text)
    }

    fn line_index(&'a self, (): (), _byte_index: usize) -> Result<usize, files::Error> {
        Ok(0)
    }

    fn line_number(&'a self, (): (), _line_index: usize) -> Result<usize, files::Error> {
        Ok(self.line as usize)
    }

    fn column_number(
        &'a self,
        (): (),
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, files::Error> {
        // The header names the finding's own column; the label's end is never shown.
        Ok(if byte_index == self.range.start {
            self.column as usize
        } else {
            self.column as usize
                + self.text[self.range.start..byte_index.min(self.text.len())]
                    .chars()
                    .count()
        })
    }

    fn line_range(
        &'a self,
        (): (),
        line_index: usize,
    ) -> Result<std::ops::Range<usize>, files::Error> {
        if line_index == 0 {
            Ok(0..self.text.len())
        } else {
            Err(files::Error::LineTooLarge {
                given: line_index,
                max: 0,
            })
        }
    }
}

/// The paths as the user gave them, for messages.
pub(crate) fn shown(paths: &[PathBuf]) -> String {
    let list: Vec<String> = paths
        .iter()
        .map(|p| clean(&p.display().to_string()))
        .collect();
    list.join(", ")
}
