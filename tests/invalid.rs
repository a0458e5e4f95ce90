//! Broken fixtures: every file or directory under `tests/data/invalid/` is checked, and
//! its findings must be exactly the ones its `// expect: CODE LINE:COLUMN` comments list.
//!
//! A fixture is named after the code it demonstrates: `E006_dangling-reference.ron`, or
//! `E006_dangling-reference-<detail>.ron` for a further case. Codes that need more than
//! one tree (unknown tree, goto cycle, duplicate tree) have a directory of `.ron` files;
//! the expectations then sit in the file that holds each finding.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use troubletree::{Code, Severity, check_paths, check_str};

/// One finding, reduced to what a fixture pins down.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Expected {
    code: String,
    file: String,
    line: u32,
    column: u32,
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

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn invalid_dir() -> PathBuf {
    manifest_dir().join("tests/data/invalid")
}

/// Every fixture (a `.ron` file or a directory), sorted by name.
fn fixtures() -> Vec<PathBuf> {
    let entries = std::fs::read_dir(invalid_dir()).expect("tests/data/invalid is readable");
    let mut out: Vec<PathBuf> = entries
        .map(|e| e.expect("directory entry is readable").path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|e| e == "ron"))
        .collect();
    out.sort();
    out
}

/// The `.ron` files of a fixture: itself, or every one under its directory.
fn fixture_files(fixture: &Path) -> Vec<PathBuf> {
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

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The fixture's name up to the first `_`: the code it demonstrates.
fn fixture_code(fixture: &Path) -> String {
    let name = file_name(fixture);
    name.split('_').next().unwrap_or_default().to_owned()
}

/// Parses `// expect: E006 12:27` lines.
fn expectations(fixture: &Path) -> Result<Vec<Expected>, String> {
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

fn list(items: &[Expected]) -> String {
    if items.is_empty() {
        return "    (none)\n".to_owned();
    }
    items.iter().fold(String::new(), |mut s, e| {
        let _ = writeln!(s, "    {e}");
        s
    })
}

#[test]
fn every_fixture_reports_exactly_its_expected_findings() {
    let fixtures = fixtures();
    assert!(
        !fixtures.is_empty(),
        "no fixtures found under {}",
        invalid_dir().display()
    );
    let mut failures = String::new();
    for fixture in &fixtures {
        let name = file_name(fixture);
        let expected = match expectations(fixture) {
            Ok(expected) => expected,
            Err(message) => {
                let _ = writeln!(failures, "{name}: {message}");
                continue;
            }
        };
        if expected.is_empty() {
            let _ = writeln!(
                failures,
                "{name}: no `// expect:` line; a fixture must state its findings"
            );
            continue;
        }
        let report = match check_paths(&[fixture]) {
            Ok(report) => report,
            Err(err) => {
                let _ = writeln!(failures, "{name}: check_paths failed: {err}");
                continue;
            }
        };
        let mut actual: Vec<Expected> = report
            .findings
            .iter()
            .map(|f| Expected {
                code: f.code.as_str().to_owned(),
                file: file_name(Path::new(&f.file)),
                line: f.line,
                column: f.column,
            })
            .collect();
        actual.sort();
        if actual != expected {
            let messages = report.findings.iter().fold(String::new(), |mut s, f| {
                let _ = writeln!(s, "    {f}");
                s
            });
            let _ = write!(
                failures,
                "{name}: findings differ\n  expected:\n{}  actual:\n{}  messages:\n{messages}",
                list(&expected),
                list(&actual),
            );
        }
        for finding in &report.findings {
            if finding.severity != finding.code.severity() {
                let _ = writeln!(
                    failures,
                    "{name}: {finding}: severity is not the code's severity"
                );
            }
        }
        let errors = report
            .findings
            .iter()
            .any(|f| f.severity == Severity::Error);
        if errors != report.catalogue.is_none() {
            let _ = writeln!(
                failures,
                "{name}: a catalogue must exist exactly when there is no error"
            );
        }
    }
    assert!(
        failures.is_empty(),
        "fixtures that do not match their expectations:\n{failures}"
    );
}

#[test]
fn every_code_has_a_fixture_named_after_it() {
    let fixtures = fixtures();
    let mut problems = String::new();
    for fixture in &fixtures {
        let name = file_name(fixture);
        let prefix = fixture_code(fixture);
        match Code::ALL.iter().find(|c| c.as_str() == prefix) {
            Some(code) => {
                let stem = name.strip_suffix(".ron").unwrap_or(&name);
                let wanted = format!("{}_{}", code.as_str(), code.slug());
                if stem != wanted && !stem.starts_with(&format!("{wanted}-")) {
                    let _ = writeln!(
                        problems,
                        "{name}: name it {wanted}.ron or {wanted}-<detail>.ron"
                    );
                }
                let listed = expectations(fixture).unwrap_or_default();
                if !listed.iter().any(|e| e.code == code.as_str()) {
                    let _ = writeln!(
                        problems,
                        "{name}: expects no {code} finding, yet is named after it"
                    );
                }
            }
            None => {
                let _ = writeln!(problems, "{name}: does not start with a known code");
            }
        }
    }
    let covered: BTreeSet<String> = fixtures.iter().map(|f| fixture_code(f)).collect();
    for code in Code::ALL {
        if !covered.contains(code.as_str()) {
            let _ = writeln!(
                problems,
                "code {code} ({}) has no fixture; add tests/data/invalid/{code}_{}.ron",
                code.slug(),
                code.slug()
            );
        }
    }
    assert!(
        problems.is_empty(),
        "fixture naming and coverage:\n{problems}"
    );
}

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        let path =
            std::env::temp_dir().join(format!("troubletree-invalid-{}-{name}", std::process::id()));
        std::fs::write(&path, bytes).expect("the temporary directory is writable");
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn invalid_utf8_is_a_syntax_error_at_the_first_bad_byte() {
    // Line 3 holds `    id: "充值`, 11 characters, then a byte that is never valid UTF-8.
    let mut bytes = b"// \xe5\x85\x85\xe5\x80\xbc recharge\nTree(\n    id: \"".to_vec();
    bytes.extend_from_slice("充值".as_bytes());
    bytes.extend_from_slice(b"\xff\",\n    start: \"a\",\n    nodes: [],\n)\n");
    let file = TempFile::new("bad-utf8.ron", &bytes);
    let report = check_paths(&[&file.0]).expect("the file is readable");
    let found: Vec<(Code, u32, u32)> = report
        .findings
        .iter()
        .map(|f| (f.code, f.line, f.column))
        .collect();
    assert_eq!(found, [(Code::Syntax, 3, 12)], "{:#?}", report.findings);
    assert!(
        report.findings[0].message.contains("UTF-8"),
        "{}",
        report.findings[0]
    );
    assert_eq!(report.findings[0].file, file.0.display().to_string());
    assert!(report.catalogue.is_none());

    // A byte order mark is not a column, here as everywhere.
    let file = TempFile::new("bom-bad-utf8.ron", b"\xef\xbb\xbfTree(\xc0");
    let report = check_paths(&[&file.0]).expect("the file is readable");
    let found: Vec<(Code, u32, u32)> = report
        .findings
        .iter()
        .map(|f| (f.code, f.line, f.column))
        .collect();
    assert_eq!(found, [(Code::Syntax, 1, 6)], "{:#?}", report.findings);

    // A truncated multi-byte character at the very end of the file.
    let mut bytes = b"Tree(id: \"t\", start: \"a\", nodes: [])\n// ".to_vec();
    bytes.extend_from_slice(&"充".as_bytes()[..2]);
    let file = TempFile::new("truncated-utf8.ron", &bytes);
    let report = check_paths(&[&file.0]).expect("the file is readable");
    let found: Vec<(Code, u32, u32)> = report
        .findings
        .iter()
        .map(|f| (f.code, f.line, f.column))
        .collect();
    assert_eq!(found, [(Code::Syntax, 2, 4)], "{:#?}", report.findings);
}

fn to_bom_crlf(text: &str) -> String {
    format!(
        "\u{feff}{}",
        text.replace("\r\n", "\n").replace('\n', "\r\n")
    )
}

#[test]
fn a_bom_and_crlf_line_ends_are_accepted() {
    let path = manifest_dir().join("trees/recharge_failure.ron");
    let text = std::fs::read_to_string(&path).expect("trees/recharge_failure.ron is readable");
    let converted = to_bom_crlf(&text);
    assert!(converted.starts_with('\u{feff}') && converted.contains("\r\n"));
    let file = TempFile::new("bom-crlf.ron", converted.as_bytes());
    let report = check_paths(&[&file.0]).expect("the file is readable");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let catalogue = report.catalogue.expect("no errors, so a catalogue");
    let tree = catalogue
        .get("recharge_failure")
        .expect("the tree is in the catalogue");

    // Layout does not change what the tree is.
    let plain = check_str("recharge_failure.ron", &text)
        .tree
        .expect("the shipped tree is valid");
    assert_eq!(tree.fingerprint(), plain.fingerprint());
    assert_eq!(tree.node_count(), plain.node_count());
}

#[test]
fn a_bom_and_crlf_line_ends_do_not_move_findings() {
    for fixture in fixtures().into_iter().filter(|f| !f.is_dir()) {
        let name = file_name(&fixture);
        let text = std::fs::read_to_string(&fixture).expect("fixture is UTF-8");
        let positions = |text: &str| -> Vec<(Code, u32, u32)> {
            check_str(&name, text)
                .findings
                .iter()
                .map(|f| (f.code, f.line, f.column))
                .collect()
        };
        assert_eq!(
            positions(&to_bom_crlf(&text)),
            positions(&text),
            "{name} with a BOM and CRLF line ends"
        );
    }
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    const DEPTH: usize = 100_000;
    let condition = |open: &str, close: &str| {
        format!(
            "Tree(id: \"t\", start: \"a\", facts: [Fact(name: \"f\", type: Bool)], nodes: [\
             Decide(id: \"a\", rules: [Rule(when: {}Known(\"f\"){}, next: \"b\")], otherwise: \"b\"), \
             Resolve(id: \"b\", text: \"ok\")])",
            open.repeat(DEPTH),
            close.repeat(DEPTH)
        )
    };
    // (text, where the error is, whether it is the nesting limit)
    let cases = [
        // Brackets where a tree should start, and where the node list's items should be:
        // refused at the first bracket that cannot be there.
        ("[".repeat(DEPTH), (1, 1), false),
        (
            format!("Tree(id: \"t\", start: \"a\", nodes: {}", "[".repeat(DEPTH)),
            (1, 35),
            false,
        ),
        // Conditions may nest, so these reach the nesting limit.
        (condition("Any([", "])"), (1, 0), true),
        (condition("Not(", ")"), (1, 0), true),
    ];
    for (text, (line, column), limit) in &cases {
        let report = check_str("deep.ron", text);
        assert!(report.tree.is_none());
        let codes: Vec<Code> = report.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::Syntax], "{:#?}", report.findings);
        let finding = &report.findings[0];
        assert_eq!(finding.line, *line, "{finding}");
        if *column > 0 {
            assert_eq!(finding.column, *column, "{finding}");
        }
        assert_eq!(
            finding.message.contains("nested more than"),
            *limit,
            "{finding}"
        );
    }
}

#[cfg(feature = "cli")]
mod cli {
    use std::process::Command;

    use super::*;

    fn check(args: &[&str]) -> (Option<i32>, String, String) {
        let output = Command::new(env!("CARGO_BIN_EXE_troubletree"))
            .arg("check")
            .args(args)
            .current_dir(manifest_dir())
            .output()
            .expect("the binary runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    #[test]
    fn check_exits_1_on_errors_and_prints_rustc_like_lines() {
        let path = "tests/data/invalid/E006_dangling-reference.ron";
        let (code, stdout, stderr) = check(&[path]);
        assert_eq!(code, Some(1), "stdout:\n{stdout}\nstderr:\n{stderr}");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{stdout}");
        assert!(
            lines[0].starts_with(&format!("{path}:30:21: error[E006]: ")),
            "{stdout}"
        );
    }

    #[test]
    fn check_prints_every_finding_of_a_fixture() {
        for fixture in fixtures() {
            let relative = fixture
                .strip_prefix(manifest_dir())
                .expect("fixtures are in the crate");
            let relative = relative.to_string_lossy().into_owned();
            let expected = expectations(&fixture).expect("well-formed expectations");
            let (code, stdout, stderr) = check(&[&relative]);
            let errors = expected.iter().any(|e| e.code.starts_with('E'));
            assert_eq!(
                code,
                Some(i32::from(errors)),
                "{relative}\nstdout:\n{stdout}\nstderr:\n{stderr}"
            );
            let mut seen = Vec::new();
            for line in stdout.lines() {
                let (location, rest) = line
                    .split_once(": ")
                    .unwrap_or_else(|| panic!("{relative}: odd line {line:?}"));
                let mut parts = location.rsplitn(3, ':');
                let (Some(column), Some(line_no), Some(file)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    panic!("{relative}: no path:line:col in {line:?}");
                };
                assert!(
                    file.starts_with(relative.as_str()),
                    "{relative}: path {file:?} in {line:?}"
                );
                let (severity, rest) = rest
                    .split_once('[')
                    .unwrap_or_else(|| panic!("{relative}: no [CODE] in {line:?}"));
                let (code_str, message) = rest
                    .split_once("]: ")
                    .unwrap_or_else(|| panic!("{relative}: no ]: in {line:?}"));
                let code = Code::ALL
                    .iter()
                    .find(|c| c.as_str() == code_str)
                    .unwrap_or_else(|| panic!("{relative}: unknown code in {line:?}"));
                assert_eq!(
                    severity,
                    code.severity().to_string(),
                    "{relative}: {line:?}"
                );
                assert!(!message.is_empty(), "{relative}: empty message in {line:?}");
                seen.push(Expected {
                    code: code_str.to_owned(),
                    file: file_name(Path::new(file)),
                    line: line_no.parse().expect("a line number"),
                    column: column.parse().expect("a column number"),
                });
            }
            seen.sort();
            assert_eq!(
                seen, expected,
                "{relative}: printed (left) vs expected (right)\nstdout:\n{stdout}"
            );
        }
    }

    #[test]
    fn check_exits_0_on_the_shipped_trees() {
        let (code, stdout, stderr) = check(&["trees"]);
        assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(!stdout.contains("error["), "{stdout}");
    }

    #[test]
    fn check_exits_2_on_a_missing_path() {
        let missing = "tests/data/invalid/no-such-tree.ron";
        let (code, stdout, stderr) = check(&[missing]);
        assert_eq!(code, Some(2), "stdout:\n{stdout}\nstderr:\n{stderr}");
        assert!(stderr.contains("no-such-tree.ron"), "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
    }
}

#[test]
fn the_complete_example_in_the_format_guide_is_valid() {
    let guide = std::fs::read_to_string(manifest_dir().join("docs/FORMAT.md"))
        .expect("docs/FORMAT.md is readable");
    let section = guide
        .split("## 2. A complete example")
        .nth(1)
        .expect("the guide has its example section");
    let (_, block) = section
        .split_once("```ron\n")
        .expect("the example is a ron block");
    let (example, _) = block.split_once("\n```").expect("the ron block ends");
    let file = TempFile::new("payment_failed.ron", example.as_bytes());
    // Its Goto continues in the shipped recharge tree.
    let recharge = manifest_dir().join("trees/recharge_failure.ron");
    let report =
        check_paths(&[file.0.as_path(), recharge.as_path()]).expect("the files are readable");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let catalogue = report.catalogue.expect("no errors, so a catalogue");
    assert!(catalogue.get("payment_failed").is_some());
}
