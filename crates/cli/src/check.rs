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
    let limits = troubletree::Limits::default().max_file_bytes(max_file_size);
    let mut report = troubletree::Loader::new()
        .limits(limits.clone())
        .check(paths)
        .map_err(Fail::load)?;
    // `check` needs the findings only, and the process ends once they are printed: the
    // operating system takes the compiled trees back at once, where freeing them one
    // allocation at a time takes a tenth of the run on a million-node tree.
    std::mem::forget(report.loaded.take());
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
        let excerpt = file
            .as_mut()
            .and_then(|(_, source)| source.as_mut())
            .and_then(|source| source.excerpt(f));
        let Some(excerpt) = excerpt else {
            // No such line (the file changed since, or cannot be read): the plain line.
            out.push_str(&format!("{}\n", one_line(&f.to_string())));
            continue;
        };
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

/// A file being excerpted, read once, with cursors so that findings in file order cost
/// one pass over it, whatever the length of its lines; each excerpt then costs its
/// window only.
struct SourceFile {
    text: String,
    /// Byte offset of the start of line `line`.
    line_start: usize,
    line: u32,
    /// Byte offset of column `column` of line `line`.
    column_at: usize,
    column: u32,
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
            line_start: 0,
            line: 1,
            column_at: 0,
            column: 1,
        }
    }

    /// The byte offset of a 1-based line and column (in characters, carriage returns
    /// not counted, as the library counts them), or `None` past the end of the file or
    /// of the line.
    fn offset(&mut self, line: u32, column: u32) -> Option<usize> {
        if line < self.line {
            (self.line_start, self.line) = (0, 1);
        }
        while self.line < line {
            let end = self.text.get(self.line_start..)?.find('\n')?;
            self.line_start += end + 1;
            self.line += 1;
            (self.column_at, self.column) = (self.line_start, 1);
        }
        if column < self.column || self.column_at < self.line_start {
            (self.column_at, self.column) = (self.line_start, 1);
        }
        let (mut col, mut at) = (self.column, self.column_at);
        let mut chars = self.text.get(at..)?.chars();
        while col < column {
            let c = chars.next()?;
            if c == '\n' {
                return None;
            }
            at += c.len_utf8();
            col += u32::from(c != '\r');
        }
        (self.column, self.column_at) = (col, at);
        Some(at)
    }

    /// The excerpt of one finding: at most [`EXCERPT_CHARS`] characters of its line
    /// around its column.
    fn excerpt(&mut self, f: &Finding) -> Option<Excerpt> {
        let at = self.offset(f.line, f.column)?;
        let text = &self.text;
        let line_start = self.line_start;
        let shown = |c: &char| *c != '\r';
        // Up to EXCERPT_BEFORE characters before the column, then the rest after it.
        let mut from = at;
        let mut before = 0;
        for (i, c) in text[line_start..at].char_indices().rev() {
            if before == EXCERPT_BEFORE {
                break;
            }
            from = line_start + i;
            before += usize::from(shown(&c));
        }
        let mut to = at;
        let mut taken = before;
        for (i, c) in text[at..].char_indices() {
            if c == '\n' || taken == EXCERPT_CHARS {
                break;
            }
            to = at + i + c.len_utf8();
            taken += usize::from(shown(&c));
        }
        // A short tail: show more of what comes before.
        for (i, c) in text[line_start..from].char_indices().rev() {
            if taken == EXCERPT_CHARS {
                break;
            }
            from = line_start + i;
            taken += usize::from(shown(&c));
        }
        let more_after = text[to..]
            .chars()
            .find(|&c| c != '\r')
            .is_some_and(|c| c != '\n');
        let mut excerpt = String::new();
        if from > line_start {
            excerpt.push('…');
        }
        let clean = |part: &str| -> String { part.chars().filter(shown).map(clean_char).collect() };
        excerpt.push_str(&clean(&text[from..at]));
        let token_start = excerpt.len();
        excerpt.push_str(&clean(&text[at..to]));
        let token_len = token_len(&excerpt[token_start..]);
        if more_after {
            excerpt.push('…');
        }
        Some(Excerpt {
            name: one_line(&f.file),
            line: f.line,
            column: f.column,
            range: token_start..(token_start + token_len).min(excerpt.len()),
            text: excerpt,
        })
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

/// The character [`one_line`] prints for `c`.
fn clean_char(c: char) -> char {
    if c == '\n' || troubletree::text::is_unprintable(c) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(line: u32, column: u32) -> Finding {
        let position = troubletree::Position { line, column };
        let mut f = troubletree::Loader::new()
            .tree("t.ron", "x")
            .findings
            .remove(0);
        f.line = position.line;
        f.column = position.column;
        f
    }

    fn excerpt(text: &str, line: u32, column: u32) -> Option<(String, String)> {
        let mut source = SourceFile::new(text.to_owned());
        source
            .excerpt(&finding(line, column))
            .map(|e| (e.text.clone(), e.text[e.range.clone()].to_owned()))
    }

    #[test]
    fn a_short_line_is_shown_whole_with_its_token() {
        let text = "Tree(\n  start: \"nowhere\",\n)";
        assert_eq!(
            excerpt(text, 2, 10),
            Some(("  start: \"nowhere\",".into(), "\"nowhere\"".into()))
        );
        assert_eq!(excerpt(text, 9, 1), None, "past the end");
        assert_eq!(excerpt(text, 2, 99), None, "past the line");
    }

    #[test]
    fn a_long_line_is_cut_around_the_column() {
        let line = format!("{}needle {}", "a ".repeat(5_000), "b ".repeat(5_000));
        let (shown, token) = excerpt(&line, 1, 10_001).expect("an excerpt");
        assert_eq!(token, "needle");
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert_eq!(shown.chars().count(), EXCERPT_CHARS + 2);
        assert_eq!(shown.find("needle"), Some('…'.len_utf8() + EXCERPT_BEFORE));
        // Near the end of the line, more of the beginning is shown instead.
        let (shown, _) = excerpt(&line, 1, 20_003).expect("an excerpt");
        assert!(shown.starts_with('…') && !shown.ends_with('…'), "{shown}");
        assert_eq!(shown.chars().count(), EXCERPT_CHARS + 1);
    }

    #[test]
    fn bom_cr_and_hostile_characters_keep_the_columns() {
        let text = "\u{feff}Tree(id:\r\n  \u{1b}[2J \"x\"\r\n)";
        // The BOM is not a column; the CR is not shown; ESC is one column, shown as �.
        assert_eq!(excerpt(text, 1, 6), Some(("Tree(id:".into(), "id".into())));
        assert_eq!(
            excerpt(text, 2, 8),
            Some(("  \u{fffd}[2J \"x\"".into(), "\"x\"".into()))
        );
    }

    #[test]
    fn findings_in_file_order_reuse_the_cursors() {
        let text = "ab\ncd\nef";
        let mut source = SourceFile::new(text.to_owned());
        for (line, column, token) in [(1, 2, "b"), (2, 1, "cd"), (3, 2, "f"), (1, 1, "ab")] {
            let e = source.excerpt(&finding(line, column)).expect("an excerpt");
            assert_eq!(&e.text[e.range.clone()], token, "{line}:{column}");
        }
    }
}
