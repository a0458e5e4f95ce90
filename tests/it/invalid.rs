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

use troubletree::{Code, Loader, Severity};
use troubletree_testkit::fixtures::{Expected, expectations, file_name, fixture_code};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> Vec<PathBuf> {
    troubletree_testkit::fixtures::fixtures(&manifest_dir().join("tests/data/invalid"))
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
        manifest_dir().join("tests/data/invalid").display()
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
        let report = match Loader::new().check(&[fixture]) {
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
        if errors != report.loaded.is_none() {
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
    let report = Loader::new()
        .check(&[&file.0])
        .expect("the file is readable");
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
    assert!(report.loaded.is_none());

    // A byte order mark is not a column, here as everywhere.
    let file = TempFile::new("bom-bad-utf8.ron", b"\xef\xbb\xbfTree(\xc0");
    let report = Loader::new()
        .check(&[&file.0])
        .expect("the file is readable");
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
    let report = Loader::new()
        .check(&[&file.0])
        .expect("the file is readable");
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
    let report = Loader::new()
        .check(&[&file.0])
        .expect("the file is readable");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let catalogue = report.loaded.expect("no errors, so a catalogue");
    let tree = catalogue
        .get("recharge_failure")
        .expect("the tree is in the catalogue");

    // Layout does not change what the tree is.
    let plain = Loader::new()
        .tree("recharge_failure.ron", &text)
        .loaded
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
            Loader::new()
                .tree(&name, text)
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
        let report = Loader::new().tree("deep.ron", text);
        assert!(report.loaded.is_none());
        let codes: Vec<Code> = report.findings.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::Syntax], "{:#?}", report.findings);
        let finding = &report.findings[0];
        assert_eq!(finding.line, *line, "{finding}");
        if *column > 0 {
            assert_eq!(finding.column, *column, "{finding}");
        }
        assert_eq!(
            finding.message.contains("nested too deeply"),
            *limit,
            "{finding}"
        );
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
    let report = Loader::new()
        .check(&[file.0.as_path(), recharge.as_path()])
        .expect("the files are readable");
    assert!(report.findings.is_empty(), "{:#?}", report.findings);
    let catalogue = report.loaded.expect("no errors, so a catalogue");
    assert!(catalogue.get("payment_failed").is_some());
}
