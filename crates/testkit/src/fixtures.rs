//! Broken fixtures as data: every file or directory under a fixture directory states
//! the findings it must produce in `// expect: CODE LINE:COLUMN` comments.
//!
//! A fixture is named after the code it demonstrates: `E006_dangling-reference.ron`, or
//! `E006_dangling-reference-<detail>.ron` for a further case. Codes that need more than
//! one tree have a directory of `.ron` files; the expectations then sit in the file that
//! holds each finding. The engine's tests compare the library's findings with them, the
//! command line's tests the printed ones.
#![allow(clippy::missing_panics_doc)] // test support: a broken fixture directory panics

use std::path::{Path, PathBuf};

/// One finding, reduced to what a fixture pins down.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    /// The finding code (`E006`).
    pub code: String,
    /// The file name, without its directory.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}:{}:{}",
            self.code, self.file, self.line, self.column
        )
    }
}

/// Every fixture under `dir` (a `.ron` file or a directory), sorted by name.
pub fn fixtures(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).expect("the fixture directory is readable");
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry is readable").path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "ron"))
        .collect();
    out.sort();
    out
}

/// The `.ron` files of a fixture: itself, or every one under its directory.
pub fn fixture_files(fixture: &Path) -> Vec<PathBuf> {
    if !fixture.is_dir() {
        return vec![fixture.to_owned()];
    }
    let mut out = Vec::new();
    let mut todo = vec![fixture.to_owned()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixture directory is readable") {
            let path = entry.expect("directory entry is readable").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "ron") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The last component of a path, as text.
pub fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The fixture's name up to the first `_`: the code it demonstrates.
pub fn fixture_code(fixture: &Path) -> String {
    let name = file_name(fixture);
    name.split('_').next().unwrap_or_default().to_owned()
}

/// Parses `// expect: E006 12:27` lines.
pub fn expectations(fixture: &Path) -> Result<Vec<Expected>, String> {
    let mut out = Vec::new();
    for file in fixture_files(fixture) {
        let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        for (n, line) in text.lines().enumerate() {
            let Some(rest) = line.trim_start().strip_prefix("// expect:") else {
                continue;
            };
            let bad = || {
                format!(
                    "{}:{}: malformed expectation {line:?}; write `// expect: E006 12:27`",
                    file.display(),
                    n + 1
                )
            };
            let mut words = rest.split_whitespace();
            let (Some(code), Some(position), None) = (words.next(), words.next(), words.next())
            else {
                return Err(bad());
            };
            let (line_no, column) = position.split_once(':').ok_or_else(bad)?;
            out.push(Expected {
                code: code.to_owned(),
                file: file_name(&file),
                line: line_no.parse().map_err(|_| bad())?,
                column: column.parse().map_err(|_| bad())?,
            });
        }
    }
    out.sort();
    Ok(out)
}
